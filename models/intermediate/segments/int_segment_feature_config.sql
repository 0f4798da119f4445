{#-
    One row per configured segmentation feature (macro `segment_features`, var
    `segment_features`), in order. The Python models read the feature list and transforms
    from here, so the list is resolved in one place.
-#}

with

configured_features as (
    {%- for feature in segment_features() %}
        select
            {{ loop.index }} as feature_position,
            '{{ feature.name }}' as feature_name,
            '{{ feature.transform }}' as feature_transform
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from configured_features
