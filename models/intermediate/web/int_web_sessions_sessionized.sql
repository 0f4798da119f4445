{#-
    Sessionization (see docs block `web_session`): the events before the as-of date of one
    visitor (an anonymous_id, or a customer_id for events without one), ordered by time,
    start a new session after more than var `session_gap_minutes` (default 30) without an
    event. A table: read by the customer web features and by analysts.
-#}

{{ config(materialized='table') }}

{%- set session_gap_minutes = var('session_gap_minutes') %}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

anonymous_ids as (
    select * from {{ ref('int_anonymous_ids_stitched') }}
),

events_before_as_of as (
    select
        web_events.event_id,
        web_events.anonymous_id,
        web_events.customer_id,
        web_events.event_type,
        web_events.funnel_step,
        web_events.traffic_source,
        web_events.device_type,
        web_events.event_at,
        -- the visitor: the device cookie, or the customer for events without one
        case
            when web_events.anonymous_id is not null then 'anonymous_id' else 'customer_id'
        end as visitor_id_type,
        coalesce(web_events.anonymous_id, web_events.customer_id) as visitor_id
    from web_events
    cross join as_of
    where web_events.event_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
),

events_with_previous as (
    select
        *,
        lag(event_at) over (
            partition by visitor_id_type, visitor_id
            order by event_at, event_id
        ) as previous_event_at
    from events_before_as_of
),

events_flagged as (
    select
        *,
        case
            when previous_event_at is null then 1
            when
                {{ dbt.datediff('previous_event_at', 'event_at', 'second') }}
                > {{ session_gap_minutes }} * 60
                then 1
            else 0
        end as is_session_start
    from events_with_previous
),

events_numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by visitor_id_type, visitor_id
            order by event_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from events_flagged
),

sessions as (
    select
        visitor_id_type,
        visitor_id,
        session_number,
        min(anonymous_id) as anonymous_id,
        -- one customer carried when the smallest and largest are equal (cheaper than distinct)
        min(customer_id) as carried_customer_id,
        max(customer_id) as carried_customer_id_max,
        -- the session's first event is its session start
        max(case when is_session_start = 1 then traffic_source end) as traffic_source,
        max(case when is_session_start = 1 then device_type end) as device_type,
        count(*) as event_count,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_view_count,
        max(funnel_step) as max_funnel_step,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at
    from events_numbered
    group by 1, 2, 3
),

final as (
    select
        -- ids
        {{ dbt.hash(dbt.concat([
            'sessions.visitor_id_type', "'|'", 'sessions.visitor_id', "'|'",
            dbt.cast('sessions.session_started_at', dbt.type_string()),
        ])) }} as session_id,
        -- the anonymous_id's stitched customer, else the one customer the session's own events carried
        coalesce(
            anonymous_ids.customer_id,
            case
                when sessions.carried_customer_id = sessions.carried_customer_id_max
                    then sessions.carried_customer_id
            end
        ) as customer_id,
        sessions.anonymous_id,

        -- strings
        sessions.visitor_id_type,
        sessions.traffic_source,
        sessions.device_type,

        -- numerics
        sessions.session_number,
        sessions.event_count,
        sessions.page_view_count,
        sessions.max_funnel_step,
        {{ dbt.datediff('sessions.session_started_at', 'sessions.session_ended_at', 'second') }}
            as session_duration_seconds,

        -- booleans
        sessions.max_funnel_step >= 3 as reached_cart,
        sessions.max_funnel_step >= 4 as reached_checkout,
        sessions.max_funnel_step >= 5 as reached_purchase,
        sessions.max_funnel_step >= 3 and sessions.max_funnel_step < 5 as is_cart_abandoned,

        -- timestamps
        sessions.session_started_at,
        sessions.session_ended_at

    from sessions
    left join anonymous_ids
        on sessions.anonymous_id = anonymous_ids.anonymous_id
)

select * from final
