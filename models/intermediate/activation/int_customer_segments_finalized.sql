{#-
    Every customer of this build with the segment activation and history use: the segment
    of dim_customer_segments (customers who objected to profiling are already in the
    placeholder segment -2 there, without any profile figure; docs block
    `profiling_objection_segment`), and the control-group draw (docs block `control_groups`).
    No personal data: contacts and consent are joined only in int_activation_audience.

    The draw is the portable macro `control_group_bucket`, which must equal
    custseg.activation.is_in_control_group (pytest checks both agree). Segment -2 is never
    in the control group: it gets no segment-based treatment to hold out from.
-#}

{%- set control_group_share = var('control_group_share', 0.1) %}

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

drawn as (
    select
        *,
        {{ control_group_bucket('model_version', 'customer_id') }} as control_group_bucket
    from customer_segments
),

final as (
    select
        -- ids
        customer_id,
        segment_id,
        model_version,

        -- strings
        segment_name,
        recommended_action,
        rfm_segment,

        -- numerics
        churn_probability,
        predicted_clv,
        control_group_bucket,

        -- booleans
        control_group_bucket < {{ control_group_share }}
        and not is_profiling_objection as is_control_group,
        is_profiling_objection,
        has_ordered,
        is_churned,
        is_marketing_opt_in,
        has_unsubscribed,
        has_bounced,

        -- dates
        as_of_date

    from drawn
)

select * from final
