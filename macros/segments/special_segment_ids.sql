{#-
    The reserved segment ids (docs block `special_segment_ids`), defined once for SQL; the
    Python package defines them once in `custseg.segment_ids`, and a pytest checks that the
    two agree. Clusters get ids from `first_cluster` upwards.
-#}
{% macro special_segment_ids() -%}
    {{ return({
        'no_purchase': 0,
        'noise': -1,
        'profiling_objection': -2,
        'first_cluster': 1,
    }) }}
{%- endmacro %}
