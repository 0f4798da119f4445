{#-
    Every customer of dim_customers with the segment of this build after merges, its name
    and recommended action (docs block `dim_customer_segments_grain`), and the control-group
    draw (docs block `control_groups`): the one place both are decided. dim_customer_segments
    publishes the segment columns; the segment history and the activation audience read the
    control group here. Customers without a completed order are in the rule-based segment
    `no_purchase`; customers who objected to profiling are in the placeholder segment
    `profiling_objection` (macro `special_segment_ids`, docs block
    `profiling_objection_segment`), with its fixed name and action and without RFM segment,
    churn probability or CLV. No personal data: contacts and consent are joined only in
    int_activation_audience.

    The draw is the portable macro `control_group_bucket`. The placeholder segment is never
    in the control group: it gets no segment-based treatment to hold out from.
-#}

{%- set objection_segment = profiling_objection_segment() %}

with

customers as (
    select * from {{ ref('int_customers_joined') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_merged') }}
),

segment_names as (
    select * from {{ ref('int_segments_named') }}
),

joined as (
    select
        -- ids
        customer_segments.customer_id,
        customer_segments.segment_id,
        customer_segments.model_segment_id,
        customer_segments.model_version,

        -- strings
        case
            when customer_segments.is_profiling_objection
                then '{{ objection_segment.segment_name }}'
            else segment_names.segment_name
        end as segment_name,
        case
            when customer_segments.is_profiling_objection
                then '{{ objection_segment.recommended_action }}'
            else segment_names.recommended_action
        end as recommended_action,
        case when not customer_segments.is_profiling_objection then customers.rfm_segment end as rfm_segment,

        -- numerics
        customer_segments.distance_to_centroid,
        customer_segments.membership_probability,
        case
            when not customer_segments.is_profiling_objection then customers.churn_probability
        end as churn_probability,
        case
            when not customer_segments.is_profiling_objection then customers.predicted_clv
        end as predicted_clv,
        {{ control_group_bucket('customer_segments.model_version', 'customer_segments.customer_id') }}
            as control_group_bucket,

        -- booleans
        customer_segments.has_ordered,
        customer_segments.is_profiling_objection,
        customer_segments.is_outlier,
        customer_segments.is_merged,
        customer_segments.is_churned,
        customer_segments.is_active,
        customers.is_marketing_opt_in,
        customers.has_unsubscribed,
        customers.has_bounced,

        -- dates
        customer_segments.as_of_date

    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    left join segment_names
        on customer_segments.segment_id = segment_names.segment_id
),

final as (
    select
        *,
        control_group_bucket < {{ var('control_group_share') }}
        and not is_profiling_objection as is_control_group
    from joined
)

select * from final
