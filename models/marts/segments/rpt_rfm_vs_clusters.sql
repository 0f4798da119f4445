{#-
    Cross-tab of the RFM segment (rules in seed rfm_segment_rules) and the segment of this
    build, one row per pair with customers (docs block `rfm_vs_clusters`). Customers without
    a completed order have no RFM segment (`none`) and are all in segment 0.
-#}

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

pair_counts as (
    select
        segment_id,
        segment_name,
        coalesce(rfm_segment, 'none') as rfm_segment,
        count(*) as customer_count
    from customer_segments
    group by 1, 2, 3
),

final as (
    select
        -- ids
        rfm_segment,
        segment_id,

        -- strings
        segment_name,

        -- numerics
        customer_count,
        cast(
            customer_count * 1.0 / sum(customer_count) over () as {{ type_double() }}
        ) as share_of_customers,
        cast(
            customer_count * 1.0 / sum(customer_count) over (partition by rfm_segment)
            as {{ type_double() }}
        ) as share_of_rfm_segment,
        cast(
            customer_count * 1.0 / sum(customer_count) over (partition by segment_id)
            as {{ type_double() }}
        ) as share_of_segment

    from pair_counts
)

select * from final
