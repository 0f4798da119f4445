{#-
    Inputs of the CLV backtest: the CLV inputs as they were at the calibration cut-off
    (exclusive), one row per customer with a purchase before it, plus the purchase days
    actually seen in the holdout [cut-off, as-of date). The cut-off is var
    `clv_calibration_cutoff` (YYYY-MM-DD), by default the as-of date minus half of var
    `clv_horizon_days`.
-#}

{%- set cutoff_var = var('clv_calibration_cutoff') %}
{%- set horizon_days = var('clv_horizon_days') | int %}
{%- if cutoff_var is not none and not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', cutoff_var | string) %}
    {{ exceptions.raise_compiler_error(
        "var clv_calibration_cutoff must be YYYY-MM-DD (for example 2025-07-01); got '"
        ~ cutoff_var ~ "'"
    ) }}
{%- endif %}

with

purchase_days as (
    select * from {{ ref('int_clv_purchase_days') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_date') }}
),

cutoff_dates as (
    select
        as_of_date,
        {% if cutoff_var is not none -%}
            cast('{{ cutoff_var }}' as date)
        {%- else -%}
            cast({{ dbt.dateadd('day', -(horizon_days // 2), 'as_of_date') }} as date)
        {%- endif %} as calibration_cutoff_date
    from as_of_dates
),

purchase_days_split as (
    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.purchase_date < cutoff_dates.calibration_cutoff_date as is_calibration
    from purchase_days
    cross join cutoff_dates
),

customer_histories as (
    select
        customer_id,
        min(case when is_calibration then purchase_date end) as first_purchase_date,
        max(case when is_calibration then purchase_date end) as last_purchase_date,
        count(case when is_calibration then 1 end) as calibration_purchase_day_count,
        count(case when not is_calibration then 1 end) as holdout_purchases
    from purchase_days_split
    group by 1
),

final as (
    select
        -- ids
        customer_histories.customer_id,

        -- numerics
        customer_histories.calibration_purchase_day_count - 1 as frequency,
        {{ dbt.datediff(
            'customer_histories.first_purchase_date',
            'customer_histories.last_purchase_date',
            'day',
        ) }} as recency,
        {{ dbt.datediff(
            'customer_histories.first_purchase_date',
            dbt.dateadd('day', -1, 'cutoff_dates.calibration_cutoff_date'),
            'day',
        ) }} as t,
        customer_histories.holdout_purchases,
        {{ dbt.datediff(
            'cutoff_dates.calibration_cutoff_date',
            'cutoff_dates.as_of_date',
            'day',
        ) }} as holdout_days,

        -- dates
        cutoff_dates.calibration_cutoff_date

    from customer_histories
    cross join cutoff_dates
    where customer_histories.calibration_purchase_day_count > 0
)

select * from final
