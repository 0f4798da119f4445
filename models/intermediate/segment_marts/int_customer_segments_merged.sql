{#-
    Every customer of dim_customers with the segment of this build after the merges of seed
    segment_overrides (docs block `segment_merges`): customers with a completed order get
    their cluster from fct_customer_segments (mapped through int_segment_merges_resolved),
    customers without one get the rule-based segment 0 (docs block `no_purchase_segment`).
    `is_churned` / `is_active` apply var `churn_window_days` (docs block `churn_window_days`).
-#}

{%- set no_purchase_segment_id = 0 %}
{%- set churn_window_days = var('churn_window_days', 180) %}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_segments as (
    select * from {{ ref('fct_customer_segments') }}
),

segment_merges as (
    select * from {{ ref('int_segment_merges_resolved') }}
),

model_in_use as (
    -- every clustered customer is assigned by the same model version in one build
    select max(model_version) as model_version
    from customer_segments
),

final as (
    select
        -- ids
        customers.customer_id,
        case
            when not customers.has_ordered then {{ no_purchase_segment_id }}
            else coalesce(segment_merges.to_segment_id, customer_segments.segment_id)
        end as segment_id,
        customer_segments.segment_id as model_segment_id,
        model_in_use.model_version,

        -- numerics
        customer_segments.distance_to_centroid,
        customer_segments.membership_probability,

        -- booleans
        customers.has_ordered,
        coalesce(customer_segments.is_outlier, false) as is_outlier,
        segment_merges.to_segment_id is not null as is_merged,
        -- churned / active: the last completed order is older / not older than the window
        coalesce(customers.days_since_last_order > {{ churn_window_days }}, false) as is_churned,
        coalesce(customers.days_since_last_order <= {{ churn_window_days }}, false) as is_active,

        -- dates
        customers.as_of_date

    from customers
    cross join model_in_use
    left join customer_segments
        on customers.customer_id = customer_segments.customer_id
    left join segment_merges
        on customer_segments.segment_id = segment_merges.from_segment_id
)

select * from final
