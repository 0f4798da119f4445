{#-
    `numerator / denominator` in double precision, null when the denominator is 0 or null.
    The cast comes first: on Spark, a decimal or integer division keeps as few as 6
    decimals (and returns a decimal), while DuckDB's `/` gives a double.
-#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
