{#-
    Each run's migration matrix accounts for every customer (docs block
    `segment_migrations`): the cells with a `to` segment sum to the run's customers in
    fct_segment_history, the cells with a `from` segment to the previous run's, and all
    cells to the customers of both runs together.
-#}

with

migrations as (
    select * from {{ ref('fct_segment_migrations') }}
),

segment_history as (
    select * from {{ ref('fct_segment_history') }}
),

run_customers as (
    select
        as_of_date,
        model_version,
        count(*) as customer_count
    from segment_history
    group by 1, 2
),

matrix_totals as (
    select
        as_of_date,
        model_version,
        max(previous_as_of_date) as previous_as_of_date,
        max(previous_model_version) as previous_model_version,
        sum(case when to_segment_id is not null then customer_count else 0 end) as to_total,
        sum(case when from_segment_id is not null then customer_count else 0 end) as from_total,
        sum(customer_count) as matrix_total
    from migrations
    group by 1, 2
),

both_runs as (
    select
        matrix_totals.as_of_date,
        matrix_totals.model_version,
        count(distinct segment_history.customer_id) as union_customer_count
    from matrix_totals
    inner join segment_history
        on
            (
                matrix_totals.as_of_date = segment_history.as_of_date
                and matrix_totals.model_version = segment_history.model_version
            )
            or (
                matrix_totals.previous_as_of_date = segment_history.as_of_date
                and matrix_totals.previous_model_version = segment_history.model_version
            )
    group by 1, 2
)

select
    matrix_totals.as_of_date,
    matrix_totals.model_version,
    matrix_totals.to_total,
    current_runs.customer_count as run_customer_count,
    matrix_totals.from_total,
    matrix_totals.matrix_total,
    both_runs.union_customer_count,
    coalesce(previous_runs.customer_count, 0) as previous_run_customer_count
from matrix_totals
inner join run_customers as current_runs
    on
        matrix_totals.as_of_date = current_runs.as_of_date
        and matrix_totals.model_version = current_runs.model_version
left join run_customers as previous_runs
    on
        matrix_totals.previous_as_of_date = previous_runs.as_of_date
        and matrix_totals.previous_model_version = previous_runs.model_version
inner join both_runs
    on
        matrix_totals.as_of_date = both_runs.as_of_date
        and matrix_totals.model_version = both_runs.model_version
where
    matrix_totals.to_total <> current_runs.customer_count
    or matrix_totals.from_total <> coalesce(previous_runs.customer_count, 0)
    or matrix_totals.matrix_total <> both_runs.union_customer_count
