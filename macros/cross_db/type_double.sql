{#-
    The SQL name of the 8-byte floating-point type. `double precision` is the standard name
    (DuckDB, Postgres, Snowflake, Redshift); Spark only knows `double`. dbt's `type_float`
    is no substitute: it gives a 4-byte `float` on DuckDB.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_segments')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
