{#-
    Standardised feature means per segment and feature, one row each (docs block
    `segment_feature_profiles`), with the segment's name: the long table behind the profile
    heatmap and the segment descriptions.
-#}

with

segment_profiles as (
    select * from {{ ref('int_segment_profiles_computed') }}
),

segment_names as (
    select * from {{ ref('int_segments_named') }}
),

final as (
    select
        -- ids
        segment_profiles.segment_id,
        segment_profiles.feature,

        -- strings
        segment_names.segment_name,

        -- numerics
        segment_profiles.feature_position,
        segment_profiles.customer_count,
        segment_profiles.value_count,
        segment_profiles.segment_mean,
        segment_profiles.overall_mean,
        segment_profiles.overall_std,
        segment_profiles.z_score,

        -- booleans
        segment_profiles.is_clustering_feature

    from segment_profiles
    left join segment_names
        on segment_profiles.segment_id = segment_names.segment_id
)

select * from final
