{#-
    The incremental settings of a history model that each run rewrites for its own run and
    keeps for every other: `config(**run_history_incremental_config([...]))`.
    DuckDB (and most warehouses): `delete+insert` on the model's `unique_key`. Spark on
    Parquet can neither delete nor merge (both need Delta), so there the table is partitioned
    by the run's columns and `insert_overwrite` replaces the partitions of this run only. One
    difference: a customer that a rerun of the same run no longer has loses the earlier
    attempt's row on Spark, where delete+insert keeps it.
-#}
{% macro run_history_incremental_config(run_columns) -%}
    {{ return(adapter.dispatch('run_history_incremental_config', 'customer_segments')(run_columns)) }}
{%- endmacro %}

{% macro default__run_history_incremental_config(run_columns) -%}
    {{ return({'incremental_strategy': 'delete+insert'}) }}
{%- endmacro %}

{% macro spark__run_history_incremental_config(run_columns) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': run_columns}) }}
{%- endmacro %}
