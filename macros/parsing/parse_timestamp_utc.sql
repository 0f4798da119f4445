{#-
    Timestamp text to a UTC timestamp without time zone; null when unparseable.

    By default (no declaration in var `raw_file_formats`) the text is ISO 8601: a value with
    an offset is converted to UTC; one without an offset is taken as UTC. A table may declare
    `date_order` DMY or MDY (`24.12.2025 13:45`, with `.`, `/` or `-` between the date parts,
    optional seconds or no time at all; ISO text is still read) and `timezone` (an IANA name:
    offset-less values are local time there, converted to UTC). `raw_format` defaults to
    raw_file_format() of the current model.
-#}
{% macro parse_timestamp_utc(column_name, raw_format=none) -%}
    {%- set raw_format = raw_format or raw_file_format() -%}
    {%- if raw_format.date_order == 'YMD' and raw_format.timezone == 'UTC' -%}
        {{ return(adapter.dispatch('parse_timestamp_utc', 'customer_segments')(column_name)) }}
    {%- endif -%}
    {%- set local_timestamp = parse_local_timestamp(column_name, raw_format.date_order) -%}
    {%- if raw_format.timezone != 'UTC' -%}
        {%- set local_timestamp = local_to_utc(local_timestamp, raw_format.timezone) -%}
    {%- endif -%}
    case
        when {{ has_utc_offset(column_name) }}
            then {{ adapter.dispatch('parse_timestamp_utc', 'customer_segments')(column_name) }}
        else {{ local_timestamp }}
    end
{%- endmacro %}

{% macro default__parse_timestamp_utc(column_name) -%}
    {{ dbt.safe_cast('trim(' ~ column_name ~ ')', api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp_utc(column_name) -%}
    {#- The profile sets TimeZone = UTC, so offset-less text is read as UTC. -#}
    cast(try_cast(trim({{ column_name }}) as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}
