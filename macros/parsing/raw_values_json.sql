{#-
    The raw text values of a row as one JSON text object, for the rejected-rows report.
    Keys are the raw column names; values are read from `prefix ~ name`. Columns listed in
    `masked_columns` become '***' when not blank, so the BI-facing report shows no
    personal data.
-#}
{% macro raw_values_json(column_names, prefix='', masked_columns=[]) -%}
    {{ return(adapter.dispatch('raw_values_json', 'customer_segments')(column_names, prefix, masked_columns)) }}
{%- endmacro %}

{% macro default__raw_values_json(column_names, prefix='', masked_columns=[]) -%}
    cast(json_object(
        {%- for column_name in column_names %}
            {%- set value = prefix ~ column_name %}
        '{{ column_name }}',
        {% if column_name in masked_columns -%}
            case when {{ is_blank(value) }} then {{ value }} else '***' end
        {%- else -%}
            {{ value }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ) as {{ dbt.type_string() }})
{%- endmacro %}
