"""Per-customer CLV predictions from the parameters fitted in `int_clv_parameters_fitted`.

Predictions that depend on a fit that did not converge are null (and the reason is logged).
Customers of `int_clv_inputs` are predicted batch by batch on the engine
(`custseg.dbt_io.map_batches`, batches of var `segment_batch_rows`): a customer's prediction
depends only on its own history and the fitted parameters, and no customer row reaches the
driver on Spark.
"""

from functools import partial

from custseg import clv, project_vars
from custseg.dbt_io import count_rows, log_progress, map_batches, read_relation

MODEL = "int_customers_clv_predicted"


def model(dbt, session):
    horizon_days = dbt.config.get("clv_horizon_days")
    horizon_days = project_vars.number("clv_horizon_days", horizon_days, low=0)
    batch_rows = dbt.config.get("segment_batch_rows")
    batch_rows = project_vars.integer("segment_batch_rows", batch_rows, minimum=1)
    parameters = read_relation(dbt.ref("int_clv_parameters_fitted"), model=MODEL)
    inputs = dbt.ref("int_clv_inputs")

    fits = {row["model_component"]: row for row in parameters.to_dict("records")}
    purchase_params = clv.params_from_row(fits["purchases"], clv.PURCHASE_PARAMETER_NAMES)
    spend_params = clv.params_from_row(fits["spend"], clv.SPEND_PARAMETER_NAMES)
    for component, params in (("purchases", purchase_params), ("spend", spend_params)):
        if params is None:
            log_progress(
                f"{MODEL}: the {component} model did not converge, so its "
                f"predictions are null: {fits[component]['fit_message']}"
            )

    log_progress(
        f"{MODEL}: predicting {count_rows(inputs):,} customers over {horizon_days:g} days "
        f"in batches of {batch_rows:,}"
    )
    predict = partial(
        clv.predict_customers,
        purchase_params=purchase_params,
        spend_params=spend_params,
        horizon_days=horizon_days,
        model=fits["purchases"]["model_name"],
    )
    return map_batches(inputs, predict, clv.PREDICTION_SCHEMA, batch_rows)
