{#-
    Inputs of the CLV models at the as-of date, one row per customer with at least one
    purchase before it: frequency, recency and T at daily granularity, and the mean
    revenue of the repeat purchase days (see the docs blocks `clv_*`).
-#}

with

purchase_days as (
    select * from {{ ref('int_clv_purchase_days') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_date') }}
),

purchase_days_with_first as (
    select
        customer_id,
        purchase_date,
        purchase_revenue,
        min(purchase_date) over (partition by customer_id) as first_purchase_date
    from purchase_days
),

customer_histories as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as purchase_day_count,
        sum(case when purchase_date > first_purchase_date then purchase_revenue end) as repeat_revenue
    from purchase_days_with_first
    group by 1
),

final as (
    select
        -- ids
        customer_histories.customer_id,

        -- numerics
        customer_histories.purchase_day_count - 1 as frequency,
        {{ dbt.datediff(
            'customer_histories.first_purchase_date',
            'customer_histories.last_purchase_date',
            'day',
        ) }} as recency,
        {{ dbt.datediff(
            'customer_histories.first_purchase_date',
            dbt.dateadd('day', -1, 'as_of_dates.as_of_date'),
            'day',
        ) }} as t,
        case
            when customer_histories.purchase_day_count > 1
                then
                    cast(customer_histories.repeat_revenue as {{ type_double() }})
                    / (customer_histories.purchase_day_count - 1)
        end as monetary_value,

        -- dates
        customer_histories.first_purchase_date,
        customer_histories.last_purchase_date

    from customer_histories
    cross join as_of_dates
)

select * from final
