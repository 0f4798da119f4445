-- Shares of orders per sales channel and of sessions per traffic source and per device
-- each sum to 1 for a customer who has them (and are all null otherwise).
{%- set order_shares = ['web', 'app', 'store', 'marketplace', 'other'] %}
{%- set source_shares = [
    'direct', 'organic_search', 'paid_search', 'email', 'social', 'paid_social', 'referral',
    'unknown',
] %}
{%- set device_shares = ['desktop', 'mobile', 'tablet', 'unknown'] %}

with

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

summed as (
    select
        customer_id,
        order_count,
        web_session_count,
        {% for share in order_shares -%}
            share_orders_{{ share }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as order_share_sum,
        {% for share in source_shares -%}
            share_sessions_source_{{ share }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as source_share_sum,
        {% for share in device_shares -%}
            share_sessions_device_{{ share }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as device_share_sum
    from dim_customers
)

select * from summed
where
    (order_count > 0 and abs(order_share_sum - 1) > 1e-9)
    or (order_count = 0 and order_share_sum is not null)
    or (web_session_count > 0 and abs(source_share_sum - 1) > 1e-9)
    or (web_session_count > 0 and abs(device_share_sum - 1) > 1e-9)
    or (web_session_count = 0 and (source_share_sum is not null or device_share_sum is not null))
