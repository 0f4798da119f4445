{#-
    The `'name', value` argument pairs of raw_values_json (DuckDB's json_object, Spark's
    named_struct take the same list): the raw text of each column read from
    `prefix ~ name`, or '***' for a non-blank column listed in `masked_columns`.
-#}
{% macro raw_values_pairs(column_names, prefix='', masked_columns=[]) -%}
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
{%- endmacro %}
