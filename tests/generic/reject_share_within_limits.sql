{#-
    Watches the share of rows with a non-null `column_name` (the reject reason) in a
    validation model. Returns one row when the share is above `warn_share` and a second
    when it is above `error_share`; with the default config (warn_if >= 1, error_if >= 2)
    dbt warns on the first and fails on the second. Thresholds default to the vars
    reject_share_warn and reject_share_error. Rows numbered 0 stand for a quarantined file,
    not a record (read_raw_table): they are reported in rpt_ingestion_summary and left out
    here, so one bad file of an optional table does not fail the build.
-#}
{% test reject_share_within_limits(model, column_name, warn_share=none, error_share=none) %}
    {{ config(warn_if='>=1', error_if='>=2') }}
    {%- set warn_share = warn_share if warn_share is not none else var('reject_share_warn') -%}
    {%- set error_share = error_share if error_share is not none else var('reject_share_error') -%}

with

shares as (
    select
        count(*) as row_count,
        sum(case when {{ column_name }} is not null then 1 else 0 end) as rejected_count
    from {{ model }}
    where source_row_number <> 0
),

measured as (
    select
        row_count,
        rejected_count,
        case when row_count > 0 then rejected_count * 1.0 / row_count else 0 end as reject_share
    from shares
),

thresholds as (
    select 'warn' as level, {{ warn_share }} as threshold
    union all
    select 'error' as level, {{ error_share }} as threshold
)

select
    thresholds.level,
    thresholds.threshold,
    measured.reject_share,
    measured.rejected_count,
    measured.row_count
from measured
cross join thresholds
where measured.reject_share > thresholds.threshold
{% endtest %}
