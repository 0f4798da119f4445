{#- This build's run is in fct_segment_history with exactly the customers and segments of the build. -#}

with

customer_segments as (
    select * from {{ ref('int_customer_segments_finalized') }}
),

segment_history as (
    select * from {{ ref('fct_segment_history') }}
),

run_keys as (
    select distinct
        as_of_date,
        model_version
    from customer_segments
),

this_run as (
    select segment_history.*
    from segment_history
    inner join run_keys
        on
            segment_history.as_of_date = run_keys.as_of_date
            and segment_history.model_version = run_keys.model_version
)

select
    customer_segments.segment_id as build_segment_id,
    this_run.segment_id as history_segment_id,
    coalesce(customer_segments.customer_id, this_run.customer_id) as customer_id
from customer_segments
full outer join this_run
    on customer_segments.customer_id = this_run.customer_id
where
    customer_segments.customer_id is null
    or this_run.customer_id is null
    or customer_segments.segment_id <> this_run.segment_id
