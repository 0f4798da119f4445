{#-
    Validation step for raw web_events. Categories map to canonical values through seeds;
    an unmapped value becomes `unknown` (and is reported in rpt_unmapped_values), never a
    reject reason.
-#}

{#- Rows rejected as "future" are rechecked on every build (materialization cached_table). -#}
{{ config(
    cache_recheck="reject_reason = 'future_timestamp' and event_at <= __run_started_at__"
) }}

{%- set raw_columns = [
    'event_id', 'anonymous_id', 'customer_id', 'event_at', 'event_type', 'traffic_source',
    'device_type',
] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('web', 'web_events')) }}
),

erasure_requests as {{ cte_not_materialized() }} (
    select * from {{ ref('erasure_requests') }}
),

erased as {{ cte_not_materialized() }} (
    -- Rows of customers on the erasure list keep only their place (rejected as `erased`).
    {{ erased_rows_masked('source', 'erasure_requests', raw_columns) }}
),

event_types as {{ cte_not_materialized() }} (
    select * from {{ ref('map_web_event_types') }}
),

traffic_sources as {{ cte_not_materialized() }} (
    select * from {{ ref('map_traffic_sources') }}
),

device_types as {{ cte_not_materialized() }} (
    select * from {{ ref('map_device_types') }}
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,
        _is_erased as is_erased,

        -- ids
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        lower({{ clean_text('event_type') }}) as event_type_source_value,
        lower({{ clean_text('traffic_source') }}) as traffic_source_source_value,
        lower({{ clean_text('device_type') }}) as device_type_source_value,

        -- timestamps
        {{ parse_timestamp_utc('event_at') }} as event_at,

        -- checks on the raw text
        {{ is_blank('event_id') }}
        or ({{ is_blank('anonymous_id') }} and {{ is_blank('customer_id') }}) as is_key_missing,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from erased
),

mapped as {{ cte_not_materialized() }} (
    select
        parsed.*,
        coalesce(event_types.event_type, 'unknown') as event_type,
        coalesce(event_types.funnel_step, 0) as funnel_step,
        coalesce(traffic_sources.traffic_source, 'unknown') as traffic_source,
        coalesce(traffic_sources.is_paid, false) as is_paid_traffic,
        coalesce(device_types.device_type, 'unknown') as device_type
    from parsed
    left join event_types
        on parsed.event_type_source_value = event_types.source_value
    left join traffic_sources
        on parsed.traffic_source_source_value = traffic_sources.source_value
    left join device_types
        on parsed.device_type_source_value = device_types.source_value
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
        end as validation_reason
    from mapped
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['event_id'],
        compared_columns=['anonymous_id', 'customer_id', 'event_at', 'event_type',
                          'traffic_source', 'device_type'],
    ) }}
),

final as {{ cte_not_materialized() }} (
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
        event_at,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case when event_type = 'unknown' then event_type_source_value end as unmapped_event_type,
        case
            when traffic_source = 'unknown' then traffic_source_source_value
        end as unmapped_traffic_source,
        case when device_type = 'unknown' then device_type_source_value end as unmapped_device_type,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values

    from deduplicated
)

select * from final
