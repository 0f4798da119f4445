{#-
    The RFM quintile cut points of this build (docs block `rfm_cut_points`) with the number
    of customers each score got, so analysts can see where the score boundaries lie.
-#}

with

rfm_cut_points as (
    select * from {{ ref('int_rfm_cut_points_computed') }}
),

customer_rfm as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

{%- set rfm_metrics = ['recency', 'frequency', 'monetary'] %}

score_counts as (
    {%- for metric in rfm_metrics %}
        select
            '{{ metric }}' as rfm_metric,
            rfm_{{ metric }}_score as rfm_score,
            count(*) as customer_count
        from customer_rfm
        group by 1, 2
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        -- dates
        rfm_cut_points.as_of_date,

        -- strings
        rfm_cut_points.rfm_metric,

        -- numerics
        rfm_cut_points.rfm_score,
        rfm_cut_points.lower_bound,
        rfm_cut_points.upper_bound,
        rfm_cut_points.scored_customer_count,
        coalesce(score_counts.customer_count, 0) as customer_count

    from rfm_cut_points
    left join score_counts
        on
            rfm_cut_points.rfm_metric = score_counts.rfm_metric
            and rfm_cut_points.rfm_score = score_counts.rfm_score
)

select * from final
