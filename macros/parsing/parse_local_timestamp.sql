{#-
    Timestamp text as written, without time zone: with `date_order` DMY or MDY, a date with
    `.`, `/` or `-` between its parts (`24.12.2025`, `12/24/2025`), followed by `H:mm`,
    `H:mm:ss` or nothing; otherwise (or when that fails) ISO 8601. Null when unparseable.
    Dispatched: DuckDB `try_strptime` with a list of formats, Spark `try_to_timestamp`.
-#}
{% macro parse_local_timestamp(column_name, date_order) -%}
    {{ return(adapter.dispatch('parse_local_timestamp', 'customer_segments')(
        column_name, date_order,
        "translate(trim(" ~ column_name ~ "), '/-', '..')",
    )) }}
{%- endmacro %}

{% macro default__parse_local_timestamp(column_name, date_order, dotted) -%}
    {{ dbt.safe_cast('trim(' ~ column_name ~ ')', api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro duckdb__parse_local_timestamp(column_name, date_order, dotted) -%}
    {%- set date_format = '%d.%m.%Y' if date_order == 'DMY' else '%m.%d.%Y' -%}
    coalesce(
        {%- if date_order != 'YMD' %}
        try_strptime(
            {{ dotted }},
            ['{{ date_format }} %H:%M:%S', '{{ date_format }} %H:%M', '{{ date_format }}']
        ),
        {%- endif %}
        try_cast(trim({{ column_name }}) as timestamp)
    )
{%- endmacro %}

{% macro spark__parse_local_timestamp(column_name, date_order, dotted) -%}
    {%- set date_format = 'd.M.yyyy' if date_order == 'DMY' else 'M.d.yyyy' -%}
    coalesce(
        {%- if date_order != 'YMD' %}
        try_to_timestamp({{ dotted }}, '{{ date_format }} H:mm:ss'),
        try_to_timestamp({{ dotted }}, '{{ date_format }} H:mm'),
        try_to_timestamp({{ dotted }}, '{{ date_format }}'),
        {%- endif %}
        try_cast(trim({{ column_name }}) as timestamp)
    )
{%- endmacro %}
