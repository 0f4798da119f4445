{#-
    Fails for each row in which a column of `not_null_columns` is null or a condition of
    `conditions` is false (a condition that is null passes, like accepted_range). One query
    carries the row-level guarantees of a model without an enforced contract (Python
    models, views), instead of one test per column.
-#}
{% test rows_valid(model, not_null_columns=[], conditions=[]) %}

select *
from {{ model }}
where
    false
    {%- for column_name in not_null_columns %}
    or {{ column_name }} is null
    {%- endfor %}
    {%- for condition in conditions %}
    or not coalesce({{ condition }}, true)
    {%- endfor %}
{% endtest %}
