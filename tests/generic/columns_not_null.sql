{#-
    Fails for each row in which any of `column_names` is null: the not_null guarantees of a
    model without an enforced contract (Python models, views), in one query over the model.
-#}
{% test columns_not_null(model, column_names) %}

select *
from {{ model }}
where
    {% for column_name in column_names -%}
        {{ column_name }} is null{% if not loop.last %} or {% endif %}
    {%- endfor %}
{% endtest %}
