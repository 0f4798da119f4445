{#-
    Create `meta.publication_log` in the attached database `database_name`, with the rows of
    the published file at `previous_path` (the history of earlier publications), if any.
-#}
{% macro publication_create_log(database_name, previous_path) -%}
    {%- do run_query('create schema if not exists ' ~ database_name ~ '.meta') -%}
    {%- do run_query(
        'create table ' ~ database_name ~ '.meta.publication_log ('
        ~ 'built_at timestamp, invocation_id varchar, dbt_command varchar, status varchar, '
        ~ 'as_of_date date, model_version bigint, failed_nodes varchar, recorded_at timestamp)'
    ) -%}
    {%- if previous_path is not none and publication_value("select count(*) from glob('" ~ previous_path ~ "')") > 0 -%}
        {%- do run_query("attach '" ~ previous_path ~ "' as segments_publication_previous (read_only)") -%}
        {%- if publication_value("select count(*) from duckdb_tables() where database_name = 'segments_publication_previous' and schema_name = 'meta' and table_name = 'publication_log'") > 0 -%}
            {%- do run_query('insert into ' ~ database_name ~ '.meta.publication_log select * from segments_publication_previous.meta.publication_log') -%}
        {%- endif -%}
        {%- do run_query('detach segments_publication_previous') -%}
    {%- endif -%}
{%- endmacro %}
