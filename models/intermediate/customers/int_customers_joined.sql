{#-
    All customer features joined, one row per customer known before the as-of date (docs
    block `dim_customers_grain`); published as the mart dim_customers:
    order history and RFM, CLV and churn, channels and products, web, support and campaign
    features, all computed from data before int_as_of_date. No personal data: contact
    details are in the restricted dim_customer_contacts. A source that is missing or has
    nothing for a customer gives 0 for counts, false for flags, `unknown` for country and
    age band, and null for values that cannot be derived (docs block `missing_feature_values`).
    Customers who objected to profiling (`is_profiling_objection`) keep their facts but get
    no profile: RFM scores and segment, churn probability and predicted CLV are null (docs
    block `profiling_objection_segment`).
-#}

{#- A table: the mart dim_customers, the segment features, the segment profiles and the merged
    segments all read it. -#}
{{ config(materialized='table') }}

{%- set sales_channels = ['web', 'app', 'store', 'marketplace', 'other'] %}
{%- set traffic_sources = [
    'direct', 'organic_search', 'paid_search', 'email', 'social', 'paid_social', 'referral',
    'unknown',
] %}
{%- set device_types = ['desktop', 'mobile', 'tablet', 'unknown'] %}
{%- set double_type = type_double() %}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

customer_profiles as (
    select * from {{ ref('int_customer_profiles_resolved') }}
),

customer_orders as (
    select * from {{ ref('int_customers_orders_aggregated') }}
),

profiling_objections as (
    select * from {{ ref('int_profiling_objections') }}
),

customer_rfm_scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

customer_clv_predicted as (
    select * from {{ ref('int_customers_clv_predicted') }}
),

-- RFM, churn and CLV are a profile: none for customers who objected to profiling
customer_rfm as (
    select customer_rfm_scored.*
    from customer_rfm_scored
    left join profiling_objections
        on customer_rfm_scored.customer_id = profiling_objections.customer_id
    where profiling_objections.customer_id is null
),

customer_clv as (
    select customer_clv_predicted.*
    from customer_clv_predicted
    left join profiling_objections
        on customer_clv_predicted.customer_id = profiling_objections.customer_id
    where profiling_objections.customer_id is null
),

customer_products as (
    select * from {{ ref('int_customers_products_aggregated') }}
),

customer_sessions as (
    select * from {{ ref('int_customers_sessions_aggregated') }}
),

customer_tickets as (
    select * from {{ ref('int_customers_tickets_aggregated') }}
),

customer_campaigns as (
    select * from {{ ref('int_customers_campaigns_aggregated') }}
),

known_customers as (
    -- a customer exists at the as-of date when the CRM, the shop or the stitched web knows it
    select customer_id from customer_profiles
    union
    select customer_id from customer_orders
    union
    select customer_id from customer_sessions
),

final as (
    select
        -- ids
        cast(known_customers.customer_id as {{ dbt.type_string() }}) as customer_id,

        -- dates
        as_of.as_of_date,
        customer_orders.first_order_date,
        customer_orders.last_order_date,

        -- attributes from the CRM version valid at the as-of date
        coalesce(customer_profiles.country_code, 'unknown') as country_code,
        coalesce(customer_profiles.age_band, 'unknown') as age_band,
        customer_profiles.customer_id is not null as has_crm_profile,
        coalesce(customer_profiles.is_marketing_opt_in, false) as is_marketing_opt_in,
        profiling_objections.customer_id is not null as is_profiling_objection,

        -- order history (completed orders)
        coalesce(customer_orders.has_ordered, false) as has_ordered,
        cast(coalesce(customer_orders.order_count, 0) as {{ dbt.type_bigint() }}) as order_count,
        cast(coalesce(customer_orders.all_order_count, 0) as {{ dbt.type_bigint() }})
            as all_order_count,
        cast(coalesce(customer_orders.returned_order_count, 0) as {{ dbt.type_bigint() }})
            as returned_order_count,
        cast(coalesce(customer_orders.total_revenue, 0) as {{ dbt.type_numeric() }})
            as total_revenue,
        {{ cast_double_as_numeric('customer_orders.avg_order_value') }} as avg_order_value,
        cast(customer_orders.days_since_last_order as {{ dbt.type_int() }}) as days_since_last_order,
        cast(customer_orders.tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(customer_orders.return_rate as {{ double_type }}) as return_rate,

        -- RFM
        cast(customer_rfm.rfm_recency_score as {{ dbt.type_int() }}) as rfm_recency_score,
        cast(customer_rfm.rfm_frequency_score as {{ dbt.type_int() }}) as rfm_frequency_score,
        cast(customer_rfm.rfm_monetary_score as {{ dbt.type_int() }}) as rfm_monetary_score,
        customer_rfm.rfm_cell,
        customer_rfm.rfm_segment,

        -- predicted value and churn
        cast(customer_clv.churn_probability as {{ double_type }}) as churn_probability,
        cast(customer_clv.predicted_clv as {{ double_type }}) as predicted_clv,
        cast(customer_clv.clv_model as {{ dbt.type_string() }}) as clv_model,

        -- sales channels and products
        customer_orders.preferred_sales_channel,
        {%- for sales_channel in sales_channels %}
            cast(customer_orders.share_orders_{{ sales_channel }} as {{ double_type }})
                as share_orders_{{ sales_channel }},
        {%- endfor %}
        cast(coalesce(customer_products.product_category_count, 0) as {{ dbt.type_bigint() }})
            as product_category_count,
        customer_products.top_product_category,
        cast(customer_orders.discount_share_of_revenue as {{ double_type }})
            as discount_share_of_revenue,
        cast(customer_orders.discount_share_of_orders as {{ double_type }})
            as discount_share_of_orders,

        -- web
        cast(coalesce(customer_sessions.web_session_count, 0) as {{ dbt.type_bigint() }})
            as web_session_count,
        cast(coalesce(customer_sessions.web_page_view_count, 0) as {{ dbt.type_bigint() }})
            as web_page_view_count,
        cast(coalesce(customer_sessions.cart_session_count, 0) as {{ dbt.type_bigint() }})
            as cart_session_count,
        cast(coalesce(customer_sessions.abandoned_cart_count, 0) as {{ dbt.type_bigint() }})
            as abandoned_cart_count,
        {{ cast_double_as_numeric('customer_sessions.abandoned_cart_value') }}
            as abandoned_cart_value,
        cast(customer_sessions.days_since_last_session as {{ dbt.type_int() }})
            as days_since_last_session,
        {%- for traffic_source in traffic_sources %}
            cast(customer_sessions.share_sessions_source_{{ traffic_source }} as {{ double_type }})
                as share_sessions_source_{{ traffic_source }},
        {%- endfor %}
        {%- for device_type in device_types %}
            cast(customer_sessions.share_sessions_device_{{ device_type }} as {{ double_type }})
                as share_sessions_device_{{ device_type }},
        {%- endfor %}

        -- support
        cast(coalesce(customer_tickets.ticket_count, 0) as {{ dbt.type_bigint() }}) as ticket_count,
        cast(
            coalesce(customer_tickets.ticket_count, 0) * 1.0
            / nullif(customer_orders.all_order_count, 0) as {{ double_type }}
        ) as tickets_per_order,
        cast(customer_tickets.avg_satisfaction_score as {{ double_type }}) as avg_satisfaction_score,
        cast(customer_tickets.avg_resolution_hours as {{ double_type }}) as avg_resolution_hours,
        cast(customer_tickets.complaint_share as {{ double_type }}) as complaint_share,

        -- campaigns
        cast(coalesce(customer_campaigns.campaign_touch_count, 0) as {{ dbt.type_bigint() }})
            as campaign_touch_count,
        cast(customer_campaigns.open_rate as {{ double_type }}) as open_rate,
        cast(customer_campaigns.click_rate as {{ double_type }}) as click_rate,
        cast(customer_campaigns.conversion_rate as {{ double_type }}) as conversion_rate,
        coalesce(customer_campaigns.has_unsubscribed, false) as has_unsubscribed,
        coalesce(customer_campaigns.has_bounced, false) as has_bounced

    from known_customers
    cross join as_of
    left join customer_profiles
        on known_customers.customer_id = customer_profiles.customer_id
    left join customer_orders
        on known_customers.customer_id = customer_orders.customer_id
    left join customer_rfm
        on known_customers.customer_id = customer_rfm.customer_id
    left join customer_clv
        on known_customers.customer_id = customer_clv.customer_id
    left join customer_products
        on known_customers.customer_id = customer_products.customer_id
    left join customer_sessions
        on known_customers.customer_id = customer_sessions.customer_id
    left join customer_tickets
        on known_customers.customer_id = customer_tickets.customer_id
    left join customer_campaigns
        on known_customers.customer_id = customer_campaigns.customer_id
    left join profiling_objections
        on known_customers.customer_id = profiling_objections.customer_id
)

select * from final
