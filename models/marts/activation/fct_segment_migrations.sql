{#-
    Segment-to-segment transitions between consecutive runs of fct_segment_history (docs
    block `segment_migrations`), one row per run and (from, to) pair: `from_segment_id`
    null is an entry (a customer not in the previous run), `to_segment_id` null an exit (a
    customer of the previous run who is not in this one). Runs are ordered by as-of date,
    then model version; only runs up to this build's as-of date count, so the table is the
    history as of this build.
-#}

with

segment_history as (
    select * from {{ ref('fct_segment_history') }}
),

-- only runs up to this build's as-of date
ordered_runs as (
    select * from {{ ref('fct_segment_runs') }}
),

assignments as (
    select
        ordered_runs.run_number,
        segment_history.customer_id,
        segment_history.segment_id,
        segment_history.segment_name
    from segment_history
    inner join ordered_runs
        on
            segment_history.as_of_date = ordered_runs.as_of_date
            and segment_history.model_version = ordered_runs.model_version
),

previous_assignments as (
    select
        customer_id,
        segment_id,
        segment_name,
        run_number + 1 as run_number
    from assignments
),

transitions as (
    select
        previous_assignments.segment_id as from_segment_id,
        previous_assignments.segment_name as from_segment_name,
        assignments.segment_id as to_segment_id,
        assignments.segment_name as to_segment_name,
        coalesce(assignments.run_number, previous_assignments.run_number) as run_number
    from assignments
    full outer join previous_assignments
        on
            assignments.run_number = previous_assignments.run_number
            and assignments.customer_id = previous_assignments.customer_id
),

counted as (
    select
        run_number,
        from_segment_id,
        to_segment_id,
        max(from_segment_name) as from_segment_name,
        max(to_segment_name) as to_segment_name,
        count(*) as customer_count
    from transitions
    group by 1, 2, 3
),

final as (
    select
        -- ids
        {{ dbt.concat([
            dbt.cast('ordered_runs.as_of_date', dbt.type_string()), "'|'",
            dbt.cast('ordered_runs.model_version', dbt.type_string()), "'|'",
            "coalesce(" ~ dbt.cast('counted.from_segment_id', dbt.type_string()) ~ ", 'new')", "'|'",
            "coalesce(" ~ dbt.cast('counted.to_segment_id', dbt.type_string()) ~ ", 'gone')",
        ]) }} as migration_id,
        counted.from_segment_id,
        counted.to_segment_id,
        ordered_runs.model_version,
        ordered_runs.previous_model_version,

        -- strings
        counted.from_segment_name,
        counted.to_segment_name,
        case
            when counted.from_segment_id is null then 'entered'
            when counted.to_segment_id is null then 'exited'
            when counted.from_segment_id = counted.to_segment_id then 'stayed'
            else 'moved'
        end as migration_type,

        -- numerics
        ordered_runs.run_number,
        counted.customer_count,
        cast(counted.customer_count as {{ type_double() }}) / sum(counted.customer_count) over (
            partition by counted.run_number, counted.from_segment_id
        ) as share_of_from_segment,
        ordered_runs.run_customer_count,
        ordered_runs.previous_run_customer_count,

        -- dates
        ordered_runs.as_of_date,
        ordered_runs.previous_as_of_date

    from counted
    inner join ordered_runs
        on counted.run_number = ordered_runs.run_number
)

select * from final
