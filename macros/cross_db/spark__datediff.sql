{#-
    dbt-spark's `datediff`, as a bigint. Spark's day difference is an `int`, DuckDB's
    `date_diff` a `bigint`; the model contracts declare `bigint` (days since the last order,
    tenure, the CLV ages), so both engines give the same column type. The `dispatch` setting
    in dbt_project.yml makes `dbt.datediff` find this version before dbt-spark's.
-#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    cast({{ dbt.spark__datediff(first_date, second_date, datepart) }} as bigint)
{%- endmacro %}
