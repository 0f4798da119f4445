{#-
    Quintile cut points of recency, frequency and monetary value over the customers with
    at least one completed order before the as-of date (docs block `rfm_cut_points`): one
    row per metric and score with the score's value interval (lower_bound, upper_bound].
    Scoring buckets a value by these intervals, so equal values always get equal scores.
-#}

{#- (metric, column, direction): recency is 'descending', its lowest values (fewest days) score 5. -#}
{%- set rfm_metrics = [
    ('recency', 'days_since_last_order', 'descending'),
    ('frequency', 'order_count', 'ascending'),
    ('monetary', 'total_revenue', 'ascending'),
] %}
{%- set quantiles = [20, 40, 60, 80] %}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

customer_orders as (
    select * from {{ ref('int_customers_orders_aggregated') }}
),

scored_customers as (
    select * from customer_orders
    where order_count > 0
),

quintiles as (
    select
        {%- for metric, column, direction in rfm_metrics %}
            {%- for quantile in quantiles %}
                percentile_cont({{ quantile / 100 }}) within group (
                    order by cast({{ column }} as {{ type_double() }})
                ) as {{ metric }}_p{{ quantile }},
            {%- endfor %}
        {%- endfor %}
        count(*) as scored_customer_count
    from scored_customers
),

cut_points as (
    {%- for metric, column, direction in rfm_metrics %}
        {%- set metric_loop = loop %}
        {%- for score in range(1, 6) %}
            {#- the k-th interval from the lowest values: (p(20k-20), p(20k)], open-ended at both ends -#}
            {%- set interval_number = score if direction == 'ascending' else 6 - score %}
            select
                '{{ metric }}' as rfm_metric,
                {{ score }} as rfm_score,
                {% if interval_number == 1 -%}
                    cast(null as {{ type_double() }})
                {%- else -%}
                    {{ metric }}_p{{ (interval_number - 1) * 20 }}
                {%- endif %} as lower_bound,
                {% if interval_number == 5 -%}
                    cast(null as {{ type_double() }})
                {%- else -%}
                    {{ metric }}_p{{ interval_number * 20 }}
                {%- endif %} as upper_bound,
                scored_customer_count
            from quintiles
            where scored_customer_count > 0
            {% if not (metric_loop.last and loop.last) %}union all{% endif %}
        {%- endfor %}
    {%- endfor %}
),

final as (
    select
        -- dates
        as_of.as_of_date,

        -- strings
        cut_points.rfm_metric,

        -- numerics
        cut_points.rfm_score,
        cut_points.lower_bound,
        cut_points.upper_bound,
        cut_points.scored_customer_count

    from cut_points
    cross join as_of
)

select * from final
