{#-
    One row per customer of this build (the companion of dim_customers, docs block
    `customer_segment_changes`): the current segment, the segment before it and when the
    customer moved, from the runs of fct_segment_history up to this build's run. Runs are
    ordered by as-of date, then model version; runs the customer is absent from are
    skipped, so "previous" is the last different segment the customer was recorded in.
-#}

with

customer_segments as (
    select * from {{ ref('int_customer_segments_finalized') }}
),

segment_history as (
    select * from {{ ref('fct_segment_history') }}
),

current_run as (
    select
        max(as_of_date) as as_of_date,
        max(model_version) as model_version
    from customer_segments
),

history_until_current_run as (
    select segment_history.*
    from segment_history
    cross join current_run
    where
        segment_history.as_of_date < current_run.as_of_date
        or (
            segment_history.as_of_date = current_run.as_of_date
            and segment_history.model_version <= current_run.model_version
        )
),

sequenced as (
    select
        customer_id,
        segment_id,
        segment_name,
        as_of_date,
        model_version,
        lag(segment_id) over (
            partition by customer_id order by as_of_date, model_version
        ) as previous_run_segment_id,
        lag(segment_name) over (
            partition by customer_id order by as_of_date, model_version
        ) as previous_run_segment_name,
        row_number() over (
            partition by customer_id order by as_of_date desc, model_version desc
        ) as recency_rank
    from history_until_current_run
),

flagged as (
    select
        *,
        previous_run_segment_id is not null
        and previous_run_segment_id <> segment_id as is_change
    from sequenced
),

changes_ranked as (
    select
        customer_id,
        previous_run_segment_id,
        previous_run_segment_name,
        as_of_date,
        row_number() over (
            partition by customer_id order by as_of_date desc, model_version desc
        ) as change_rank
    from flagged
    where is_change
),

customer_summaries as (
    select
        customer_id,
        count(*) as runs_recorded,
        sum(case when is_change then 1 else 0 end) as segment_change_count,
        min(as_of_date) as first_recorded_date
    from flagged
    group by 1
),

latest_records as (
    select * from flagged
    where recency_rank = 1
),

latest_changes as (
    select * from changes_ranked
    where change_rank = 1
),

joined as (
    select
        customer_segments.customer_id,
        customer_segments.segment_id as current_segment_id,
        customer_segments.segment_name as current_segment_name,
        customer_segments.model_version,
        customer_segments.as_of_date,
        latest_changes.previous_run_segment_id as previous_segment_id,
        latest_changes.previous_run_segment_name as previous_segment_name,
        latest_changes.as_of_date as segment_changed_date,
        latest_records.previous_run_segment_id,
        customer_summaries.first_recorded_date,
        coalesce(customer_summaries.runs_recorded, 0) as runs_recorded,
        coalesce(customer_summaries.segment_change_count, 0) as segment_change_count,
        latest_changes.customer_id is not null as has_changed_segment,
        coalesce(latest_records.is_change, false) as has_changed_this_run,
        coalesce(latest_changes.as_of_date, customer_summaries.first_recorded_date) as segment_since_date
    from customer_segments
    left join latest_records
        on customer_segments.customer_id = latest_records.customer_id
    left join latest_changes
        on customer_segments.customer_id = latest_changes.customer_id
    left join customer_summaries
        on customer_segments.customer_id = customer_summaries.customer_id
),

final as (
    select
        -- ids
        customer_id,
        current_segment_id,
        previous_segment_id,
        previous_run_segment_id,
        model_version,

        -- strings
        current_segment_name,
        previous_segment_name,

        -- numerics
        runs_recorded,
        segment_change_count,

        -- booleans
        has_changed_segment,
        has_changed_this_run,

        -- dates
        segment_changed_date,
        segment_since_date,
        first_recorded_date,
        as_of_date

    from joined
)

select * from final
