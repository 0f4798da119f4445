-- The portable SQL scoring (macro score_nearest_centroid) and the Python assignment in
-- int_customer_segments_assigned give the same segment to at least 99.9% of customers, whenever the
-- model version in use is a nearest-centroid model (kmeans, agglomerative) without PCA.
-- Fails with one row of counts.
{%- set feature_names = segment_features() | map(attribute='name') | list %}

with

python_segments as (
    select * from {{ ref('int_customer_segments_assigned') }}
),

centroid_versions as (
    select distinct model_version from {{ ref('int_segment_centroids') }}
    where is_nearest_centroid_model
),

sql_segments as (
    {{ score_nearest_centroid(
        features_relation=ref('int_segment_features'),
        feature_columns=feature_names,
        preprocessing_relation=ref('int_segment_preprocessing'),
        centroids_relation=ref('int_segment_centroids'),
        model_version='(select max(model_version) from ' ~ ref('int_customer_segments_assigned') ~ ')',
    ) }}
),

compared as (
    select
        count(*) as customer_count,
        count(sql_segments.customer_id) as sql_scored_count,
        sum(
            case when sql_segments.segment_id = python_segments.segment_id then 1 else 0 end
        ) as agreeing_count
    from python_segments
    inner join centroid_versions
        on python_segments.model_version = centroid_versions.model_version
    left join sql_segments
        on python_segments.customer_id = sql_segments.customer_id
)

select * from compared
where
    customer_count > 0
    and (sql_scored_count < customer_count or agreeing_count < 0.999 * customer_count)
