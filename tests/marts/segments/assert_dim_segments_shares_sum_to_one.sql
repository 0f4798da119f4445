-- Customer shares of all segments sum to 1, and so do revenue shares when there is revenue.

with

segments as (
    select * from {{ ref('dim_segments') }}
),

summed as (
    select
        sum(customer_share) as customer_share_sum,
        sum(revenue_share) as revenue_share_sum,
        sum(total_revenue) as total_revenue
    from segments
)

select * from summed
where
    abs(customer_share_sum - 1) > 1e-9
    or (total_revenue > 0 and abs(revenue_share_sum - 1) > 1e-9)
