{#-
    Every suppression request (docs block `suppression_list`): seed suppression_list
    union the optional raw file (stg_privacy__suppression_list), emails trimmed and
    lower-cased. A request in both places appears twice, once per origin.
-#}

with

seed_suppressions as (
    select * from {{ ref('suppression_list') }}
),

file_suppressions as (
    select * from {{ ref('stg_privacy__suppression_list') }}
),

unioned as (
    select
        'seed' as suppression_origin,
        nullif(trim(cast(customer_id as {{ dbt.type_string() }})), '') as customer_id,
        lower(nullif(trim(cast(email as {{ dbt.type_string() }})), '')) as email,
        lower(trim(cast(reason as {{ dbt.type_string() }}))) as reason,
        cast(added_at as {{ dbt.type_timestamp() }}) as added_at
    from seed_suppressions

    union all

    select
        'raw_file' as suppression_origin,
        customer_id,
        email,
        reason,
        added_at
    from file_suppressions
),

final as (
    select
        -- ids
        {{ dbt.hash(dbt.concat([
            'suppression_origin', "'|'", "coalesce(customer_id, '')", "'|'",
            "coalesce(email, '')", "'|'", 'reason',
        ])) }} as suppression_id,
        customer_id,

        -- strings
        email,
        reason,
        suppression_origin,

        -- timestamps
        added_at

    from unioned
    where customer_id is not null or email is not null
)

select * from final
