{#-
    True for the version of a row that was the known state on `as_of_date`: known from
    `valid_from_date` (null: since forever) until the next version's `valid_to_date`
    (null: still current). `valid_from_date <= D`, because a drop known from D is there
    for a build at D (see macro `drop_known_date`). A row with no version known on D yet
    (its first drop is later) is not there at all.
-#}
{% macro is_version_known_on(as_of_date, relation_name) -%}
    ({{ relation_name }}.valid_from_date is null or {{ relation_name }}.valid_from_date <= {{ as_of_date }})
    and ({{ relation_name }}.valid_to_date is null or {{ relation_name }}.valid_to_date > {{ as_of_date }})
{%- endmacro %}
