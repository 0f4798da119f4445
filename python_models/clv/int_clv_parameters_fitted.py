"""Fit the CLV models on `int_clv_inputs`: one row per model component with its parameters.

The purchase model (var `clv_model`) is fitted on the distinct (frequency, recency, T)
triples weighted by their counts, the Gamma-Gamma spend model on the repeat buyers with
positive spend. A fit that does not converge is written with `converged = false` and null
parameters, and the reason is logged.
"""

import pandas as pd

from custseg import clv, project_vars
from custseg.dbt_io import log_progress, read_relation


def model(dbt, session):
    purchase_model = dbt.config.get("clv_model")
    purchase_model = project_vars.required("clv_model", purchase_model)
    as_of_date = read_relation(dbt.ref("int_as_of_date"))["as_of_date"].dt.date.iloc[0]
    inputs = read_relation(dbt.ref("int_clv_inputs")).sort_values("customer_id")

    triples = clv.aggregate_rows(inputs, ["frequency", "recency", "t"])
    log_progress(
        f"int_clv_parameters_fitted: fitting {purchase_model} on {len(inputs):,} customers"
    )
    purchase_fit = clv.fit_purchase_model(
        triples["frequency"], triples["recency"], triples["t"], triples["weight"], purchase_model
    )
    log_progress(f"int_clv_parameters_fitted: {clv.describe_fit(purchase_fit)}")

    repeat_buyers = inputs[(inputs["frequency"] > 0) & (inputs["monetary_value"] > 0)]
    spend_inputs = clv.aggregate_rows(repeat_buyers, ["frequency", "monetary_value"])
    log_progress(
        f"int_clv_parameters_fitted: fitting gamma_gamma on {len(repeat_buyers):,} repeat buyers"
    )
    spend_fit = clv.fit_spend_model(
        spend_inputs["frequency"], spend_inputs["monetary_value"], spend_inputs["weight"]
    )
    log_progress(f"int_clv_parameters_fitted: {clv.describe_fit(spend_fit)}")

    parameters = pd.DataFrame(
        [
            {"model_component": "purchases", **clv.fit_result_row(purchase_fit)},
            {"model_component": "spend", **clv.fit_result_row(spend_fit)},
        ]
    )
    float_columns = [column for column in parameters if column.startswith("param_")]
    float_columns.append("log_likelihood")
    parameters[float_columns] = parameters[float_columns].astype("Float64")
    parameters["as_of_date"] = as_of_date
    return parameters
