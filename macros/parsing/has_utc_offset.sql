{#- True when timestamp text ends in a UTC offset (`Z`, `+02`, `+0200`, `-05:00`) after a time of day. -#}
{% macro has_utc_offset(column_name) -%}
    {{ matches_pattern(
        'trim(' ~ column_name ~ ')', '.*[0-9]:[0-9]{2}([:.0-9]*) ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)'
    ) }}
{%- endmacro %}
