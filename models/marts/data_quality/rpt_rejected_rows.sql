with

rejected_rows as (
    select * from {{ ref('int_rejected_rows_unioned') }}
),

final as (
    -- Personal data (email, names, phone, birth date) is masked; the full values are in
    -- the restricted model rpt_rejected_rows_restricted.
    select
        rejected_row_id,
        source_table,
        raw_row_key,
        source_file,
        source_row_number,
        reason,
        raw_values_masked as raw_values
    from rejected_rows
)

select * from final
