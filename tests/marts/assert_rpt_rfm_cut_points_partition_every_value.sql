-- For each metric the five score intervals (lower_bound, upper_bound] must chain without
-- gaps or overlaps from -inf to +inf (ordered from the lowest values: score 1 up for
-- frequency and monetary, score 5 down for recency), and the customers per score must add
-- up to the scored customers. Then every value gets exactly one score.
with

rfm_cut_points as (
    select * from {{ ref('rpt_rfm_cut_points') }}
),

ordered as (
    select
        rfm_metric,
        rfm_score,
        lower_bound,
        upper_bound,
        customer_count,
        scored_customer_count,
        case when rfm_metric = 'recency' then 6 - rfm_score else rfm_score end as interval_number
    from rfm_cut_points
),

chained as (
    select
        rfm_metric,
        rfm_score,
        interval_number,
        lower_bound,
        upper_bound,
        customer_count,
        scored_customer_count,
        lag(upper_bound) over (partition by rfm_metric order by interval_number)
            as previous_upper_bound,
        count(*) over (partition by rfm_metric) as interval_count,
        sum(customer_count) over (partition by rfm_metric) as metric_customer_count
    from ordered
)

select * from chained
where
    interval_count <> 5
    or metric_customer_count <> scored_customer_count
    or (interval_number = 1 and lower_bound is not null)
    or (interval_number = 5 and upper_bound is not null)
    or (interval_number > 1 and (lower_bound is null or lower_bound <> previous_upper_bound))
    or (interval_number < 5 and (upper_bound is null or upper_bound < lower_bound))
