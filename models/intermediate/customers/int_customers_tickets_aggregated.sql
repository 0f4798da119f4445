{#-
    Support history of each customer before the as-of date (docs block `support_features`):
    tickets opened before it, each in the version known on it (an open ticket whose
    resolution arrived in a later drop counts as open); a ticket resolved on or after it
    counts as open.
-#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

tickets_before_as_of as (
    select
        tickets.customer_id,
        tickets.satisfaction_score,
        tickets.is_complaint,
        tickets.resolved_at is not null
        and tickets.resolved_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
            as is_resolved_before_as_of,
        tickets.resolution_hours
    from tickets
    cross join as_of
    where
        tickets.created_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
        and {{ is_version_known_on('as_of.as_of_date', 'tickets') }}
),

final as (
    select
        -- ids
        customer_id,

        -- numerics
        count(*) as ticket_count,
        sum(case when is_complaint then 1 else 0 end) as complaint_ticket_count,
        cast(sum(case when is_complaint then 1 else 0 end) as {{ type_double() }}) / count(*) as complaint_share,
        {{ avg_as_double('satisfaction_score') }} as avg_satisfaction_score,
        -- exact_avg: resolution hours are floating point, and a plain avg could differ in the
        -- last digits between two builds of the same data
        {{ exact_avg('case when is_resolved_before_as_of then resolution_hours end') }}
            as avg_resolution_hours,
        sum(case when is_resolved_before_as_of then 0 else 1 end) as open_ticket_count

    from tickets_before_as_of
    group by 1
)

select * from final
