{#-
    RESTRICTED (personal data): the customers the activation exports may contain, one row
    per customer, with segment fields, contact details of the CRM version valid at the
    as-of date, consent, and the channels each customer may be exported to: every rule of
    who goes where lives here, rpt_activation_exports only writes the files. Read in
    batches by rpt_activation_exports. A view, so no further copy of the personal data is
    stored.

    * Suppressed customers (docs block `suppression_list`) are left out entirely: by
      customer id, or by an email that any CRM version of the customer carried.
    * Consent (docs block `activation_consent`): opted in only when the CRM version valid at
      the as-of date says so explicitly and no later CRM version withdraws it; unsubscribes
      and bounces count whenever they happened, also after the as-of date.
    * Channels (docs block `activation_exports`): the CRM file takes every customer here;
      ads take those with consent outside the control group (docs block `control_groups`);
      email takes those of ads who never unsubscribed or bounced.
-#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_finalized') }}
),

-- the CRM version valid at the as-of date
contacts as (
    select * from {{ ref('int_customer_profiles_resolved') }}
),

suppressions as (
    select * from {{ ref('int_suppressions_unioned') }}
),

crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
),

marketing_events as (
    select * from {{ ref('stg_marketing__events') }}
),

crm_emails as (
    select distinct
        customer_id,
        email
    from crm_customers
    where email is not null
),

suppressed_customers as (
    select customer_id from suppressions
    where customer_id is not null
    union
    select crm_emails.customer_id
    from suppressions
    inner join crm_emails
        on suppressions.email = crm_emails.email
),

later_consent_withdrawals as (
    select distinct crm_customers.customer_id
    from crm_customers
    cross join as_of
    where
        crm_customers.updated_at >= cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
        and not coalesce(crm_customers.is_marketing_opt_in, false)
),

later_email_events as (
    select
        marketing_events.customer_id,
        max(case when marketing_events.event_type = 'unsubscribe' then 1 else 0 end) = 1
            as has_unsubscribed_later,
        max(case when marketing_events.event_type = 'bounce' then 1 else 0 end) = 1
            as has_bounced_later
    from marketing_events
    cross join as_of
    where
        marketing_events.event_at >= cast(as_of.as_of_date as {{ dbt.type_timestamp() }})
        and marketing_events.event_type in ('unsubscribe', 'bounce')
    group by 1
),

joined as (
    select
        customer_segments.customer_id,
        customer_segments.segment_id,
        customer_segments.model_version,
        customer_segments.segment_name,
        customer_segments.recommended_action,
        customer_segments.rfm_segment,
        customer_segments.churn_probability,
        customer_segments.predicted_clv,
        customer_segments.is_control_group,
        customer_segments.as_of_date,
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.phone,
        contacts.country_code,
        coalesce(contacts.is_marketing_opt_in, false)
        and later_consent_withdrawals.customer_id is null as is_consent_valid,
        customer_segments.has_unsubscribed
        or coalesce(later_email_events.has_unsubscribed_later, false) as has_unsubscribed_ever,
        customer_segments.has_bounced
        or coalesce(later_email_events.has_bounced_later, false) as has_bounced_ever
    from customer_segments
    left join contacts
        on customer_segments.customer_id = contacts.customer_id
    left join later_consent_withdrawals
        on customer_segments.customer_id = later_consent_withdrawals.customer_id
    left join later_email_events
        on customer_segments.customer_id = later_email_events.customer_id
    left join suppressed_customers
        on customer_segments.customer_id = suppressed_customers.customer_id
    where suppressed_customers.customer_id is null
),

channels as (
    select
        *,
        is_consent_valid and not is_control_group as is_ads_eligible,
        is_consent_valid
        and not is_control_group
        and not has_unsubscribed_ever
        and not has_bounced_ever as is_email_eligible
    from joined
),

final as (
    select
        -- ids
        customer_id,
        segment_id,
        model_version,

        -- strings
        segment_name,
        recommended_action,
        rfm_segment,
        email,
        first_name,
        last_name,
        phone,
        country_code,

        -- numerics
        churn_probability,
        predicted_clv,

        -- booleans
        is_consent_valid as is_marketing_opt_in,
        has_unsubscribed_ever as has_unsubscribed,
        has_bounced_ever as has_bounced,
        is_control_group,
        is_email_eligible,
        is_ads_eligible,

        -- dates
        as_of_date

    from channels
)

select * from final
