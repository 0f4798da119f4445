with

validated_order_items as (
    select * from {{ ref('base_shop__order_items') }}
),

final as (
    select
        -- ids
        order_item_id,
        order_id,
        product_id,

        -- strings
        product_category,

        -- numerics
        quantity,
        unit_price_original,
        unit_price,
        line_total

    from validated_order_items
    where reject_reason is null
)

select * from final
