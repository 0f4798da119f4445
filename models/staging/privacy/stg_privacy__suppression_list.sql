with

validated_suppressions as (
    select * from {{ ref('base_privacy__suppression_list') }}
),

final as (
    select
        -- ids
        {{ dbt.hash(dbt.concat([
            "coalesce(customer_id, '')", "'|'", "coalesce(email, '')", "'|'", 'reason',
        ])) }} as suppression_id,
        customer_id,

        -- strings
        email,
        reason,

        -- timestamps
        added_at

    from validated_suppressions
    where reject_reason is null
)

select * from final
