{#-
    RFM scores and named segment of each customer with a completed order before the as-of
    date. Each value is bucketed by the interval (lower_bound, upper_bound] of
    int_rfm_cut_points_computed it falls in, so equal values get equal scores (docs block
    `rfm_scores`); the segment is the first rule of seed rfm_segment_rules, by
    rule_priority, whose score ranges contain the three scores (docs block `rfm_segment`).
    A table: read by dim_customers and rpt_rfm_cut_points.
-#}

{{ config(materialized='table') }}

with

customer_orders as (
    select * from {{ ref('int_customers_orders_aggregated') }}
),

rfm_cut_points as (
    select * from {{ ref('int_rfm_cut_points_computed') }}
),

rfm_segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

rfm_values as (
    select
        customer_id,
        days_since_last_order,
        order_count,
        total_revenue,
        -- compared as the cut points were computed, in double precision
        cast(days_since_last_order as {{ type_double() }}) as recency_value,
        cast(order_count as {{ type_double() }}) as frequency_value,
        cast(total_revenue as {{ type_double() }}) as monetary_value
    from customer_orders
    where order_count > 0
),

recency_cut_points as (
    select * from rfm_cut_points
    where rfm_metric = 'recency'
),

frequency_cut_points as (
    select * from rfm_cut_points
    where rfm_metric = 'frequency'
),

monetary_cut_points as (
    select * from rfm_cut_points
    where rfm_metric = 'monetary'
),

scored as (
    -- each value falls in exactly one interval (lower_bound, upper_bound] per metric
    select
        rfm_values.customer_id,
        rfm_values.days_since_last_order,
        rfm_values.order_count,
        rfm_values.total_revenue,
        recency_cut_points.rfm_score as rfm_recency_score,
        frequency_cut_points.rfm_score as rfm_frequency_score,
        monetary_cut_points.rfm_score as rfm_monetary_score
    from rfm_values
    left join recency_cut_points
        on {{ in_rfm_interval('rfm_values.recency_value', 'recency_cut_points') }}
    left join frequency_cut_points
        on {{ in_rfm_interval('rfm_values.frequency_value', 'frequency_cut_points') }}
    left join monetary_cut_points
        on {{ in_rfm_interval('rfm_values.monetary_value', 'monetary_cut_points') }}
),

segment_matches as (
    select
        scored.customer_id,
        rfm_segment_rules.rfm_segment,
        rfm_segment_rules.rule_priority,
        row_number() over (
            partition by scored.customer_id
            order by rfm_segment_rules.rule_priority
        ) as match_rank
    from scored
    inner join rfm_segment_rules
        on
            scored.rfm_recency_score between rfm_segment_rules.recency_score_min
            and rfm_segment_rules.recency_score_max
            and scored.rfm_frequency_score between rfm_segment_rules.frequency_score_min
            and rfm_segment_rules.frequency_score_max
            and scored.rfm_monetary_score between rfm_segment_rules.monetary_score_min
            and rfm_segment_rules.monetary_score_max
),

first_matches as (
    select * from segment_matches
    where match_rank = 1
),

final as (
    select
        -- ids
        scored.customer_id,

        -- strings
        first_matches.rfm_segment,
        {{ dbt.concat([
            dbt.cast('scored.rfm_recency_score', dbt.type_string()),
            dbt.cast('scored.rfm_frequency_score', dbt.type_string()),
            dbt.cast('scored.rfm_monetary_score', dbt.type_string()),
        ]) }} as rfm_cell,

        -- numerics
        scored.days_since_last_order,
        scored.order_count,
        scored.total_revenue,
        scored.rfm_recency_score,
        scored.rfm_frequency_score,
        scored.rfm_monetary_score,
        first_matches.rule_priority as rfm_segment_rule_priority

    from scored
    left join first_matches
        on scored.customer_id = first_matches.customer_id
)

select * from final
