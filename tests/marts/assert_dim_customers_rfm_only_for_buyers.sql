-- A customer has RFM scores and a segment exactly when they have a completed order
-- before the as-of date (has_ordered) and did not object to profiling, and then all four.
with

dim_customers as (
    select * from {{ ref('dim_customers') }}
)

select
    customer_id,
    has_ordered,
    is_profiling_objection,
    rfm_recency_score,
    rfm_frequency_score,
    rfm_monetary_score,
    rfm_segment
from dim_customers
where
    (
        has_ordered
        and not is_profiling_objection
        and (
            rfm_recency_score is null
            or rfm_frequency_score is null
            or rfm_monetary_score is null
            or rfm_segment is null
        )
    )
    or (
        not (has_ordered and not is_profiling_objection)
        and (
            rfm_recency_score is not null
            or rfm_frequency_score is not null
            or rfm_monetary_score is not null
            or rfm_segment is not null
            or (not has_ordered and order_count > 0)
        )
    )
