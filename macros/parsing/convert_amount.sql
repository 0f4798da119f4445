{#-
    An amount converted with a rate, rounded to 6 decimals and typed numeric, so that an
    amount already in the reporting currency (rate exactly 1) stays exactly the same.
-#}
{% macro convert_amount(amount, rate) -%}
    cast(round({{ amount }} * {{ rate }}, 6) as {{ dbt.type_numeric() }})
{%- endmacro %}
