with

validated_customers as (
    select * from {{ ref('base_crm__customers') }}
),

final as (
    -- One row per customer version; pick the version valid on a day with updated_at.
    select
        -- ids
        customer_version_id,
        customer_id,

        -- strings
        email,
        first_name,
        last_name,
        phone,
        country_code,
        city,

        -- booleans
        is_marketing_opt_in,
        is_email_invalid,

        -- dates and timestamps
        birth_date,
        signup_at,
        updated_at

    from validated_customers
    where reject_reason is null
)

select * from final
