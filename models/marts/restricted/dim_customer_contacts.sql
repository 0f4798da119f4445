{#-
    RESTRICTED: contact details of each customer from the CRM version valid at the as-of
    date, for activation (audience exports) only. Grant access to this model separately;
    dim_customers carries no personal data.
-#}

with

customer_profiles as (
    select * from {{ ref('int_customer_profiles_resolved') }}
),

final as (
    select
        -- ids
        customer_id,

        -- strings
        email,
        first_name,
        last_name,
        phone,
        country_code,

        -- booleans
        is_marketing_opt_in

    from customer_profiles
)

select * from final
