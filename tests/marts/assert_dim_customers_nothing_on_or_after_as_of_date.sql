-- Point in time: no feature of dim_customers may come from on or after the as-of date,
-- and the order counts must be consistent with each other.
with

dim_customers as (
    select * from {{ ref('dim_customers') }}
)

select
    customer_id,
    as_of_date,
    first_order_date,
    last_order_date,
    order_count,
    all_order_count,
    returned_order_count
from dim_customers
where
    last_order_date >= as_of_date
    or first_order_date > last_order_date
    or days_since_last_order < 1
    or days_since_last_session < 1
    or order_count + returned_order_count > all_order_count
    or (order_count > 0) <> (first_order_date is not null)
