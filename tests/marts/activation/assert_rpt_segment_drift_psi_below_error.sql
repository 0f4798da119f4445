{#-
    Fails when the latest run's PSI exceeds var `psi_error` (default 0.25) under the same
    model version as the run before it: the population moved so far that the segments no
    longer describe it (docs block `segment_drift`). Refit (var `refit: true`) or raise the
    threshold.
-#}
{{ config(severity='error') }}

with

drift as (
    select * from {{ ref('rpt_segment_drift') }}
)

select distinct
    as_of_date,
    model_version,
    previous_as_of_date,
    psi
from drift
where
    is_latest_run
    and is_same_model_as_previous_run
    and psi > {{ var('psi_error', 0.25) }}
