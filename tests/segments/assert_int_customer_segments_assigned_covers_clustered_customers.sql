-- Every clustered customer (int_segment_features: a completed order, no objection to
-- profiling) has exactly one segment in
-- int_customer_segments_assigned, and nobody else has one. Fails with one row per missing or extra
-- customer.
with

clustered_customers as (
    select * from {{ ref('int_segment_features') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_assigned') }}
)

select
    coalesce(clustered_customers.customer_id, customer_segments.customer_id) as customer_id,
    clustered_customers.customer_id is null as is_extra
from clustered_customers
full outer join customer_segments
    on clustered_customers.customer_id = customer_segments.customer_id
where clustered_customers.customer_id is null or customer_segments.customer_id is null
