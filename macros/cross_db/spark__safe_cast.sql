{#-
    dbt-spark's `safe_cast` is a plain `cast`, and Spark 4 runs with ANSI mode on, where one
    bad value fails the whole query. Spark's `try_cast` returns null instead, like DuckDB's
    (macro duckdb__safe_cast), so a value that cannot be parsed becomes a reject reason on
    both engines; the `dispatch` setting in dbt_project.yml makes `dbt.safe_cast` find this.
-#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
