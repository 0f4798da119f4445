{#-
    `dbt.datediff` on Spark with DuckDB's meaning, as a bigint (the type DuckDB returns and
    the model contracts declare). The `dispatch` setting in dbt_project.yml makes
    `dbt.datediff` find this version before dbt-spark's.

    For hours, minutes and seconds DuckDB counts the boundaries crossed (the difference of
    both ends truncated to the part), while dbt-spark rounds the elapsed seconds up: a ticket
    open from 10:00:50 to 10:02:10 is 2 minutes on DuckDB and 2 (ceil of 1.33) on dbt-spark,
    but 10:00:10 to 10:02:50 is 2 on DuckDB and 3 on dbt-spark. Days, weeks, months and
    years keep dbt-spark's calendar arithmetic.
-#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set seconds_per = {'hour': 3600, 'minute': 60, 'second': 1} -%}
    {%- if datepart in seconds_per -%}
        ((unix_seconds(date_trunc('{{ datepart }}', {{ second_date }}))
        - unix_seconds(date_trunc('{{ datepart }}', {{ first_date }}))) div {{ seconds_per[datepart] }})
    {%- else -%}
        cast({{ dbt.spark__datediff(first_date, second_date, datepart) }} as bigint)
    {%- endif -%}
{%- endmacro %}
