{#-
    SQL that drops the intermediate tables an incremental Python model leaves behind, run at
    the end of every build (`on-run-end`). On an incremental run dbt-duckdb writes a Python
    model's result to `main.<model>__dbt_tmp<timestamp>` as a real table but treats it as a
    temporary one and never drops it, so every re-score build added two tables (those of
    `int_segment_model_versions` and `fct_segment_run_silhouettes`) that BI tools list.
    Only tables of this project's models whose name is `<model>__dbt_tmp` plus digits go.
    Other adapters: nothing (their temporary tables end with the session).
-#}
{% macro drop_leftover_temp_tables() -%}
    {{ return(adapter.dispatch('drop_leftover_temp_tables', 'customer_segments')()) }}
{%- endmacro %}

{% macro default__drop_leftover_temp_tables() -%}
    select 1 as nothing_to_drop
{%- endmacro %}

{% macro duckdb__drop_leftover_temp_tables() -%}
    {%- if not execute -%}
        {{ return('select 1 as nothing_to_drop') }}
    {%- endif -%}
    {%- set model_names = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- do model_names.append(node.alias or node.name) -%}
    {%- endfor -%}
    {%- set leftovers = run_query(
        "select schema_name, table_name from duckdb_tables() "
        ~ "where database_name = current_database() and not temporary "
        ~ "and regexp_matches(table_name, '^.+__dbt_tmp[0-9]+$') order by 1, 2"
    ) -%}
    {%- set statements = [] -%}
    {%- for row in leftovers.rows -%}
        {%- if row[1].split('__dbt_tmp')[0] in model_names -%}
            {%- do statements.append('drop table if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if statements | length > 0 -%}
        {{ log('Dropping ' ~ statements | length ~ ' leftover intermediate table(s) of incremental Python models', info=true) }}
    {%- endif -%}
    {{ return((statements | join(';\n')) or 'select 1 as nothing_to_drop') }}
{%- endmacro %}
