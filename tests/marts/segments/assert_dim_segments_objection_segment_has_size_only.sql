{#-
    dim_segments has the placeholder segment -2 exactly when some customer objected to
    profiling, counting exactly them, with its fixed texts, its size and no other figure
    (docs block `profiling_objection_segment`); no other segment is flagged as the
    placeholder. Fails with one row per violation.
-#}

{%- set objection_segment = profiling_objection_segment() %}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

objections as (
    select * from {{ ref('int_profiling_objections') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

objector_count as (
    select count(*) as customer_count
    from customers
    inner join objections
        on customers.customer_id = objections.customer_id
),

placeholder_count as (
    select coalesce(sum(customer_count), 0) as customer_count
    from segments
    where segment_id = {{ objection_segment.segment_id }}
)

select
    {{ objection_segment.segment_id }} as segment_id,
    'customer_count of segment -2 is not the number of objectors' as violation
from objector_count
cross join placeholder_count
where objector_count.customer_count <> placeholder_count.customer_count

union all

select
    segment_id,
    'flag, texts or figures of segment -2 wrong' as violation
from segments
where
    is_profiling_objection_segment <> (segment_id = {{ objection_segment.segment_id }})
    or (
        segment_id = {{ objection_segment.segment_id }}
        and (
            segment_name <> '{{ objection_segment.segment_name }}'
            or recommended_action <> '{{ objection_segment.recommended_action }}'
            or customer_share is null
            or ordering_customer_count is not null
            or order_count is not null
            or total_revenue is not null
            or revenue_share is not null
            or mean_predicted_clv is not null
            or mean_churn_probability is not null
            or churn_rate is not null
            or web_session_count is not null
            or sent_campaign_count is not null
            or rfm_segment_mix is not null
            or age_band_mix is not null
            or country_mix is not null
            or distinguishing_features is not null
        )
    )
