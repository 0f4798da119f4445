-- Exactly one candidate is selected, and it is the algorithm and k of the model version in
-- use. Fails with one row per version whose selection does not add up.
with

candidates as (
    select * from {{ ref('rpt_segment_model_selection') }}
),

model_versions as (
    select * from {{ ref('int_segment_model_versions') }}
),

selected_candidates as (
    select
        model_version,
        count(*) as candidate_count,
        sum(case when is_selected then 1 else 0 end) as selected_count,
        max(case when is_selected then algorithm end) as selected_algorithm,
        max(case when is_selected then n_clusters end) as selected_n_clusters
    from candidates
    group by 1
)

select
    selected_candidates.*,
    model_versions.algorithm,
    model_versions.n_clusters
from selected_candidates
inner join model_versions
    on selected_candidates.model_version = model_versions.model_version
where
    selected_candidates.selected_count <> 1
    or selected_candidates.selected_algorithm <> model_versions.algorithm
    or selected_candidates.selected_n_clusters <> model_versions.n_clusters
