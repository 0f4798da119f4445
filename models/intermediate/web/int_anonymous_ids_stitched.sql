{#-
    Identity stitching (see docs block `web_identity_stitching`): one row per anonymous_id
    seen before the as-of date, with the one customer its events carried, or none when
    they carried no customer_id or more than one. A table: the sessions model and the
    stitching report both read it.
-#}

{{ config(materialized='table') }}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

events_before_as_of as (
    select
        web_events.anonymous_id,
        web_events.customer_id,
        web_events.event_at
    from web_events
    cross join as_of
    where
        web_events.anonymous_id is not null
        and web_events.event_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
),

anonymous_ids as (
    select
        anonymous_id,
        count(distinct customer_id) as customer_id_count,
        min(customer_id) as first_customer_id,
        count(*) as event_count,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at
    from events_before_as_of
    group by 1
),

final as (
    select
        -- ids
        anonymous_id,

        -- numerics
        customer_id_count,
        event_count,

        -- timestamps
        first_seen_at,
        last_seen_at,

        -- stitching
        case when customer_id_count = 1 then first_customer_id end as customer_id,
        customer_id_count = 1 as is_stitched,
        customer_id_count > 1 as is_ambiguous

    from anonymous_ids
)

select * from final
