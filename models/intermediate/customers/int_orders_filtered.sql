{#-
    Orders placed before the as-of date (any status), each in the version known on the as-of
    date (macro `is_version_known_on`: a later return is not seen by an earlier build), with
    the flags the customer features count.
-#}

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
    where
        orders.ordered_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
        and {{ is_version_known_on('as_of.as_of_date', 'orders') }}
)

select * from final
