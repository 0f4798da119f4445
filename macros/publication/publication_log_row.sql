{#-
    A `select` of this build's row of `meta.publication_log`: build start (UTC), invocation,
    command, status (`published` or `failed`), the build's as-of date and active model
    version (null when the build did not get that far), the failed nodes.
-#}
{% macro publication_log_row(status, failed_nodes) -%}
    {%- set as_of = publication_model_relation('int_as_of_date') -%}
    {%- set segments = publication_model_relation('dim_segments') -%}
    select
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as built_at,
        '{{ invocation_id }}' as invocation_id,
        '{{ flags.WHICH }}' as dbt_command,
        '{{ status }}' as status,
        {% if as_of is not none %}(select max(as_of_date) from {{ as_of }}){% else %}cast(null as date){% endif %} as as_of_date,
        {% if segments is not none %}(select max(model_version) from {{ segments }}){% else %}cast(null as bigint){% endif %} as model_version,
        {% if failed_nodes | length > 0 %}'{{ failed_nodes | join(", ") }}'{% else %}cast(null as varchar){% endif %} as failed_nodes,
        cast(now() at time zone 'UTC' as timestamp) as recorded_at
{%- endmacro %}
