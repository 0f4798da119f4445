{#-
    Category values that no mapping seed knows, counted over staged rows. They are staged
    as `unknown`; add them to the seed named in `mapping_seed` to map them.
-#}

{%- set unmapped_columns = [
    ('shop_orders', 'order_status', 'base_shop__orders', 'unmapped_status', 'map_order_statuses'),
    ('crm_customers', 'country_code', 'base_crm__customers', 'unmapped_country_code', 'country_codes'),
    ('web_events', 'event_type', 'base_web__events', 'unmapped_event_type', 'map_web_event_types'),
    ('web_events', 'traffic_source', 'base_web__events', 'unmapped_traffic_source', 'map_traffic_sources'),
    ('web_events', 'device_type', 'base_web__events', 'unmapped_device_type', 'map_device_types'),
    ('support_tickets', 'topic', 'base_support__tickets', 'unmapped_topic', 'map_ticket_topics'),
    ('marketing_events', 'event_type', 'base_marketing__events', 'unmapped_event_type', 'map_marketing_event_types'),
] %}

with

unioned as (
    {% for source_table, column_name, model_name, unmapped_column, seed_name in unmapped_columns -%}
        select
            '{{ source_table }}' as source_table,
            '{{ column_name }}' as column_name,
            '{{ seed_name }}' as mapping_seed,
            {{ unmapped_column }} as source_value,
            count(*) as row_count
        from {{ ref(model_name) }}
        where reject_reason is null and {{ unmapped_column }} is not null
        group by {{ unmapped_column }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.concat(['source_table', "'.'", 'column_name', "'='", 'source_value']) }} as unmapped_value_id,
        source_table,
        column_name,
        mapping_seed,
        source_value,
        row_count
    from unioned
)

select * from final
