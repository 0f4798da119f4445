{#-
    ISO 8601 text to a UTC timestamp without time zone; null when unparseable.
    A value with an offset is converted to UTC; one without an offset is taken as UTC.
-#}
{% macro parse_timestamp_utc(column_name) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'customer_segments')(column_name)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(column_name) -%}
    {{ dbt.safe_cast('trim(' ~ column_name ~ ')', api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp_utc(column_name) -%}
    {#- The profile sets TimeZone = UTC, so offset-less text is read as UTC. -#}
    cast(try_cast(trim({{ column_name }}) as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}
