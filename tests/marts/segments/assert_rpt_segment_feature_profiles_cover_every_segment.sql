-- Every segment of dim_segments is profiled on the same features, except the placeholder
-- segment -2 (customers who objected to profiling), which has no profile at all.

with

segments as (
    select * from {{ ref('dim_segments') }}
),

profiles as (
    select * from {{ ref('rpt_segment_feature_profiles') }}
),

features as (
    select count(distinct feature) as feature_count
    from profiles
),

feature_counts as (
    select
        segments.segment_id,
        segments.is_profiling_objection_segment,
        count(profiles.feature) as feature_count
    from segments
    left join profiles
        on segments.segment_id = profiles.segment_id
    group by 1, 2
)

select
    feature_counts.segment_id,
    feature_counts.feature_count,
    features.feature_count as expected_feature_count
from feature_counts
cross join features
where
    feature_counts.feature_count
    != case when feature_counts.is_profiling_objection_segment then 0 else features.feature_count end
