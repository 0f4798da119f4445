{#-
    Watches a population stability index column (docs block `segment_drift`). Takes the
    largest value of `column_name` over the rows tested (restrict them with the test's
    `where` config, for example to the latest run) and returns one row when it is above
    `warn_psi` and a second when it is above `error_psi`; with the default config
    (warn_if >= 1, error_if >= 2) dbt warns on the first and fails on the second. Null
    values (no previous run to compare with) pass. Thresholds default to the vars psi_warn
    and psi_error.
-#}
{% test psi_within_limits(model, column_name, warn_psi=none, error_psi=none) %}
    {{ config(warn_if='>=1', error_if='>=2') }}
    {%- set warn_psi = warn_psi if warn_psi is not none else var('psi_warn') -%}
    {%- set error_psi = error_psi if error_psi is not none else var('psi_error') -%}

with

measured as (
    select max({{ column_name }}) as psi
    from {{ model }}
),

thresholds as (
    select
        'warn' as level,
        {{ warn_psi }} as threshold
    union all
    select
        'error' as level,
        {{ error_psi }} as threshold
)

select
    thresholds.level,
    thresholds.threshold,
    measured.psi
from measured
cross join thresholds
where measured.psi > thresholds.threshold
{% endtest %}
