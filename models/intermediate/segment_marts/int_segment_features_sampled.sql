{#-
    The bounded, deterministic sample of clustered customers that the segment Python models
    draw from: rules (int_segments_named), charts (rpt_segment_plots) and silhouettes
    (fct_segment_run_silhouettes). One row per sampled customer with the clustering
    features of int_segment_features and the segment after merges of
    int_customer_segments_merged, so no Python model maps segment ids itself.

    The sample is the customers first in macro `customer_sample_order` (smallest md5 of
    `customer_id`, ties by `customer_id`): the same customers for the same data on every
    run and engine, and a customer stays in the sample until new customers with smaller
    hashes push it out. `sample_rank` numbers them in that order; each model reads the rows
    up to its own sample size, and the table holds as many rows as the largest of the three
    sizes.
-#}

{%- set sample_size = [
    var('segment_rule_sample_size') | int,
    var('segment_plot_sample_size') | int,
    var('drift_silhouette_sample_size') | int,
] | max %}

with

segment_features as (
    select * from {{ ref('int_segment_features') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_merged') }}
),

ranked_customers as (
    select
        -- ids
        segment_features.customer_id,
        customer_segments.segment_id,

        -- dates
        segment_features.as_of_date,

        -- features
        {%- for feature in segment_features() %}
            segment_features.{{ feature.name }},
        {%- endfor %}

        -- numerics
        row_number() over (
            order by {{ customer_sample_order('segment_features.customer_id') }}
        ) as sample_rank

    from segment_features
    inner join customer_segments
        on segment_features.customer_id = customer_segments.customer_id
),

final as (
    select
        customer_id,
        segment_id,
        as_of_date,
        {%- for feature in segment_features() %}
            {{ feature.name }},
        {%- endfor %}
        sample_rank
    from ranked_customers
    where sample_rank <= {{ sample_size }}
)

select * from final
