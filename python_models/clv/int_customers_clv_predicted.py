"""Per-customer CLV predictions from the parameters fitted in `int_clv_parameters_fitted`.

Predictions that depend on a fit that did not converge are null (and the reason is logged).
"""

from custseg import clv, project_vars
from custseg.dbt_io import log_progress, read_relation, to_engine

MODEL = "int_customers_clv_predicted"


def model(dbt, session):
    horizon_days = dbt.config.get("clv_horizon_days")
    horizon_days = project_vars.number("clv_horizon_days", horizon_days, low=0)
    parameters = read_relation(dbt.ref("int_clv_parameters_fitted"), model=MODEL)
    inputs = read_relation(dbt.ref("int_clv_inputs"), model=MODEL)

    fits = {row["model_component"]: row for row in parameters.to_dict("records")}
    purchase_params = clv.params_from_row(fits["purchases"], clv.PURCHASE_PARAMETER_NAMES)
    spend_params = clv.params_from_row(fits["spend"], clv.SPEND_PARAMETER_NAMES)
    for component, params in (("purchases", purchase_params), ("spend", spend_params)):
        if params is None:
            log_progress(
                f"int_customers_clv_predicted: the {component} model did not converge, so its "
                f"predictions are null: {fits[component]['fit_message']}"
            )

    log_progress(
        f"int_customers_clv_predicted: predicting {len(inputs):,} customers "
        f"over {horizon_days:g} days"
    )
    predictions = clv.predict_customers(
        inputs, purchase_params, spend_params, horizon_days, fits["purchases"]["model_name"]
    )
    return to_engine(session, predictions)
