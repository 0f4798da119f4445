{#-
    A customer's position in [0, 1) for the control-group draw of a model version (docs block
    `control_groups`): the first 8 hex digits of sha256('<model_version>:<customer_id>') read
    as an unsigned integer and divided by 2^32. The one place the draw is computed
    (int_customer_segments_finalized); the end-to-end pytest compares it bit for bit with
    a reference of its own. Dispatched:

    * duckdb__: DuckDB's `sha256` and a `0x` literal cast to ubigint;
    * spark__: Spark and Databricks, `sha2(..., 256)` and `conv(..., 16, 10)`;
    * default__: written for Snowflake, `sha2(..., 256)` and `to_number(..., 'XXXXXXXX')`.
      Postgres, Redshift and BigQuery need their own version (their hash and hex-to-integer
      functions differ).
-#}
{% macro control_group_bucket(model_version_column, customer_id_column) -%}
    {{ return(adapter.dispatch('control_group_bucket', 'customer_segments')(
        model_version_column, customer_id_column
    )) }}
{%- endmacro %}

{% macro default__control_group_bucket(model_version_column, customer_id_column) -%}
    cast(to_number(upper(substr(sha2(
        {{ dbt.concat([
            dbt.cast(model_version_column, dbt.type_string()), "':'", customer_id_column,
        ]) }}, 256
    ), 1, 8)), 'XXXXXXXX') as double) / 4294967296.0
{%- endmacro %}

{% macro spark__control_group_bucket(model_version_column, customer_id_column) -%}
    cast(conv(substr(sha2(
        {{ dbt.concat([
            dbt.cast(model_version_column, dbt.type_string()), "':'", customer_id_column,
        ]) }}, 256
    ), 1, 8), 16, 10) as double) / 4294967296.0
{%- endmacro %}

{% macro duckdb__control_group_bucket(model_version_column, customer_id_column) -%}
    cast(('0x' || left(sha256(
        {{ dbt.concat([
            dbt.cast(model_version_column, dbt.type_string()), "':'", customer_id_column,
        ]) }}
    ), 8)) as ubigint) / 4294967296.0
{%- endmacro %}
