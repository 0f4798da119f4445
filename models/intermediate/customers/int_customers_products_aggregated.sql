{#-
    What each customer bought in completed orders before the as-of date, from the order
    items: distinct product categories, the top category by revenue, and the mean basket
    value used to price abandoned carts (docs block `abandoned_cart_value`). Customers with
    no items (or no order-items table) have no row. A table: read by the web features and
    dim_customers, and it scans every order item.
-#}

{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_filtered') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

purchased_items as (
    select
        orders.customer_id,
        orders.order_id,
        order_items.product_category,
        order_items.quantity,
        order_items.line_total
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    where orders.is_purchase
),

customer_totals as (
    select
        customer_id,
        count(distinct case when product_category <> 'unknown' then product_category end)
            as product_category_count,
        count(distinct order_id) as item_order_count,
        sum(quantity) as item_quantity,
        sum(line_total) as item_revenue
    from purchased_items
    group by 1
),

category_revenue as (
    select
        customer_id,
        product_category,
        sum(line_total) as category_revenue
    from purchased_items
    group by 1, 2
),

top_categories as (
    -- highest revenue; `unknown` only when nothing else was bought; ties go to the name
    select
        customer_id,
        product_category as top_product_category
    from (
        select
            *,
            row_number() over (
                partition by customer_id
                order by
                    case when product_category = 'unknown' then 1 else 0 end,
                    category_revenue desc,
                    product_category asc
            ) as category_rank
        from category_revenue
    ) as ranked_categories
    where category_rank = 1
),

final as (
    select
        -- ids
        customer_totals.customer_id,

        -- strings
        top_categories.top_product_category,

        -- numerics
        customer_totals.product_category_count,
        customer_totals.item_order_count,
        customer_totals.item_quantity,
        customer_totals.item_revenue,
        cast(customer_totals.item_revenue as {{ type_double() }}) / customer_totals.item_order_count
            as avg_basket_value

    from customer_totals
    left join top_categories
        on customer_totals.customer_id = top_categories.customer_id
)

select * from final
