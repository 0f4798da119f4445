{#-
    The daily grain of the CLV models: one row per customer and day with at least one
    purchase (an order with is_purchase, in the version known on the as-of date) before
    the as-of date. Several purchases on one day count as one purchase of their summed
    revenue.
-#}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_date') }}
),

purchases as (
    select
        orders.customer_id,
        orders.ordered_date,
        orders.order_total
    from orders
    cross join as_of_dates
    where
        orders.is_purchase
        and orders.ordered_date < as_of_dates.as_of_date
        and {{ is_version_known_on('as_of_dates.as_of_date', 'orders') }}
),

final as (
    select
        -- ids
        customer_id,

        -- dates
        ordered_date as purchase_date,

        -- numerics
        count(*) as order_count,
        sum(order_total) as purchase_revenue

    from purchases
    group by 1, 2
)

select * from final
