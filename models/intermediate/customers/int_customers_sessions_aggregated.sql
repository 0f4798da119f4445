{#-
    Web behaviour of each customer before the as-of date, from the stitched sessions of
    int_web_sessions_sessionized (docs blocks `web_session`, `cart_abandonment`): session
    counts, shares of sessions per traffic source and device, and abandoned carts valued by
    the customer's mean basket (docs block `abandoned_cart_value`).
-#}

{#- The canonical values of seeds map_traffic_sources and map_device_types, plus `unknown`. -#}
{%- set traffic_sources = [
    'direct', 'organic_search', 'paid_search', 'email', 'social', 'paid_social', 'referral',
    'unknown',
] %}
{%- set device_types = ['desktop', 'mobile', 'tablet', 'unknown'] %}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

sessions as (
    select * from {{ ref('int_web_sessions_sessionized') }}
),

customer_products as (
    select * from {{ ref('int_customers_products_aggregated') }}
),

customer_sessions as (
    select
        customer_id,
        count(*) as web_session_count,
        sum(page_view_count) as web_page_view_count,
        sum(case when reached_cart then 1 else 0 end) as cart_session_count,
        sum(case when reached_purchase then 1 else 0 end) as purchase_session_count,
        sum(case when is_cart_abandoned then 1 else 0 end) as abandoned_cart_count,
        {%- for traffic_source in traffic_sources %}
            sum(case when traffic_source = '{{ traffic_source }}' then 1 else 0 end)
                as {{ traffic_source }}_session_count,
        {%- endfor %}
        {%- for device_type in device_types %}
            sum(case when device_type = '{{ device_type }}' then 1 else 0 end)
                as {{ device_type }}_device_session_count,
        {%- endfor %}
        max(session_started_at) as last_session_started_at
    from sessions
    where customer_id is not null
    group by 1
),

final as (
    select
        -- ids
        customer_sessions.customer_id,

        -- numerics
        customer_sessions.web_session_count,
        customer_sessions.web_page_view_count,
        customer_sessions.cart_session_count,
        customer_sessions.purchase_session_count,
        customer_sessions.abandoned_cart_count,
        customer_sessions.abandoned_cart_count * customer_products.avg_basket_value
            as abandoned_cart_value,
        {{ dbt.datediff(
            dbt.cast('customer_sessions.last_session_started_at', 'date'),
            'as_of.as_of_date', 'day') }} as days_since_last_session,
        {%- for traffic_source in traffic_sources %}
            cast(customer_sessions.{{ traffic_source }}_session_count as {{ type_double() }})
            / customer_sessions.web_session_count as share_sessions_source_{{ traffic_source }},
        {%- endfor %}
        {%- for device_type in device_types %}
            cast(customer_sessions.{{ device_type }}_device_session_count as {{ type_double() }})
            / customer_sessions.web_session_count as share_sessions_device_{{ device_type }},
        {%- endfor %}

        -- timestamps
        customer_sessions.last_session_started_at

    from customer_sessions
    cross join as_of
    left join customer_products
        on customer_sessions.customer_id = customer_products.customer_id
)

select * from final
