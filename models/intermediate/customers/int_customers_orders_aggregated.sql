{#-
    Order history of each customer with at least one order before the as-of date:
    recency, frequency and monetary values (docs blocks `order_count`, `total_revenue`, ...),
    returns, discounts and sales channels. Only completed orders (`is_purchase`) count as
    purchases; returns are counted over all orders. A table: read by the RFM models, the
    product and web features and dim_customers.
-#}

{{ config(materialized='table') }}

{#- Canonical sales channels get a share column each; any other value counts as `other`. -#}
{%- set sales_channels = ['web', 'app', 'store', 'marketplace'] %}
{%- set channel_groups = sales_channels + ['other'] %}

with

orders as (
    select * from {{ ref('int_orders_filtered') }}
),

purchases as (
    select
        *,
        case
            {%- for sales_channel in sales_channels %}
                when sales_channel = '{{ sales_channel }}' then sales_channel
            {%- endfor %}
            else 'other'
        end as channel_group
    from orders
    where is_purchase
),

order_totals as (
    select
        customer_id,
        max(as_of_date) as as_of_date,
        count(*) as all_order_count,
        sum(case when is_returned then 1 else 0 end) as returned_order_count
    from orders
    group by 1
),

purchase_totals as (
    select
        customer_id,
        count(*) as order_count,
        sum(order_total) as total_revenue,
        sum(discount_total) as total_discount,
        sum(case when has_discount then 1 else 0 end) as discounted_order_count,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        {%- for channel_group in channel_groups %}
            sum(case when channel_group = '{{ channel_group }}' then 1 else 0 end)
                as {{ channel_group }}_order_count{% if not loop.last %},{% endif %}
        {%- endfor %}
    from purchases
    group by 1
),

channel_counts as (
    select
        customer_id,
        sales_channel,
        count(*) as channel_order_count,
        max(ordered_at) as channel_last_ordered_at
    from purchases
    group by 1, 2
),

preferred_channels as (
    -- most purchases; ties go to the channel used most recently, then to the name
    select
        customer_id,
        sales_channel as preferred_sales_channel
    from (
        select
            *,
            row_number() over (
                partition by customer_id
                order by channel_order_count desc, channel_last_ordered_at desc, sales_channel asc
            ) as channel_rank
        from channel_counts
    ) as ranked_channels
    where channel_rank = 1
),

final as (
    select
        -- ids
        order_totals.customer_id,

        -- strings
        preferred_channels.preferred_sales_channel,

        -- numerics
        order_totals.all_order_count,
        coalesce(purchase_totals.order_count, 0) as order_count,
        order_totals.returned_order_count,
        coalesce(purchase_totals.total_revenue, 0) as total_revenue,
        coalesce(purchase_totals.total_discount, 0) as total_discount,
        cast(purchase_totals.total_revenue as {{ type_double() }}) / purchase_totals.order_count as avg_order_value,
        {{ dbt.datediff('purchase_totals.last_order_date', 'order_totals.as_of_date', 'day') }}
            as days_since_last_order,
        {{ dbt.datediff('purchase_totals.first_order_date', 'order_totals.as_of_date', 'day') }}
            as tenure_days,
        cast(order_totals.returned_order_count as {{ type_double() }}) / order_totals.all_order_count as return_rate,
        cast(purchase_totals.total_discount as {{ type_double() }})
        / nullif(purchase_totals.total_revenue + purchase_totals.total_discount, 0)
            as discount_share_of_revenue,
        cast(purchase_totals.discounted_order_count as {{ type_double() }}) / purchase_totals.order_count
            as discount_share_of_orders,
        {%- for channel_group in channel_groups %}
            cast(purchase_totals.{{ channel_group }}_order_count as {{ type_double() }}) / purchase_totals.order_count
                as share_orders_{{ channel_group }},
        {%- endfor %}

        -- booleans
        coalesce(purchase_totals.order_count, 0) > 0 as has_ordered,

        -- dates
        order_totals.as_of_date,
        purchase_totals.first_order_date,
        purchase_totals.last_order_date

    from order_totals
    left join purchase_totals
        on order_totals.customer_id = purchase_totals.customer_id
    left join preferred_channels
        on order_totals.customer_id = preferred_channels.customer_id
)

select * from final
