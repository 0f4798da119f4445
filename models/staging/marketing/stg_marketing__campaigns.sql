with

validated_campaigns as (
    select * from {{ ref('base_marketing__campaigns') }}
),

final as (
    select
        -- ids
        campaign_id,

        -- strings
        campaign_name,
        channel,
        currency_code,

        -- numerics
        campaign_cost_original,
        rate_to_reporting,
        campaign_cost,

        -- timestamps
        started_at

    from validated_campaigns
    where reject_reason is null
)

select * from final
