{#-
    Upgrades a warehouse built before the renames and schema moves of README "Changes" in
    place (on-run-start).
    Relations that carry state from build to build (the segment model registry) are copied
    to their new name when the new one does not exist yet, so an incremental model finds its
    rows in `{{ this }}` and keeps the same model versions and segment ids. Then the old
    relations are dropped, so BI tools never read a stale table under an old name. A fresh
    warehouse has none of them, and the macro does nothing.
-#}
{% macro upgrade_renamed_relations() %}
    {%- if not execute -%}
        {{ return('select 1 as nothing_to_upgrade') }}
    {%- endif -%}
    {#- old schema, old name, new schema, new name, carries state -#}
    {%- set renames = [
        ('marts', 'dim_segment_model_versions', 'intermediate', 'int_segment_model_versions', true),
        ('marts', 'fct_customer_segments', 'intermediate', 'int_customer_segments_assigned', false),
        ('marts', 'rpt_clv_parameters', 'intermediate', 'int_clv_parameters_fitted', false),
        ('intermediate', 'int_segment_runs_ordered', 'marts', 'fct_segment_runs', false),
    ] -%}
    {#- Relations that moved schema under the same name (issue 15: personal data left the
        published schema `marts`). The old copy holds personal data and no state: it is
        dropped, and the model builds the new one. -#}
    {%- set moved = [
        ('marts', 'dim_customer_contacts', 'restricted'),
        ('marts', 'rpt_rejected_rows_restricted', 'restricted'),
    ] -%}
    {%- for old_schema, name, new_schema in moved -%}
        {%- do renames.append((old_schema, name, new_schema, name, false)) -%}
    {%- endfor -%}
    {#- The hook returns its statements, so dbt runs and commits them like any hook; the
        relation cache, filled before on-run-start, is told about each change so that an
        incremental model sees its copied rows in `this`. -#}
    {%- set statements = [] -%}
    {%- for old_schema, old_name, new_schema, new_name, carries_state in renames -%}
        {%- set old = adapter.get_relation(
            database=target.database, schema=old_schema, identifier=old_name) -%}
        {%- if old is not none -%}
            {%- set new = adapter.get_relation(
                database=target.database, schema=new_schema, identifier=new_name) -%}
            {%- if carries_state and new is none -%}
                {%- set copy = api.Relation.create(
                    database=target.database, schema=new_schema, identifier=new_name,
                    type='table') -%}
                {%- do statements.append('create schema if not exists ' ~ copy.without_identifier()) -%}
                {%- do statements.append(get_create_table_as_sql(False, copy, 'select * from ' ~ old)) -%}
                {%- do adapter.cache_added(copy) -%}
                {{ log('Upgrade: ' ~ old ~ ' is copied to its new name ' ~ copy, info=true) }}
            {%- endif -%}
            {%- do statements.append(get_drop_sql(old)) -%}
            {%- do adapter.cache_dropped(old) -%}
            {{ log('Upgrade: ' ~ old ~ ' is dropped (now ' ~ new_schema ~ '.' ~ new_name ~ ')', info=true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return((statements | join(';\n')) or 'select 1 as nothing_to_upgrade') }}
{% endmacro %}
