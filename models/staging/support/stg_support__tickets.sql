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
        {{ dbt.datediff('created_at', 'resolved_at', 'minute') }} / 60.0 as resolution_hours,  -- noqa: LT05

        -- booleans
        is_complaint,
        is_resolved,

        -- timestamps
        created_at,
        resolved_at

    from validated_tickets
    where reject_reason is null
)

select * from final
