{#- True when a raw text value is null, empty or whitespace only. -#}
{% macro is_blank(column_name) -%}
    (nullif(trim({{ column_name }}), '') is null)
{%- endmacro %}
