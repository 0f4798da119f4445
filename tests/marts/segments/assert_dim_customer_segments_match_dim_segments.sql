-- Every customer of dim_customers has exactly one segment, and the customers per segment
-- in dim_customer_segments are the customer counts of dim_segments (no segment missing on
-- either side).

with

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

customer_totals as (
    select count(*) as customer_count from customers
),

assigned_totals as (
    select count(*) as customer_count from customer_segments
),

segment_counts as (
    select
        segment_id,
        count(*) as customer_count
    from customer_segments
    group by 1
),

compared as (
    select
        segment_counts.customer_count as assigned_count,
        segments.customer_count as reported_count,
        coalesce(segment_counts.segment_id, segments.segment_id) as segment_id
    from segment_counts
    full outer join segments
        on segment_counts.segment_id = segments.segment_id
)

select
    compared.segment_id,
    compared.assigned_count,
    compared.reported_count,
    customer_totals.customer_count
from compared
cross join customer_totals
cross join assigned_totals
where
    compared.assigned_count is null
    or compared.reported_count is null
    or compared.assigned_count != compared.reported_count
    or customer_totals.customer_count != assigned_totals.customer_count
