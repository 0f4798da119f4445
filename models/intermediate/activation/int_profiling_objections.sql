{#-
    Customers who objected to profiling (reason `objected_to_profiling` in the suppression
    list), matched by customer id or by email against every CRM version. int_segment_features
    leaves them out of the clustering input and int_customer_segments_merged gives them the
    placeholder segment -2 (docs block `profiling_objection_segment`). No personal data
    leaves this model.
-#}

with

suppressions as (
    select * from {{ ref('int_suppressions_unioned') }}
),

crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
),

objections as (
    select * from suppressions
    where reason = 'objected_to_profiling'
),

crm_emails as (
    select distinct
        customer_id,
        email
    from crm_customers
    where email is not null
),

matched_by_customer_id as (
    select
        customer_id,
        added_at,
        'customer_id' as matched_by
    from objections
    where customer_id is not null
),

matched_by_email as (
    select
        crm_emails.customer_id,
        objections.added_at,
        'email' as matched_by
    from objections
    inner join crm_emails
        on objections.email = crm_emails.email
),

matched as (
    select * from matched_by_customer_id
    union all
    select * from matched_by_email
),

final as (
    select
        -- ids
        customer_id,

        -- booleans
        max(case when matched_by = 'customer_id' then 1 else 0 end) = 1 as is_matched_by_customer_id,
        max(case when matched_by = 'email' then 1 else 0 end) = 1 as is_matched_by_email,

        -- timestamps
        min(added_at) as objected_at

    from matched
    group by 1
)

select * from final
