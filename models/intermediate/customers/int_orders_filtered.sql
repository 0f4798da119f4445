{#- Orders placed before the as-of date (any status), with the flags the customer features count. -#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

final as (
    select
        -- ids
        orders.order_id,
        orders.customer_id,

        -- strings
        orders.order_status,
        orders.sales_channel,

        -- numerics
        orders.order_total,
        orders.discount_total,

        -- dates and timestamps
        as_of.as_of_date,
        orders.ordered_date,
        orders.ordered_at,

        -- booleans
        orders.is_purchase,
        orders.order_status = 'returned' as is_returned,
        orders.discount_total > 0 as has_discount

    from orders
    cross join as_of
    where orders.ordered_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
)

select * from final
