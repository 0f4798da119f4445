with

validated_events as (
    select * from {{ ref('base_marketing__events') }}
),

final as (
    select
        -- ids
        marketing_event_id,
        campaign_id,
        customer_id,

        -- strings
        event_type,

        -- timestamps
        event_at

    from validated_events
    where reject_reason is null
)

select * from final
