with

rejected_rows as (
    select * from {{ ref('int_rejected_rows_unioned') }}
),

final as (
    -- Raw values in full, personal data included: for the data owners who fix the exports.
    select
        rejected_row_id,
        source_table,
        raw_row_key,
        source_file,
        source_row_number,
        reason,
        raw_values
    from rejected_rows
)

select * from final
