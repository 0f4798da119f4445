-- Segment 0 ("No purchase yet") holds exactly the customers without a completed order.

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
)

select
    customer_id,
    segment_id,
    has_ordered
from customer_segments
where (segment_id = 0) = has_ordered
