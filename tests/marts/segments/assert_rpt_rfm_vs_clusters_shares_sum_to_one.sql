-- The cross-tab covers every customer once: shares sum to 1 over the table, per RFM segment
-- and per segment.

with

crosstab as (
    select * from {{ ref('rpt_rfm_vs_clusters') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

per_rfm_segment as (
    select
        'rfm_segment ' || rfm_segment as checked_group,
        sum(share_of_rfm_segment) as share_sum
    from crosstab
    group by 1
),

per_segment as (
    select
        'segment ' || cast(segment_id as {{ dbt.type_string() }}) as checked_group,
        sum(share_of_segment) as share_sum
    from crosstab
    group by 1
),

overall as (
    select
        'all customers' as checked_group,
        sum(share_of_customers) as share_sum
    from crosstab
),

checked as (
    select * from per_rfm_segment
    union all
    select * from per_segment
    union all
    select * from overall
)

select
    checked_group,
    share_sum
from checked
where abs(share_sum - 1) > 1e-9
union all
select
    'customer count' as checked_group,
    cast(sum(customer_count) as {{ type_double() }}) as share_sum
from crosstab
having sum(customer_count) != (select count(*) from customers)
