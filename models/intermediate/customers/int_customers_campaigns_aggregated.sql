{#-
    Campaign response of each customer before the as-of date (docs block
    `campaign_response`): touches received and the share of the campaigns sent to the
    customer that the customer opened, clicked or converted on.
-#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

marketing_events as (
    select * from {{ ref('stg_marketing__events') }}
),

events_before_as_of as (
    select
        marketing_events.customer_id,
        marketing_events.campaign_id,
        marketing_events.event_type
    from marketing_events
    cross join as_of
    where marketing_events.event_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
),

customer_campaigns as (
    select
        customer_id,
        campaign_id,
        sum(case when event_type = 'sent' then 1 else 0 end) as sent_count,
        max(case when event_type = 'open' then 1 else 0 end) as is_opened,
        max(case when event_type = 'click' then 1 else 0 end) as is_clicked,
        max(case when event_type = 'conversion' then 1 else 0 end) as is_converted,
        max(case when event_type = 'bounce' then 1 else 0 end) as is_bounced,
        max(case when event_type = 'unsubscribe' then 1 else 0 end) as is_unsubscribed
    from events_before_as_of
    group by 1, 2
),

customer_totals as (
    select
        customer_id,
        sum(sent_count) as campaign_touch_count,
        sum(case when sent_count > 0 then 1 else 0 end) as sent_campaign_count,
        sum(case when sent_count > 0 then is_opened else 0 end) as opened_campaign_count,
        sum(case when sent_count > 0 then is_clicked else 0 end) as clicked_campaign_count,
        sum(case when sent_count > 0 then is_converted else 0 end) as converted_campaign_count,
        max(is_bounced) = 1 as has_bounced,
        max(is_unsubscribed) = 1 as has_unsubscribed
    from customer_campaigns
    group by 1
),

final as (
    select
        -- ids
        customer_id,

        -- booleans
        has_bounced,
        has_unsubscribed,

        -- numerics
        campaign_touch_count,
        sent_campaign_count,
        {{ ratio('opened_campaign_count', 'sent_campaign_count') }} as open_rate,
        {{ ratio('clicked_campaign_count', 'sent_campaign_count') }} as click_rate,
        {{ ratio('converted_campaign_count', 'sent_campaign_count') }} as conversion_rate

    from customer_totals
)

select * from final
