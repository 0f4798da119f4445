-- Every rate_date lists every currency: base models convert through the reporting
-- currency's rate of the same date, so a gap would reject valid rows as unknown_currency.
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
        count(*) as currency_count
    from fx_rates
    group by 1
)

select per_date.*
from per_date
cross join currencies
where per_date.currency_count <> currencies.currency_count
