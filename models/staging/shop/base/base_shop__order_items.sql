{#-
    Validation step for raw shop_order_items. Items take the currency and exchange rate of
    their order, so the orphan check and the conversion look up the validated orders.
-#}

{%- set raw_columns = ['order_id', 'product_id', 'product_category', 'quantity', 'unit_price'] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('shop', 'shop_order_items')) }}
),

validated_orders as {{ cte_not_materialized() }} (
    select * from {{ ref('base_shop__orders') }}
),

staged_orders as {{ cte_not_materialized() }} (
    select
        order_id,
        rate_to_reporting
    from validated_orders
    -- the current version (an order's versions differ in status, not in what was bought)
    where reject_reason is null and valid_to_date is null
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,

        -- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,

        -- strings
        {{ clean_enum('product_category') }} as product_category,

        -- numerics
        {{ parse_integer('quantity') }} as quantity,
        {{ parse_amount('unit_price') }} as unit_price_original,

        -- checks on the raw text
        {{ is_blank('order_id') }} or {{ is_blank('product_id') }} as is_key_missing,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from source
),

joined as {{ cte_not_materialized() }} (
    select
        parsed.*,
        staged_orders.order_id is not null as has_staged_order,
        {{ convert_amount('parsed.unit_price_original', 'staged_orders.rate_to_reporting') }}
            as unit_price
    from parsed
    left join staged_orders
        on parsed.order_id = staged_orders.order_id
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case
            when read_error is not null then read_error
            when is_key_missing then 'missing_key'
            when unit_price_original is null or quantity is null then 'unparseable_amount'
            when unit_price_original < 0 then 'negative_amount'
            when quantity <= 0 then 'out_of_range'
            when not has_staged_order then 'orphan'
        end as validation_reason
    from joined
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['order_id', 'product_id'],
        compared_columns=['product_category', 'quantity', 'unit_price_original'],
        only_repeated_keys=true,
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        {{ dbt.concat(['order_id', "'|'", 'product_id']) }} as order_item_id,
        order_id,
        product_id,

        -- strings
        product_category,

        -- numerics
        quantity,
        unit_price_original,
        unit_price,
        quantity * unit_price as line_total,

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
