{#-
    A double-precision amount as dbt's `numeric` type (decimal(28, 6)), rounded the same way
    on every engine. DuckDB multiplies the binary value by 10^6 and rounds half away from
    zero; Spark's cast rounds the double's shortest decimal text instead, so a mean of
    66.81223149999999577 (printed 66.8122315) became 66.812232 on Spark and 66.812231 on
    DuckDB. On Spark the product is rounded first, as DuckDB does, and the cast of the
    rounded value is exact.
-#}
{% macro cast_double_as_numeric(expression) -%}
    {{ return(adapter.dispatch('cast_double_as_numeric', 'customer_segments')(expression)) }}
{%- endmacro %}

{% macro default__cast_double_as_numeric(expression) -%}
    cast({{ expression }} as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro spark__cast_double_as_numeric(expression) -%}
    cast(round({{ expression }} * 1000000) / 1000000 as {{ dbt.type_numeric() }})
{%- endmacro %}
