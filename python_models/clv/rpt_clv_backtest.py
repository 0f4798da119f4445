"""Backtest of the purchase model: fit before the calibration cut-off, predict the holdout.

Compares predicted with actual purchase days in [cut-off, as-of date), overall and per
decile of predicted purchases. When the calibration fit does not converge, only the overall
row is written, with null predictions.
"""

import pandas as pd

from custseg import clv, project_vars
from custseg.dbt_io import log_progress, read_relation, to_engine

MODEL = "rpt_clv_backtest"


def model(dbt, session):
    purchase_model = dbt.config.get("clv_model")
    purchase_model = project_vars.required("clv_model", purchase_model)
    inputs = read_relation(dbt.ref("int_clv_backtest_inputs"), model=MODEL).sort_values(
        "customer_id"
    )
    # A short history is not an error for the whole build: write an explained, empty backtest.
    if inputs.empty:
        return to_engine(
            session,
            _not_run(
                purchase_model,
                "no purchases before the calibration cut-off; set var clv_calibration_cutoff later",
            ),
        )
    holdout_days = int(inputs["holdout_days"].iloc[0])
    cutoff_date = inputs["calibration_cutoff_date"].dt.date.iloc[0]
    if holdout_days <= 0:
        return to_engine(
            session,
            _not_run(
                purchase_model,
                f"the calibration cut-off {cutoff_date} is not before the as-of date; "
                "set var clv_calibration_cutoff earlier",
            ),
        )

    triples = clv.aggregate_rows(inputs, ["frequency", "recency", "t"])
    log_progress(
        f"rpt_clv_backtest: fitting {purchase_model} on {len(inputs):,} customers before "
        f"{cutoff_date}; holdout {holdout_days} days"
    )
    fit = clv.fit_purchase_model(
        triples["frequency"], triples["recency"], triples["t"], triples["weight"], purchase_model
    )
    log_progress(f"rpt_clv_backtest: {clv.describe_fit(fit)}")
    predicted = (
        clv.conditional_expected_purchases(
            holdout_days,
            fit.params,
            inputs["frequency"],
            inputs["recency"],
            inputs["t"],
            purchase_model,
        )
        if fit.converged
        else None
    )

    summary = clv.backtest_summary(inputs["customer_id"], predicted, inputs["holdout_purchases"])
    summary["clv_model"] = purchase_model
    summary["converged"] = fit.converged
    summary["fit_message"] = fit.message
    summary["calibration_cutoff_date"] = cutoff_date
    summary["holdout_days"] = holdout_days
    return to_engine(session, summary)


def _not_run(purchase_model, reason):
    """The overall row only, with null predictions and the reason, when no backtest is possible."""
    log_progress(f"rpt_clv_backtest: not run: {reason}")
    summary = clv.backtest_summary([], None, [])
    summary["clv_model"] = purchase_model
    summary["converged"] = False
    summary["fit_message"] = f"not run: {reason}"
    summary["calibration_cutoff_date"] = pd.NaT
    summary["holdout_days"] = 0
    summary["calibration_cutoff_date"] = summary["calibration_cutoff_date"].astype("datetime64[s]")
    return summary
