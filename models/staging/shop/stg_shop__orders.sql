with

validated_orders as (
    select * from {{ ref('base_shop__orders') }}
),

final as (
    select
        -- ids
        order_id,
        customer_id,

        -- strings
        order_status,
        currency_code,
        sales_channel,

        -- numerics
        order_total_original,
        discount_total_original,
        rate_to_reporting,
        order_total,
        discount_total,

        -- booleans
        is_purchase,

        -- dates and timestamps
        ordered_at,
        cast(ordered_at as date) as ordered_date,

        -- point in time: the version known from valid_from_date until valid_to_date
        valid_from_date,
        valid_to_date

    from validated_orders
    where reject_reason is null
)

select * from final
