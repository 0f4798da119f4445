with

validated_events as (
    select * from {{ ref('base_web__events') }}
),

final as (
    select
        -- ids
        event_id,
        anonymous_id,
        customer_id,

        -- strings
        event_type,
        traffic_source,
        device_type,

        -- numerics
        funnel_step,

        -- booleans
        is_paid_traffic,

        -- timestamps
        event_at

    from validated_events
    where reject_reason is null
)

select * from final
