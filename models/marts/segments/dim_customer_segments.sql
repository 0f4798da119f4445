{#-
    One row per customer of dim_customers with the segment of this build after merges and its
    name and recommended action (docs block `dim_customer_segments_grain`): what BI tools and
    the CRM, email and ads activations read. Customers without a completed order are in the
    rule-based segment 0; customers who objected to profiling are in the placeholder segment
    -2 (docs block `profiling_objection_segment`), with its fixed name and action and without
    RFM segment, churn probability or CLV. No personal data. The segment is decided in
    int_customer_segments_finalized (with the control-group draw, which stays internal).
-#}

with

customer_segments as (
    select * from {{ ref('int_customer_segments_finalized') }}
),

final as (
    select
        -- ids
        customer_id,
        segment_id,
        model_segment_id,
        model_version,

        -- strings
        segment_name,
        recommended_action,
        rfm_segment,

        -- numerics
        distance_to_centroid,
        membership_probability,
        churn_probability,
        predicted_clv,

        -- booleans
        has_ordered,
        is_profiling_objection,
        is_outlier,
        is_merged,
        is_churned,
        is_active,
        is_marketing_opt_in,
        has_unsubscribed,
        has_bounced,

        -- dates
        as_of_date

    from customer_segments
)

select * from final
