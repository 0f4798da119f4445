{#- Validation step for raw marketing_campaigns. Cost is converted to the reporting currency at the start date. -#}

{#- Rows rejected as "future" are rechecked on every build (materialization cached_table). -#}
{{ config(
    cache_recheck="reject_reason = 'future_timestamp' and started_at <= __run_started_at__"
) }}

{%- set raw_columns = ['campaign_id', 'campaign_name', 'channel', 'started_at', 'cost', 'currency'] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('marketing', 'marketing_campaigns')) }}
),

fx_rates as {{ cte_not_materialized() }} (
    select * from {{ ref('fx_rates') }}
),

fx_rates_to_reporting as {{ cte_not_materialized() }} (
    {{ fx_rates_to_reporting('fx_rates') }}
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,

        -- ids
        {{ clean_text('campaign_id') }} as campaign_id,

        -- strings
        {{ clean_text('campaign_name') }} as campaign_name,
        {{ clean_enum('channel') }} as channel,
        upper(trim(currency)) as currency_code,

        -- numerics
        case
            when {{ is_blank('cost') }} then 0
            else {{ parse_amount('cost') }}
        end as campaign_cost_original,

        -- timestamps
        {{ parse_timestamp_utc('started_at') }} as started_at,

        -- checks on the raw text
        {{ is_blank('campaign_id') }} as is_key_missing,
        {{ is_blank('currency') }} as is_currency_blank,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from source
),

converted as {{ cte_not_materialized() }} (
    select
        parsed.*,
        fx_rates_to_reporting.rate_to_reporting,
        {{ convert_amount('parsed.campaign_cost_original', 'fx_rates_to_reporting.rate_to_reporting') }}
            as campaign_cost
    from parsed
    left join fx_rates_to_reporting
        on
            coalesce(parsed.currency_code, '{{ var("reporting_currency") }}')
            = fx_rates_to_reporting.currency_code
            and cast(parsed.started_at as date) >= fx_rates_to_reporting.valid_from
            and cast(parsed.started_at as date) < fx_rates_to_reporting.valid_to
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case
            when read_error is not null then read_error
            when is_key_missing then 'missing_key'
            when started_at is null then 'unparseable_timestamp'
            when started_at > {{ run_started_at_utc() }} then 'future_timestamp'
            when campaign_cost_original is null then 'unparseable_amount'
            when campaign_cost_original < 0 then 'negative_amount'
            when rate_to_reporting is null then 'unknown_currency'
        end as validation_reason
    from converted
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['campaign_id'],
        compared_columns=['campaign_name', 'channel', 'started_at', 'campaign_cost_original', 'currency_code'],
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        campaign_id,

        -- strings
        campaign_name,
        channel,
        coalesce(currency_code, '{{ var("reporting_currency") }}') as currency_code,

        -- numerics
        campaign_cost_original,
        rate_to_reporting,
        campaign_cost,

        -- timestamps
        started_at,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values

    from deduplicated
)

select * from final
