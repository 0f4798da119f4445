{#- ISO 8601 text (a date or a timestamp) to a date; null when unparseable. -#}
{% macro parse_date(column_name) -%}
    cast({{ parse_timestamp_utc(column_name) }} as date)
{%- endmacro %}
