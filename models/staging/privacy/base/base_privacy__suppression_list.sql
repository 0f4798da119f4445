{#-
    Validation step for the optional raw suppression_list. A row is rejected only when it
    names neither a customer id nor an email address (nothing to match) or repeats another
    row. An unknown or blank reason is kept as `suppress_marketing`, the reason every
    request implies, and shown in `unmapped_reason`; an unparseable `added_at` stays null.
    Dropping a privacy request because of a formatting error would export a customer who
    asked not to be, so nothing else rejects a row. Emails are personal data: rejected rows
    keep them in full for the restricted report and masked for the BI-facing one.
-#}

{%- set raw_columns = ['customer_id', 'email', 'reason', 'added_at'] %}
{%- set pii_columns = ['email'] %}
{%- set reason_list = "'suppress_marketing', 'objected_to_profiling'" %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('privacy', 'suppression_list')) }}
),

erasure_requests as {{ cte_not_materialized() }} (
    select * from {{ ref('erasure_requests') }}
),

erased as {{ cte_not_materialized() }} (
    -- Rows of customers on the erasure list keep only their place (rejected as `erased`).
    {{ erased_rows_masked('source', 'erasure_requests', raw_columns) }}
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,
        _is_erased as is_erased,

        -- ids
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        lower({{ clean_text('email') }}) as email,
        lower({{ clean_text('reason') }}) as reason_source_value,

        -- timestamps
        {{ parse_timestamp_utc('added_at') }} as added_at,

        -- checks on the raw text
        {{ is_blank('customer_id') }} and {{ is_blank('email') }} as is_key_missing,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from erased
),

mapped as {{ cte_not_materialized() }} (
    select
        *,
        coalesce(reason_source_value in ({{ reason_list }}), false) as is_reason_known
    from parsed
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case when is_reason_known then reason_source_value else 'suppress_marketing' end as reason,
        case
            when read_error is not null then read_error
            when is_erased then 'erased'
            when is_key_missing then 'missing_key'
        end as validation_reason
    from mapped
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['customer_id', 'email', 'reason'],
        compared_columns=['added_at'],
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        customer_id,

        -- strings
        email,
        reason,

        -- timestamps
        added_at,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case when not is_reason_known then reason_source_value end as unmapped_reason,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values,
        case
            when reject_reason is not null
                then {{ raw_values_json(raw_columns, prefix='raw_', masked_columns=pii_columns) }}
        end as raw_values_masked

    from deduplicated
)

select * from final
