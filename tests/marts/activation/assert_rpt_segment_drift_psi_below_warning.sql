{#-
    Warns when the latest run's PSI exceeds var `psi_warn` (default 0.1) under the same model
    version as the run before it (docs block `segment_drift`). Such a run also sets
    `is_refit_recommended`, so the next build refits.
-#}
{{ config(severity='warn') }}

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
    and psi > {{ var('psi_warn', 0.1) }}
