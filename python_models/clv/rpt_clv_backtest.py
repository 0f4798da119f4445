"""Backtest of the purchase model: fit before the calibration cut-off, predict the holdout.

Compares predicted with actual purchase days in [cut-off, as-of date), overall and per
decile of predicted purchases. The fit reads the distinct calibration histories counted in
SQL (`int_clv_backtest_histories_counted`), and a customer's prediction depends only on its
history, so Python predicts once per history; ranking the customers into deciles and summing
runs on the engine (`custseg.clv.BACKTEST_GROUP_SQL`), which returns one row per decile.
When the calibration fit does not converge, only the overall row is written, with null
predictions.
"""

import pandas as pd

from custseg import clv, project_vars
from custseg.dbt_io import log_progress, query, read_relation, to_engine

MODEL = "rpt_clv_backtest"


def model(dbt, session):
    purchase_model = dbt.config.get("clv_model")
    purchase_model = project_vars.required("clv_model", purchase_model)
    histories = read_relation(
        dbt.ref("int_clv_backtest_histories_counted"), order_by="frequency, recency, t", model=MODEL
    )
    # A short history is not an error for the whole build: write an explained, empty backtest.
    if histories.empty:
        reason = "no purchases before the calibration cut-off; set var clv_calibration_cutoff later"
        return to_engine(session, _not_run(purchase_model, reason))
    holdout_days = int(histories["holdout_days"].iloc[0])
    cutoff_date = histories["calibration_cutoff_date"].dt.date.iloc[0]
    if holdout_days <= 0:
        reason = (
            f"the calibration cut-off {cutoff_date} is not before the as-of date; "
            "set var clv_calibration_cutoff earlier"
        )
        return to_engine(session, _not_run(purchase_model, reason))

    log_progress(
        f"{MODEL}: fitting {purchase_model} on {int(histories['customer_count'].sum()):,} "
        f"customers ({len(histories):,} distinct histories) before {cutoff_date}; "
        f"holdout {holdout_days} days"
    )
    fit = clv.fit_purchase_model(
        histories["frequency"],
        histories["recency"],
        histories["t"],
        histories["customer_count"],
        purchase_model,
    )
    log_progress(f"{MODEL}: {clv.describe_fit(fit)}")
    if fit.converged:
        predictions = histories.loc[:, ["frequency", "recency", "t"]]
        predictions["predicted_purchases"] = clv.conditional_expected_purchases(
            holdout_days,
            fit.params,
            histories["frequency"],
            histories["recency"],
            histories["t"],
            purchase_model,
        )
        inputs = f"{MODEL}__inputs"
        by_history = f"{MODEL}__predictions"
        groups = query(
            session,
            clv.BACKTEST_GROUP_SQL.format(inputs=inputs, predictions=by_history),
            {inputs: dbt.ref("int_clv_backtest_inputs"), by_history: predictions},
            model=MODEL,
        )
    else:
        groups = pd.DataFrame(
            {
                "predicted_purchases_decile": [0],
                "n_customers": [int(histories["customer_count"].sum())],
                "predicted_purchases": [float("nan")],
                "actual_purchases": [float(histories["holdout_purchases"].sum())],
                "absolute_error": [float("nan")],
            }
        )
    summary = clv.backtest_summary_from_groups(groups, fit.converged)
    summary["clv_model"] = purchase_model
    summary["converged"] = fit.converged
    summary["fit_message"] = fit.message
    summary["calibration_cutoff_date"] = cutoff_date
    summary["holdout_days"] = holdout_days
    return to_engine(session, summary)


def _not_run(purchase_model, reason):
    """The overall row only, with null predictions and the reason, when no backtest is possible."""
    log_progress(f"{MODEL}: not run: {reason}")
    summary = clv.backtest_summary([], None, [])
    summary["clv_model"] = purchase_model
    summary["converged"] = False
    summary["fit_message"] = f"not run: {reason}"
    summary["calibration_cutoff_date"] = pd.NaT
    summary["holdout_days"] = 0
    summary["calibration_cutoff_date"] = summary["calibration_cutoff_date"].astype("datetime64[s]")
    return summary
