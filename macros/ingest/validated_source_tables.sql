{#-
    Every raw source table with its validation (`base_`) model, as (source_table, model_name)
    pairs: the one list the rejected-rows union and the ingestion summary iterate over.
    A new source is added here once.
-#}
{% macro validated_source_tables() -%}
    {{ return([
        ('shop_orders', 'base_shop__orders'),
        ('shop_order_items', 'base_shop__order_items'),
        ('crm_customers', 'base_crm__customers'),
        ('web_events', 'base_web__events'),
        ('support_tickets', 'base_support__tickets'),
        ('marketing_campaigns', 'base_marketing__campaigns'),
        ('marketing_events', 'base_marketing__events'),
        ('suppression_list', 'base_privacy__suppression_list'),
    ]) }}
{%- endmacro %}
