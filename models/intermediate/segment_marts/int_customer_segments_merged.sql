{#-
    Every customer of dim_customers with the segment of this build after the merges of seed
    segment_overrides (docs block `segment_merges`), decided in this order:

    1. customers who objected to profiling (int_profiling_objections) get the placeholder
       segment -2 (docs block `profiling_objection_segment`), also when they never ordered:
       they are not clustered and must not be described by any rule;
    2. customers without a completed order get the rule-based segment 0 (docs block
       `no_purchase_segment`);
    3. everyone else (exactly the customers of int_segment_features) gets the cluster from
       int_customer_segments_assigned, mapped through int_segment_merges_resolved.

    `is_churned` / `is_active` apply var `churn_window_days` (docs block `churn_window_days`).
-#}

{%- set no_purchase_segment_id = special_segment_ids().no_purchase %}
{%- set objection_segment_id = special_segment_ids().profiling_objection %}
{%- set churn_window_days = var('churn_window_days') %}

with

customers as (
    select * from {{ ref('int_customers_joined') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_assigned') }}
),

segment_merges as (
    select * from {{ ref('int_segment_merges_resolved') }}
),

profiling_objections as (
    select * from {{ ref('int_profiling_objections') }}
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
            when profiling_objections.customer_id is not null then {{ objection_segment_id }}
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
        profiling_objections.customer_id is not null as is_profiling_objection,
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
    left join profiling_objections
        on customers.customer_id = profiling_objections.customer_id
)

select * from final
