{#-
    The backtest's calibration histories counted like `int_clv_purchase_histories_counted`:
    one row per distinct (frequency, recency, T) before the calibration cut-off, with the
    number of customers who have it and their holdout purchase days. `rpt_clv_backtest`
    fits on these rows (weighted by `customer_count`, which gives exactly the likelihood over
    every customer) and predicts once per history, so Python never reads one row per
    customer. The cut-off and holdout length are the same on every row.
-#}

with

backtest_inputs as (
    select * from {{ ref('int_clv_backtest_inputs') }}
),

final as (
    select
        -- numerics
        frequency,
        recency,
        t,
        holdout_days,

        -- dates
        calibration_cutoff_date,

        -- numerics
        count(*) as customer_count,
        cast(sum(holdout_purchases) as {{ dbt.type_bigint() }}) as holdout_purchases

    from backtest_inputs
    group by 1, 2, 3, 4, 5
)

select * from final
