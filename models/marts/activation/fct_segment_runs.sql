{#-
    The runs of fct_segment_history up to this build's as-of date, one row per run
    (as-of date, model version; docs block `segment_history`), numbered in order of as-of
    date, then model version, with the previous and next run. fct_segment_migrations and
    rpt_segment_drift both compare consecutive runs through this one ordering. A mart of
    its own (the runs as analysts see them), built from the fct_segment_history mart.
-#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

segment_history as (
    select * from {{ ref('fct_segment_history') }}
),

runs as (
    select
        segment_history.as_of_date,
        segment_history.model_version,
        count(*) as run_customer_count,
        sum(case when segment_history.has_ordered then 1 else 0 end) as run_ordering_customer_count
    from segment_history
    cross join as_of
    where segment_history.as_of_date <= as_of.as_of_date
    group by 1, 2
),

final as (
    select
        -- ids
        runs.model_version,

        -- numerics
        runs.run_customer_count,
        runs.run_ordering_customer_count,

        -- dates
        runs.as_of_date,

        -- the run's place among the runs
        cast(
            row_number() over (order by runs.as_of_date, runs.model_version) as {{ dbt.type_bigint() }}
        ) as run_number,
        count(*) over () as run_count,
        lag(runs.model_version) over (
            order by runs.as_of_date, runs.model_version
        ) as previous_model_version,
        lag(runs.run_customer_count) over (
            order by runs.as_of_date, runs.model_version
        ) as previous_run_customer_count,
        lag(runs.as_of_date) over (order by runs.as_of_date, runs.model_version) as previous_as_of_date,
        -- the next run's as-of date, or this build's for the latest run
        coalesce(
            lead(runs.as_of_date) over (order by runs.as_of_date, runs.model_version),
            as_of.as_of_date
        ) as next_as_of_date

    from runs
    cross join as_of
)

select * from final
