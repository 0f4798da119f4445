{#-
    Written after `as` in a CTE of the `base_` models: `name as {{ cte_not_materialized() }} (`.
    rank_row_versions reads the validated rows twice (a narrow window over the keys, then the
    wide rows joined to the few losers). DuckDB materializes a CTE that is read twice, which
    at millions of rows spills gigabytes of wide rows to disk; re-reading the raw file is
    cheaper (at 1M customers, base_web__events went from 88 s to 27 s). Inlining is the
    default on most warehouses, so elsewhere this is empty.
-#}
{% macro cte_not_materialized() -%}
    {{ return(adapter.dispatch('cte_not_materialized', 'customer_segments')()) }}
{%- endmacro %}

{% macro default__cte_not_materialized() -%}{%- endmacro %}

{% macro duckdb__cte_not_materialized() -%}
    not materialized
{%- endmacro %}
