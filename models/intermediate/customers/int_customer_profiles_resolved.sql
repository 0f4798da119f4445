{#-
    The CRM version of each customer valid at the as-of date (docs block
    `crm_profile_as_of`): the latest version written before it, kept only when the customer
    had signed up before it. Holds personal data: read by dim_customers (non-personal
    columns only) and by the restricted dim_customer_contacts. A view, so that no further
    copy of the personal data is stored.
-#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
),

versions_before_as_of as (
    select
        crm_customers.*,
        as_of.as_of_date,
        row_number() over (
            partition by crm_customers.customer_id
            order by crm_customers.updated_at desc
        ) as version_rank
    from crm_customers
    cross join as_of
    where crm_customers.updated_at < cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
),

valid_versions as (
    select
        *,
        {{ dbt.datediff('birth_date', 'as_of_date', 'day') }}
            as age_days
    from versions_before_as_of
    where
        version_rank = 1
        and (signup_at is null or signup_at < cast(as_of_date as {{ dbt.type_timestamp() }}))
),

aged_versions as (
    select
        *,
        floor(age_days / 365.25) as age_years
    from valid_versions
),

final as (
    select
        -- ids
        customer_id,
        customer_version_id,

        -- strings
        email,
        first_name,
        last_name,
        phone,
        country_code,
        city,
        case
            when age_years is null then 'unknown'
            when age_years < 18 then 'under_18'
            when age_years < 25 then '18-24'
            when age_years < 35 then '25-34'
            when age_years < 45 then '35-44'
            when age_years < 55 then '45-54'
            when age_years < 65 then '55-64'
            else '65+'
        end as age_band,

        -- numerics
        cast(age_years as {{ dbt.type_int() }}) as age_years,

        -- booleans
        coalesce(is_marketing_opt_in, false) as is_marketing_opt_in,
        is_email_invalid,

        -- dates and timestamps
        birth_date,
        signup_at,
        updated_at

    from aged_versions
)

select * from final
