{#-
    Nearest-centroid scoring in portable SQL: applies a stored model version's preprocessing
    (signed log1p, clipping, median imputation, null indicators, scaling) to raw feature
    columns and returns, per key, the nearest centroid's segment. Returns one select
    statement (use it as a CTE body); the caller passes the relations, so lineage stays
    visible. Exact for nearest-centroid models (kmeans, agglomerative) without PCA; docs
    block `segment_scoring_paths`.
-#}
{% macro score_nearest_centroid(
    features_relation,
    feature_columns,
    preprocessing_relation,
    centroids_relation,
    model_version,
    key_column='customer_id'
) %}
    {%- set double_type = type_double() %}
    with

    model_preprocessing as (
        select * from {{ preprocessing_relation }}
        where model_version = {{ model_version }}
    ),

    model_centroids as (
        select * from {{ centroids_relation }}
        where model_version = {{ model_version }}
    ),

    raw_values as (
        {%- for feature_column in feature_columns %}
            select
                {{ key_column }} as scored_key,
                '{{ feature_column }}' as feature_name,
                cast({{ feature_column }} as {{ double_type }}) as raw_value
            from {{ features_relation }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    ),

    transformed_values as (
        select
            raw_values.scored_key,
            raw_values.feature_name,
            model_preprocessing.clip_lower,
            model_preprocessing.clip_upper,
            model_preprocessing.impute_value,
            case
                when model_preprocessing.is_log1p
                    then sign(raw_values.raw_value) * ln(1 + abs(raw_values.raw_value))
                else raw_values.raw_value
            end as feature_value
        from raw_values
        inner join model_preprocessing
            on
                raw_values.feature_name = model_preprocessing.column_name
                and model_preprocessing.column_kind = 'feature'
    ),

    imputed_values as (
        select
            scored_key,
            feature_name,
            feature_value is null as is_missing,
            case
                when feature_value is null then impute_value
                when clip_lower is not null and feature_value < clip_lower then clip_lower
                when clip_upper is not null and feature_value > clip_upper then clip_upper
                else feature_value
            end as column_value
        from transformed_values
    ),

    scaled_values as (
        -- each kept column: the feature itself or its null indicator, centered and scaled
        select
            imputed_values.scored_key,
            model_preprocessing.column_name,
            (
                case
                    when model_preprocessing.column_kind = 'null_indicator'
                        then case when imputed_values.is_missing then 1.0 else 0.0 end
                    else imputed_values.column_value
                end
                - model_preprocessing.scale_center
            ) / model_preprocessing.scale_scale as scaled_value
        from imputed_values
        inner join model_preprocessing
            on imputed_values.feature_name = model_preprocessing.feature_name
        where model_preprocessing.is_kept
    ),

    centroid_distances as (
        select
            scaled_values.scored_key,
            model_centroids.segment_id,
            model_centroids.cluster_label,
            sqrt(
                sum(
                    (scaled_values.scaled_value - model_centroids.centroid_value)
                    * (scaled_values.scaled_value - model_centroids.centroid_value)
                )
            ) as distance_to_centroid
        from scaled_values
        inner join model_centroids
            on scaled_values.column_name = model_centroids.column_name
        group by 1, 2, 3
    ),

    ranked_centroids as (
        select
            scored_key,
            segment_id,
            cluster_label,
            distance_to_centroid,
            row_number() over (
                partition by scored_key
                order by distance_to_centroid, cluster_label
            ) as distance_rank
        from centroid_distances
    )

    select
        scored_key as {{ key_column }},
        {{ model_version }} as model_version,
        segment_id,
        cluster_label,
        distance_to_centroid
    from ranked_centroids
    where distance_rank = 1
{% endmacro %}
