-- Every combination of recency, frequency and monetary score (1-5 each, 125 in all) must
-- match at least one rule of seed rfm_segment_rules, so every scored customer gets a
-- segment. Returns the combinations no rule covers.
with

rfm_segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

scores as (
    select 1 as score
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
),

score_combinations as (
    select
        recency_scores.score as rfm_recency_score,
        frequency_scores.score as rfm_frequency_score,
        monetary_scores.score as rfm_monetary_score
    from scores as recency_scores
    cross join scores as frequency_scores
    cross join scores as monetary_scores
),

matches as (
    select
        score_combinations.rfm_recency_score,
        score_combinations.rfm_frequency_score,
        score_combinations.rfm_monetary_score,
        count(rfm_segment_rules.rule_priority) as matching_rule_count
    from score_combinations
    left join rfm_segment_rules
        on
            score_combinations.rfm_recency_score between rfm_segment_rules.recency_score_min
            and rfm_segment_rules.recency_score_max
            and score_combinations.rfm_frequency_score between rfm_segment_rules.frequency_score_min
            and rfm_segment_rules.frequency_score_max
            and score_combinations.rfm_monetary_score between rfm_segment_rules.monetary_score_min
            and rfm_segment_rules.monetary_score_max
    group by 1, 2, 3
)

select * from matches
where matching_rule_count = 0
