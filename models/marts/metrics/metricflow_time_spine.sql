{#-
    The daily time spine MetricFlow needs (docs block `metricflow_time_spine`): one row per
    day from var `time_spine_start` to var `time_spine_end` (exclusive), built with dbt's
    portable `date_spine` macro.
-#}

with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('time_spine_start') ~ "' as date)",
        "cast('" ~ var('time_spine_end') ~ "' as date)",
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
