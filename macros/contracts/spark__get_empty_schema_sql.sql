{#-
    The empty typed select that dbt's contract check compares a model's columns against, on
    Spark. Model YAML declares DuckDB type names; Spark knows most of them (bigint, integer,
    double, boolean, date, timestamp, decimal(p,s)) but not these, translated here:

    - `varchar` / `text` -> `string` (Spark has no unbounded varchar);
    - `hugeint` -> `bigint`: DuckDB sums integers into a 128-bit hugeint, Spark into a bigint
      (and with ANSI mode on, an overflow raises instead of wrapping), so the same `sum()`
      satisfies the same contract on both engines;
    - `ubigint` -> `decimal(20,0)`, `utinyint`/`usmallint`/`uinteger` -> the next wider signed type.

    Found before dbt-spark's macros through the project's `dispatch` search order.
-#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = dict(column) -%}
        {%- if column.get('data_type') -%}
            {%- do copy.update({'data_type': spark_contract_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{%- endmacro %}
