-- Point in time: a build never scores with a model version trained after its as-of date,
-- and it uses the latest version trained on or before it. Fails with the offending versions.
with

customer_segments as (
    select * from {{ ref('int_customer_segments_assigned') }}
),

model_versions as (
    select * from {{ ref('int_segment_model_versions') }}
),

used_versions as (
    select distinct
        model_version,
        as_of_date
    from customer_segments
),

latest_applicable as (
    select
        used_versions.as_of_date,
        max(model_versions.trained_as_of_date) as latest_trained_as_of_date
    from used_versions
    inner join model_versions
        on used_versions.as_of_date >= model_versions.trained_as_of_date
    group by 1
)

select
    used_versions.model_version,
    used_versions.as_of_date,
    model_versions.trained_as_of_date,
    latest_applicable.latest_trained_as_of_date
from used_versions
inner join model_versions
    on used_versions.model_version = model_versions.model_version
left join latest_applicable
    on used_versions.as_of_date = latest_applicable.as_of_date
where
    model_versions.trained_as_of_date > used_versions.as_of_date
    or model_versions.trained_as_of_date < latest_applicable.latest_trained_as_of_date
