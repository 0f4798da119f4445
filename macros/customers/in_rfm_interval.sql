{#-
    True when `value` falls in the RFM cut-point interval (lower_bound, upper_bound] of the
    relation `cut_points`; a null bound is open. Every value falls in exactly one interval
    of its metric (docs block `rfm_scores`).
-#}
{% macro in_rfm_interval(value, cut_points) -%}
    ({{ cut_points }}.lower_bound is null or {{ value }} > {{ cut_points }}.lower_bound)
    and ({{ cut_points }}.upper_bound is null or {{ value }} <= {{ cut_points }}.upper_bound)
{%- endmacro %}
