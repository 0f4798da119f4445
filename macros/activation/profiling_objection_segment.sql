{#-
    The placeholder segment of customers who objected to profiling (docs block
    `profiling_objection_segment`), defined once for the models that assign, describe and
    test it: its fixed id, name, description, recommended action and membership rule.
-#}
{% macro profiling_objection_segment() -%}
    {{ return({
        'segment_id': special_segment_ids().profiling_objection,
        'segment_name': 'Not profiled (objection)',
        'segment_description': 'Customers who objected to profiling (suppression-list reason '
            ~ '`objected_to_profiling`). They are not clustered, scored or described: this '
            ~ 'segment only counts them, and they are in no activation export.',
        'recommended_action': 'none: objected to profiling, no segment-based targeting',
        'rule_text': 'is_profiling_objection = true',
    }) }}
{%- endmacro %}
