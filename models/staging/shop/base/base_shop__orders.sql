{#-
    Validation step for raw shop_orders: parse the files once, type every column, and give
    each row one reject reason or none (first failing check wins; see the docs block
    `reject_reason`). stg_shop__orders keeps the rows without a reason.
-#}

{#- Rows rejected as "future" are rechecked on every build (materialization cached_table). -#}
{{ config(
    cache_recheck="reject_reason = 'future_timestamp' and ordered_at <= __run_started_at__"
) }}

{%- set raw_columns = [
    'order_id', 'customer_id', 'ordered_at', 'status', 'currency',
    'order_total', 'discount_total', 'sales_channel',
] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('shop', 'shop_orders')) }}
),

erasure_requests as {{ cte_not_materialized() }} (
    select * from {{ ref('erasure_requests') }}
),

erased as {{ cte_not_materialized() }} (
    -- Rows of customers on the erasure list keep only their place (rejected as `erased`).
    {{ erased_rows_masked('source', 'erasure_requests', raw_columns) }}
),

order_statuses as {{ cte_not_materialized() }} (
    select * from {{ ref('map_order_statuses') }}
),

fx_rates as {{ cte_not_materialized() }} (
    select * from {{ ref('fx_rates') }}
),

order_total_rules as {{ cte_not_materialized() }} (
    -- Plausible range of an order total per currency, from configuration (seed
    -- plausibility_rules), never from the data: a row's verdict does not change as days arrive.
    select * from {{ ref('plausibility_rules') }}
    where source_table = 'shop_orders' and column_name = 'order_total'
),

fx_rates_to_reporting as {{ cte_not_materialized() }} (
    -- Rate of every currency to the reporting currency, valid from its date until the next.
    {{ fx_rates_to_reporting('fx_rates') }}
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
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        lower(trim(status)) as status_source_value,
        upper(trim(currency)) as currency_code,
        {{ clean_enum('sales_channel') }} as sales_channel,

        -- numerics
        {{ parse_amount('order_total') }} as order_total_original,
        case
            when {{ is_blank('discount_total') }} then 0
            else {{ parse_amount('discount_total') }}
        end as discount_total_original,

        -- timestamps
        {{ parse_timestamp_utc('ordered_at') }} as ordered_at,

        -- checks on the raw text
        {{ is_blank('order_id') }} or {{ is_blank('customer_id') }} as is_key_missing,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from erased
),

converted as {{ cte_not_materialized() }} (
    select
        parsed.*,
        coalesce(order_statuses.order_status, 'unknown') as order_status,
        coalesce(order_statuses.is_purchase, false) as is_purchase,
        fx_rates_to_reporting.rate_to_reporting,
        coalesce(
            parsed.order_total_original < order_total_rules.min_value
            or parsed.order_total_original > order_total_rules.max_value,
            false
        ) as is_order_total_implausible,
        {{ convert_amount('parsed.order_total_original', 'fx_rates_to_reporting.rate_to_reporting') }}
            as order_total,
        {{ convert_amount('parsed.discount_total_original', 'fx_rates_to_reporting.rate_to_reporting') }}
            as discount_total
    from parsed
    left join order_statuses
        on parsed.status_source_value = order_statuses.source_value
    left join fx_rates_to_reporting
        on
            parsed.currency_code = fx_rates_to_reporting.currency_code
            and cast(parsed.ordered_at as date) >= fx_rates_to_reporting.valid_from
            and cast(parsed.ordered_at as date) < fx_rates_to_reporting.valid_to
    left join order_total_rules
        on parsed.currency_code = order_total_rules.currency_code
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case
            when read_error is not null then read_error
            when is_erased then 'erased'
            when is_key_missing then 'missing_key'
            when ordered_at is null then 'unparseable_timestamp'
            when ordered_at > {{ run_started_at_utc() }} then 'future_timestamp'
            when order_total_original is null or discount_total_original is null
                then 'unparseable_amount'
            when order_total_original < 0 or discount_total_original < 0 then 'negative_amount'
            when rate_to_reporting is null then 'unknown_currency'
            when is_order_total_implausible then 'implausible_amount'
        end as validation_reason
    from converted
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['order_id'],
        compared_columns=['customer_id', 'ordered_at', 'order_status', 'currency_code',
                          'order_total_original', 'discount_total_original', 'sales_channel'],
        known_date_column='valid_from_date',
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        order_id,
        customer_id,

        -- strings
        order_status,
        currency_code,
        sales_channel,

        -- numerics
        order_total_original,
        discount_total_original,
        rate_to_reporting,
        order_total,
        discount_total,

        -- booleans
        is_purchase,

        -- dates and timestamps
        ordered_at,

        -- point in time: the version known from valid_from_date until valid_to_date
        valid_from_date,
        valid_to_date,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case
            when order_status = 'unknown' and status_source_value <> 'unknown' then status_source_value
        end as unmapped_status,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values

    from deduplicated
)

select * from final
