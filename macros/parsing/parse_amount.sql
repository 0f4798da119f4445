{#- Numeric text to a number; null when blank or unparseable (the caller decides whether that rejects the row). -#}
{% macro parse_amount(column_name) -%}
    {{ dbt.safe_cast('trim(' ~ column_name ~ ')', dbt.type_numeric()) }}
{%- endmacro %}
