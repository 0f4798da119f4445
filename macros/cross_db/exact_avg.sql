{#-
    The mean of the non-null values of a numeric expression, independent of the row order
    (see `exact_sum`), as double precision; null when there is no value.
-#}
{% macro exact_avg(expression, scale=12) -%}
    {{ exact_sum(expression, scale) }} / nullif(count({{ expression }}), 0)
{%- endmacro %}
