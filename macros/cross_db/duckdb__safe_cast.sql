{#-
    dbt-duckdb 1.11 falls back to dbt's default `safe_cast`, a plain `cast` that fails the
    whole query on one bad value. DuckDB has `try_cast`, which returns null instead; the
    `dispatch` setting in dbt_project.yml makes `dbt.safe_cast` find this version first.
-#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
