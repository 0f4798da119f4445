{#-
    Validation step for raw marketing_events. The export has no event id, so the key is
    campaign, customer, canonical event type and time; rows equal on it are duplicates.
-#}

{#- Rows rejected as "future" are rechecked on every build (materialization cached_table). -#}
{{ config(
    cache_recheck="reject_reason = 'future_timestamp' and event_at <= __run_started_at__"
) }}

{%- set raw_columns = ['campaign_id', 'customer_id', 'event_type', 'event_at'] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('marketing', 'marketing_events')) }}
),

erasure_requests as {{ cte_not_materialized() }} (
    select * from {{ ref('erasure_requests') }}
),

erased as {{ cte_not_materialized() }} (
    -- Rows of customers on the erasure list keep only their place (rejected as `erased`).
    {{ erased_rows_masked('source', 'erasure_requests', raw_columns) }}
),

event_types as {{ cte_not_materialized() }} (
    select * from {{ ref('map_marketing_event_types') }}
),

validated_campaigns as {{ cte_not_materialized() }} (
    select * from {{ ref('base_marketing__campaigns') }}
),

staged_campaigns as {{ cte_not_materialized() }} (
    select campaign_id from validated_campaigns
    where reject_reason is null
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,
        _is_erased as is_erased,

        -- ids
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        lower({{ clean_text('event_type') }}) as event_type_source_value,

        -- timestamps
        {{ parse_timestamp_utc('event_at') }} as event_at,

        -- checks on the raw text
        {{ is_blank('campaign_id') }} or {{ is_blank('customer_id') }} as is_key_missing,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from erased
),

looked_up as {{ cte_not_materialized() }} (
    select
        parsed.*,
        coalesce(event_types.event_type, 'unknown') as event_type,
        staged_campaigns.campaign_id is not null as has_staged_campaign
    from parsed
    left join event_types
        on parsed.event_type_source_value = event_types.source_value
    left join staged_campaigns
        on parsed.campaign_id = staged_campaigns.campaign_id
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case
            when read_error is not null then read_error
            when is_erased then 'erased'
            when is_key_missing then 'missing_key'
            when event_at is null then 'unparseable_timestamp'
            when event_at > {{ run_started_at_utc() }} then 'future_timestamp'
            when not has_staged_campaign then 'orphan'
        end as validation_reason
    from looked_up
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['campaign_id', 'customer_id', 'event_type', 'event_at'],
        compared_columns=['event_type'],
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        {{ dbt.concat([
            'campaign_id', "'|'", 'customer_id', "'|'", 'event_type', "'|'",
            dbt.cast('event_at', dbt.type_string()),
        ]) }} as marketing_event_id,
        campaign_id,
        customer_id,

        -- strings
        event_type,

        -- timestamps
        event_at,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case when event_type = 'unknown' then event_type_source_value end as unmapped_event_type,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values

    from deduplicated
)

select * from final
