{#-
    Segment assignments of every run (docs block `segment_history`): one row per customer,
    as-of date and model version. Incremental with `full_refresh: false`: each build
    replaces its own run's rows (unique key customer_id + as_of_date + model_version, so a
    rerun of a run never duplicates a customer) and keeps every other run, also through
    `--full-refresh`. A customer that a rerun of the same run no longer has keeps the row of
    the earlier attempt.
-#}

-- depends_on: {{ ref('erasure_requests') }}
{#- delete+insert by the unique key; on Spark, an overwrite of this run's partitions. -#}
{{ config(**run_history_incremental_config(['as_of_date', 'model_version'])) }}

with

customer_segments as (
    select * from {{ ref('int_customer_segments_finalized') }}
),

final as (
    select
        -- ids
        customer_id,
        segment_id,
        model_version,

        -- strings
        segment_name,

        -- booleans
        is_control_group,
        is_profiling_objection,
        has_ordered,
        is_churned,

        -- dates
        as_of_date

    from customer_segments
)

select * from final
