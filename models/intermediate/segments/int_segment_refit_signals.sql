{#-
    The previous build's drift verdict per segment model version, read by the model registry
    `int_segment_model_versions` (docs block `segment_refit_policy`). The drift report
    depends on the registry, so it is read as the source `previous_build.segment_drift` (the
    report the previous build left), not as a `ref()`. In a warehouse without a drift report
    this is an empty relation of the same columns, and no build refits because of drift.
-#}

{%- set drift_source = source('previous_build', 'segment_drift') %}
{%- set drift_report = none %}
{%- if execute %}
    {%- set drift_report = adapter.get_relation(
        database=drift_source.database,
        schema=drift_source.schema,
        identifier=drift_source.identifier,
    ) %}
{%- endif %}

with

{% if drift_report is not none %}
    drift_report as (
        select * from {{ drift_source }}
    ),

    refit_signals as (
        select
            -- ids
            model_version,

            -- booleans
            {{ dbt.bool_or('is_refit_recommended') }} as is_refit_recommended

        from drift_report
        group by 1
    )
{% else %}
    refit_signals as (
        select
            cast(null as {{ dbt.type_bigint() }}) as model_version,
            cast(null as {{ dbt.type_boolean() }}) as is_refit_recommended
        where false
    )
{% endif %}

select * from refit_signals
