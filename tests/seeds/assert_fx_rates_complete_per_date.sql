-- Every rate_date lists every currency, and the reporting currency is among them:
-- base_shop__orders converts through the reporting currency's rate of the same date.
with

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

currencies as (
    select count(distinct currency_code) as currency_count from fx_rates
),

per_date as (
    select
        rate_date,
        count(*) as currency_count,
        sum(case when currency_code = '{{ var("reporting_currency") }}' then 1 else 0 end) as reporting_rows
    from fx_rates
    group by 1
)

select per_date.*
from per_date
cross join currencies
where
    per_date.currency_count <> currencies.currency_count
    or per_date.reporting_rows <> 1
