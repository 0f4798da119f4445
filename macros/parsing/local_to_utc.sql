{#- A timestamp without time zone, read as local time in IANA zone `timezone`, converted to UTC (without time zone). -#}
{% macro local_to_utc(timestamp_expression, timezone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'customer_segments')(timestamp_expression, timezone)) }}
{%- endmacro %}

{% macro default__local_to_utc(timestamp_expression, timezone) -%}
    to_utc_timestamp({{ timestamp_expression }}, '{{ timezone }}')
{%- endmacro %}

{% macro duckdb__local_to_utc(timestamp_expression, timezone) -%}
    timezone('UTC', timezone('{{ timezone }}', {{ timestamp_expression }}))
{%- endmacro %}
