{#- Validation step for raw support_tickets. Topics map through seed map_ticket_topics, which flags complaints. -#}

{#- Rows rejected as "future" are rechecked on every build (materialization cached_table). -#}
{{ config(
    cache_recheck="reject_reason = 'future_timestamp' and created_at <= __run_started_at__"
) }}

{%- set raw_columns = [
    'ticket_id', 'customer_id', 'created_at', 'resolved_at', 'channel', 'topic',
    'satisfaction_score',
] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('support', 'support_tickets')) }}
),

erasure_requests as {{ cte_not_materialized() }} (
    select * from {{ ref('erasure_requests') }}
),

erased as {{ cte_not_materialized() }} (
    -- Rows of customers on the erasure list keep only their place (rejected as `erased`).
    {{ erased_rows_masked('source', 'erasure_requests', raw_columns) }}
),

ticket_topics as {{ cte_not_materialized() }} (
    select * from {{ ref('map_ticket_topics') }}
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,
        {{ drop_known_date('_source_file') }} as valid_from_date,
        _is_erased as is_erased,

        -- ids
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ clean_enum('channel') }} as channel,
        lower({{ clean_text('topic') }}) as topic_source_value,

        -- numerics
        {{ parse_integer('satisfaction_score') }} as satisfaction_score,

        -- timestamps
        {{ parse_timestamp_utc('created_at') }} as created_at,
        {{ parse_timestamp_utc('resolved_at') }} as resolved_at,

        -- checks on the raw text
        {{ is_blank('ticket_id') }} or {{ is_blank('customer_id') }} as is_key_missing,
        {{ is_blank('resolved_at') }} as is_resolved_at_blank,
        {{ is_blank('satisfaction_score') }} as is_satisfaction_blank,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from erased
),

mapped as {{ cte_not_materialized() }} (
    select
        parsed.*,
        coalesce(ticket_topics.topic, 'unknown') as topic,
        coalesce(ticket_topics.is_complaint, false) as is_complaint
    from parsed
    left join ticket_topics
        on parsed.topic_source_value = ticket_topics.source_value
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case
            when read_error is not null then read_error
            when is_erased then 'erased'
            when is_key_missing then 'missing_key'
            when created_at is null then 'unparseable_timestamp'
            when resolved_at is null and not is_resolved_at_blank then 'unparseable_timestamp'
            when created_at > {{ run_started_at_utc() }} then 'future_timestamp'
            when not is_satisfaction_blank and satisfaction_score is null then 'out_of_range'
            when satisfaction_score not between 1 and 5 then 'out_of_range'
            when resolved_at < created_at then 'out_of_range'
        end as validation_reason
    from mapped
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['ticket_id'],
        compared_columns=['customer_id', 'created_at', 'resolved_at', 'channel', 'topic',
                          'satisfaction_score'],
        known_date_column='valid_from_date',
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        ticket_id,
        customer_id,

        -- strings
        channel,
        topic,

        -- numerics
        satisfaction_score,

        -- booleans
        is_complaint,
        resolved_at is not null as is_resolved,

        -- dates and timestamps
        created_at,
        resolved_at,

        -- point in time: the version known from valid_from_date until valid_to_date
        valid_from_date,
        valid_to_date,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case when topic = 'unknown' then topic_source_value end as unmapped_topic,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values

    from deduplicated
)

select * from final
