{#-
    No suppressed customer reaches the activation audience (docs block `suppression_list`):
    neither by customer id nor by an email address of any of their CRM versions, compared
    after trimming and lower-casing.
-#}

with

audience as (
    select * from {{ ref('int_activation_audience') }}
),

suppressions as (
    select * from {{ ref('int_suppressions_unioned') }}
),

crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
),

suppressed_by_id as (
    select audience.customer_id
    from audience
    inner join suppressions
        on audience.customer_id = suppressions.customer_id
),

suppressed_by_email as (
    select audience.customer_id
    from audience
    inner join crm_customers
        on audience.customer_id = crm_customers.customer_id
    inner join suppressions
        on lower(trim(crm_customers.email)) = suppressions.email
)

select customer_id from suppressed_by_id
union all
select customer_id from suppressed_by_email
