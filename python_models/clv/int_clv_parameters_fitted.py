"""Fit the CLV models on the inputs of `int_clv_inputs`: one row per model component.

The purchase model (var `clv_model`) is fitted on the distinct (frequency, recency, T)
triples weighted by their customer counts (`int_clv_purchase_histories_counted`), the
Gamma-Gamma spend model on the distinct (frequency, spend) pairs of the repeat buyers with
positive spend (`int_clv_repeat_spend_counted`); both are aggregated in SQL. A fit that
does not converge is written with `converged = false` and null parameters, and the reason
is logged.
"""

import pandas as pd

from custseg import clv, project_vars
from custseg.dbt_io import log_progress, read_relation, to_engine

MODEL = "int_clv_parameters_fitted"


def model(dbt, session):
    purchase_model = dbt.config.get("clv_model")
    purchase_model = project_vars.required("clv_model", purchase_model)
    as_of_date = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"].dt.date.iloc[0]
    # distinct (frequency, recency, T) triples and (frequency, spend) pairs with their
    # customer counts, aggregated in SQL: the weighted likelihood equals the one over every
    # customer, and no row per customer reaches Python
    triples = read_relation(
        dbt.ref("int_clv_purchase_histories_counted"), order_by="frequency, recency, t", model=MODEL
    )
    log_progress(
        f"int_clv_parameters_fitted: fitting {purchase_model} on "
        f"{int(triples['customer_count'].sum()):,} customers ({len(triples):,} distinct histories)"
    )
    purchase_fit = clv.fit_purchase_model(
        triples["frequency"],
        triples["recency"],
        triples["t"],
        triples["customer_count"],
        purchase_model,
    )
    log_progress(f"int_clv_parameters_fitted: {clv.describe_fit(purchase_fit)}")

    spend_inputs = read_relation(
        dbt.ref("int_clv_repeat_spend_counted"), order_by="frequency, monetary_value", model=MODEL
    )
    log_progress(
        "int_clv_parameters_fitted: fitting gamma_gamma on "
        f"{int(spend_inputs['customer_count'].sum()):,} repeat buyers"
    )
    spend_fit = clv.fit_spend_model(
        spend_inputs["frequency"], spend_inputs["monetary_value"], spend_inputs["customer_count"]
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
    return to_engine(session, parameters)
