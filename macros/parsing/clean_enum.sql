{#- Trimmed, lower-case category value; `unknown` when blank (a missing descriptive value is not a reject reason). -#}
{% macro clean_enum(column_name) -%}
    coalesce(nullif(lower(trim({{ column_name }})), ''), 'unknown')
{%- endmacro %}
