{#-
    Every customer who objected to profiling is in the placeholder segment and nobody else is
    (docs block `profiling_objection_segment`).
-#}

{%- set segment_ids = special_segment_ids() %}

with

customer_segments as (
    select * from {{ ref('int_customer_segments_finalized') }}
),

objections as (
    select * from {{ ref('int_profiling_objections') }}
)

select
    customer_segments.customer_id,
    customer_segments.segment_id,
    objections.customer_id as objected_customer_id
from customer_segments
left join objections
    on customer_segments.customer_id = objections.customer_id
where
    (objections.customer_id is not null)
    <> (customer_segments.segment_id = {{ segment_ids.profiling_objection }})
