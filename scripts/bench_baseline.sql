-- The benchmark's yardstick: basic per-customer aggregates computed straight from the raw
-- files in one DuckDB query (orders, revenue, recency, channel share, web activity,
-- tickets, email open rate). scripts/bench.py fills in {raw}, {orders_glob}, {tickets_glob},
-- {web_reader}.
with orders as (
    select
        customer_id,
        count(*) filter (where lower(trim(status)) = 'completed') as order_count,
        sum(try_cast(order_total as double)) filter (where lower(trim(status)) = 'completed') as revenue,
        max(try_cast(ordered_at as timestamptz)) as last_order_at,
        count(*) filter (where lower(trim(sales_channel)) = 'web') / count(*) as share_web
    from read_csv('{raw}/shop_orders{orders_glob}', header = true, all_varchar = true, union_by_name = true)
    group by 1
),

web as (
    select
        coalesce(customer_id, anonymous_id) as customer_id,
        count(*) as events,
        count(distinct date_trunc('hour', try_cast(event_at as timestamptz))) as sessions
    from {web_reader}
    group by 1
),

tickets as (
    select
        customer_id,
        count(*) as tickets
    from read_csv('{raw}/support_tickets{tickets_glob}', header = true, all_varchar = true)
    group by 1
),

email as (
    select
        customer_id,
        count(*) filter (where event_type = 'open')
        / greatest(count(*) filter (where event_type = 'sent'), 1) as open_rate
    from read_csv('{raw}/marketing_events.csv', header = true, all_varchar = true)
    group by 1
)

select
    count(*),
    sum(order_count),
    sum(events),
    sum(tickets),
    avg(open_rate)
from orders
left join web using (customer_id)
left join tickets using (customer_id)
left join email using (customer_id)
