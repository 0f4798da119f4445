{#-
    The mean of an integer expression as double precision (an aggregate). DuckDB averages
    `expression * 1.0` exactly as a decimal and returns a double. Spark's average of a
    decimal is a decimal with only 4 more decimals than its input (a mean of 1, 2 and 2
    would be 1.66667), so on Spark the values are averaged as doubles: a sum of integers is
    exact in a double, and the two means differ by at most one unit in the last place.
-#}
{% macro avg_as_double(expression) -%}
    {{ return(adapter.dispatch('avg_as_double', 'customer_segments')(expression)) }}
{%- endmacro %}

{% macro default__avg_as_double(expression) -%}
    avg({{ expression }} * 1.0)
{%- endmacro %}

{% macro spark__avg_as_double(expression) -%}
    avg(cast({{ expression }} as double))
{%- endmacro %}
