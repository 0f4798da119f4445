{#-
    Date text to a date; null when unparseable. ISO 8601 (a date or a timestamp) by default;
    a table's declared `date_order` (parse_timestamp_utc) reads `24.12.2025` too. A date
    without a time is a calendar date, so the declared time zone never shifts it.
-#}
{% macro parse_date(column_name, raw_format=none) -%}
    {%- set raw_format = raw_format or raw_file_format() -%}
    {%- if raw_format.date_order == 'YMD' and raw_format.timezone == 'UTC' -%}
        cast({{ parse_timestamp_utc(column_name, raw_format) }} as date)
    {%- else -%}
        case
            when {{ has_utc_offset(column_name) }}
                then cast({{ parse_timestamp_utc(column_name, raw_format) }} as date)
            else cast({{ parse_local_timestamp(column_name, raw_format.date_order) }} as date)
        end
    {%- endif -%}
{%- endmacro %}
