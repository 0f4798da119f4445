{#- The start of this dbt invocation as a UTC timestamp literal: rows later than this are `future_timestamp`. -#}
{% macro run_started_at_utc() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ api.Column.translate_type('timestamp') }})
{%- endmacro %}
