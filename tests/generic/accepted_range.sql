{#-
    Fails for each row whose `column_name` lies outside [min_value, max_value]
    (bounds optional; `inclusive=false` makes them strict). Nulls pass: pair with not_null.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- set lower_op = '>=' if inclusive else '>' -%}
    {%- set upper_op = '<=' if inclusive else '<' -%}

with

tested as (
    select {{ column_name }} as tested_value from {{ model }}
)

select tested_value
from tested
where
    tested_value is not null
    and not (
        1 = 1
        {%- if min_value is not none %}
        and tested_value {{ lower_op }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        and tested_value {{ upper_op }} {{ max_value }}
        {%- endif %}
    )
{% endtest %}
