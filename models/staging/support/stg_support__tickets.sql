with

validated_tickets as (
    select * from {{ ref('base_support__tickets') }}
),

final as (
    select
        -- ids
        ticket_id,
        customer_id,

        -- strings
        channel,
        topic,

        -- numerics
        satisfaction_score,
        -- a double division: Spark would divide by the decimal 60.0 with 6 decimals only
        cast({{ dbt.datediff('created_at', 'resolved_at', 'minute') }} as {{ type_double() }})  -- noqa: LT05
        / 60 as resolution_hours,

        -- booleans
        is_complaint,
        is_resolved,

        -- dates and timestamps
        created_at,
        resolved_at,

        -- point in time: the version known from valid_from_date until valid_to_date
        valid_from_date,
        valid_to_date

    from validated_tickets
    where reject_reason is null
)

select * from final
