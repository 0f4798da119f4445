{#-
    True when `value` falls in the response window of a segmentation run in the relation
    `run_windows`: from the run's as-of date (inclusive) to the next run's (exclusive).
-#}
{% macro in_run_window(value, run_windows) -%}
    {{ value }} >= {{ run_windows }}.window_start_at
    and {{ value }} < {{ run_windows }}.window_end_at
{%- endmacro %}
