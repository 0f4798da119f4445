{#-
    SQL for a hook that holds the build at `phase` when env SEGMENTS_PAUSE_AT names it
    (src/custseg/pause_points.py; the kill tests use it). DuckDB calls the plugin's
    `segments_pause_point`; other engines have no pause points and run a no-op.
-#}
{% macro pause_point(phase) -%}
    {{ return(adapter.dispatch('pause_point', 'customer_segments')(phase)) }}
{%- endmacro %}

{% macro default__pause_point(phase) -%}
    select 1 as no_pause_point
{%- endmacro %}

{% macro duckdb__pause_point(phase) -%}
    select segments_pause_point('{{ phase }}') as pause_point
{%- endmacro %}
