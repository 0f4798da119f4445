-- Segment 0 ("No purchase yet") holds exactly the customers without a completed order who
-- did not object to profiling: an objector without an order is in segment -2 (docs block
-- `profiling_objection_segment`).

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
)

select
    customer_id,
    segment_id,
    has_ordered,
    is_profiling_objection
from customer_segments
where (segment_id = {{ special_segment_ids().no_purchase }}) <> (not has_ordered and not is_profiling_objection)
