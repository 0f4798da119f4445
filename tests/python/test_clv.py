"""Tests of custseg.clv against hand computations, numerical integration and simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special

from custseg import clv

PURCHASE_PARAMS = {"r": 0.6, "alpha": 40.0, "a": 0.8, "b": 2.5}
SPEND_PARAMS = {"p": 6.0, "q": 3.5, "gamma": 40.0}
# (x, t_x, T) in days: one-time buyers, an ordinary repeat buyer, a frequent one.
CUSTOMERS = [(0, 0.0, 30.0), (0, 0.0, 400.0), (2, 50.0, 200.0), (7, 330.0, 365.0)]


# ----------------------------------------------------------------------------------------------
# Independent re-statements of the published formulas and generative processes
# ----------------------------------------------------------------------------------------------


def _beta(u: float, v: float) -> float:
    return math.exp(math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v))


def bgnbd_likelihood_by_hand(r, alpha, a, b, x, t_x, big_t):
    """Fader, Hardie & Lee (2005), eq. 6."""
    nbd = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    alive = _beta(a, b + x) / _beta(a, b) * nbd / (alpha + big_t) ** (r + x)
    dropped = _beta(a + 1, b + x - 1) / _beta(a, b) * nbd / (alpha + t_x) ** (r + x) if x else 0
    return alive + dropped


def mbgnbd_likelihood_by_hand(r, alpha, a, b, x, t_x, big_t):
    """Batislam, Denizel & Filiztekin (2007): dropout possible after every purchase."""
    nbd = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    alive = _beta(a, b + x + 1) / _beta(a, b) * nbd / (alpha + big_t) ** (r + x)
    dropped = _beta(a + 1, b + x) / _beta(a, b) * nbd / (alpha + t_x) ** (r + x)
    return alive + dropped


def gamma_gamma_density_by_hand(p, q, gamma, x, m):
    """Fader & Hardie, "The Gamma-Gamma Model of Monetary Value", eq. 3 (density of m_x)."""
    return (
        math.exp(math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q))
        * gamma**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / (gamma + m * x) ** (p * x + q)
    )


def simulate_purchases(params, big_t, model, rng, horizon=0.0):
    """Draw (x, t_x, T, holdout purchases) from the model's generative process.

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b). The customer buys at the times of a
    Poisson(lambda) process and drops out with probability p after each repeat purchase
    (BG/NBD) or also right after the first purchase at time 0 (MBG/NBD); so the number of
    repeat purchases made before dropping out is geometric. Given n Poisson arrivals in
    (0, T], the k-th purchase time is T times the k-th of n uniform order statistics.
    """
    n = len(big_t)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    lifetime_purchases = rng.geometric(p) - (1 if model == "mbgnbd" else 0)
    arrivals = rng.poisson(lam * big_t)
    arrivals_later = rng.poisson(lam * horizon)
    x = np.minimum(arrivals, lifetime_purchases)
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = big_t[repeat] * rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    holdout = np.minimum(arrivals + arrivals_later, lifetime_purchases) - x
    return x.astype(float), np.minimum(t_x, big_t), big_t, holdout


def simulate_spend(params, x, rng):
    """nu ~ Gamma(q, rate gamma); each purchase ~ Gamma(p, rate nu); m_x is their mean."""
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], len(x))
    return rng.gamma(params["p"] * x, 1.0 / (x * nu))


# ----------------------------------------------------------------------------------------------
# Likelihoods
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "by_hand"),
    [("bgnbd", bgnbd_likelihood_by_hand), ("mbgnbd", mbgnbd_likelihood_by_hand)],
)
def test_purchase_log_likelihood_matches_hand_computation(model, by_hand):
    x, t_x, big_t = (np.array(column) for column in zip(*CUSTOMERS, strict=True))
    computed = clv.purchase_log_likelihood(PURCHASE_PARAMS, x, t_x, big_t, model)
    expected = [math.log(by_hand(*PURCHASE_PARAMS.values(), *customer)) for customer in CUSTOMERS]
    np.testing.assert_allclose(computed, expected, rtol=1e-12)


def test_one_time_buyer_likelihoods_in_closed_form():
    r, alpha, a, b = PURCHASE_PARAMS.values()
    no_purchase_yet = (alpha / (alpha + 400.0)) ** r
    bgnbd = clv.purchase_log_likelihood(PURCHASE_PARAMS, [0], [0.0], [400.0], "bgnbd")
    mbgnbd = clv.purchase_log_likelihood(PURCHASE_PARAMS, [0], [0.0], [400.0], "mbgnbd")
    assert bgnbd[0] == pytest.approx(math.log(no_purchase_yet), rel=1e-12)
    # MBG/NBD: dropped out right after the first purchase (E[p]), or alive without purchases.
    expected = a / (a + b) + b / (a + b) * no_purchase_yet
    assert mbgnbd[0] == pytest.approx(math.log(expected), rel=1e-12)


def test_spend_log_likelihood_matches_hand_computation():
    x = [1, 3, 12]
    m = [25.0, 80.5, 41.2]
    computed = clv.spend_log_likelihood(SPEND_PARAMS, x, m)
    expected = [
        math.log(gamma_gamma_density_by_hand(*SPEND_PARAMS.values(), xi, mi))
        for xi, mi in zip(x, m, strict=True)
    ]
    np.testing.assert_allclose(computed, expected, rtol=1e-12)


@pytest.mark.parametrize("shift", [0, 1])
def test_analytic_purchase_gradient_matches_finite_differences(shift):
    x, t_x, big_t = (np.array(column) for column in zip(*CUSTOMERS, strict=True))
    log_params = np.log(list(PURCHASE_PARAMS.values()))

    def total(lp):
        return clv._purchase_log_likelihood_and_gradient(lp, x, t_x, big_t, shift)[0].sum()

    gradient = clv._purchase_log_likelihood_and_gradient(log_params, x, t_x, big_t, shift)[1]
    numeric = optimize.approx_fprime(log_params, total, 1e-7)
    np.testing.assert_allclose(gradient.sum(axis=0), numeric, rtol=1e-5, atol=1e-6)


def test_analytic_spend_gradient_matches_finite_differences():
    x, m = np.array([1.0, 3.0, 12.0]), np.array([25.0, 80.5, 41.2])
    log_params = np.log(list(SPEND_PARAMS.values()))

    def total(lp):
        return clv._spend_log_likelihood_and_gradient(lp, x, m)[0].sum()

    gradient = clv._spend_log_likelihood_and_gradient(log_params, x, m)[1]
    numeric = optimize.approx_fprime(log_params, total, 1e-7)
    np.testing.assert_allclose(gradient.sum(axis=0), numeric, rtol=1e-5, atol=1e-6)


def test_inputs_are_validated():
    with pytest.raises(ValueError, match="recency"):
        clv.purchase_log_likelihood(PURCHASE_PARAMS, [1], [50.0], [10.0])
    with pytest.raises(ValueError, match="unknown purchase model"):
        clv.p_alive(PURCHASE_PARAMS, [1], [5.0], [10.0], model="pareto_nbd")
    with pytest.raises(ValueError, match="frequency > 0"):
        clv.spend_log_likelihood(SPEND_PARAMS, [0], [10.0])


# ----------------------------------------------------------------------------------------------
# P(alive), conditional expectations and expected spend
# ----------------------------------------------------------------------------------------------


def test_p_alive_matches_published_formulas():
    r, alpha, a, b = PURCHASE_PARAMS.values()
    x, t_x, big_t = 2, 50.0, 200.0
    ratio = ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    assert clv.p_alive(PURCHASE_PARAMS, [x], [t_x], [big_t], "mbgnbd")[0] == pytest.approx(
        1 / (1 + a / (b + x) * ratio), rel=1e-12
    )
    assert clv.p_alive(PURCHASE_PARAMS, [x], [t_x], [big_t], "bgnbd")[0] == pytest.approx(
        1 / (1 + a / (b + x - 1) * ratio), rel=1e-12
    )


def test_mbgnbd_one_time_buyers_fade_while_bgnbd_keeps_them_alive():
    big_t = np.array([0.0, 30.0, 90.0, 365.0, 730.0])
    zeros = np.zeros_like(big_t)
    mbgnbd = clv.p_alive(PURCHASE_PARAMS, zeros, zeros, big_t, "mbgnbd")
    bgnbd = clv.p_alive(PURCHASE_PARAMS, zeros, zeros, big_t, "bgnbd")
    assert np.all(mbgnbd < 1)
    assert np.all(np.diff(mbgnbd) < 0)
    np.testing.assert_array_equal(bgnbd, 1.0)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize(
    ("x", "t_x", "big_t", "horizon"),
    [(0, 0.0, 100.0, 365.0), (3, 100.0, 200.0, 365.0), (50, 690.0, 700.0, 365.0),
     (2, 10.0, 700.0, 30.0), (5, 5.0, 5.0, 3000.0)],
)  # fmt: skip
def test_conditional_expected_purchases_match_integration_and_published_form(
    model, x, t_x, big_t, horizon
):
    r, alpha, a, b = PURCHASE_PARAMS.values()
    c = 1 if model == "mbgnbd" else 0
    alive = clv.p_alive(PURCHASE_PARAMS, [x], [t_x], [big_t], model)[0]
    computed = clv.conditional_expected_purchases(
        horizon, PURCHASE_PARAMS, [x], [t_x], [big_t], model
    )[0]

    # Alive at T, a customer has lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+c) and expects
    # (1 - exp(-lambda p h)) / p purchases in the next h days; integrate lambda in closed form.
    def integrand(p):
        no_purchase = ((alpha + big_t) / (alpha + big_t + p * horizon)) ** (r + x)
        density = math.exp(
            (a - 1) * math.log(p) + (b + x + c - 1) * math.log1p(-p) - special.betaln(a, b + x + c)
        )
        return (1 - no_purchase) / p * density

    integrated = integrate.quad(integrand, 0, 1, limit=200)[0] * alive
    assert computed == pytest.approx(integrated, rel=1e-7)

    z = horizon / (alpha + big_t + horizon)
    published = (
        (a + b + x + c - 1) / (a - 1)
        * (1 - ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x)
           * special.hyp2f1(r + x, b + x + c, a + b + x + c - 1, z))
        * alive
    )  # fmt: skip
    assert computed == pytest.approx(published, rel=1e-9)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_conditional_expected_purchases_match_simulated_holdout(model):
    rng = np.random.default_rng(11)
    big_t = rng.uniform(30, 700, 60_000)
    x, t_x, big_t, holdout = simulate_purchases(PURCHASE_PARAMS, big_t, model, rng, horizon=180)
    predicted = clv.conditional_expected_purchases(180, PURCHASE_PARAMS, x, t_x, big_t, model)
    assert predicted.sum() == pytest.approx(holdout.sum(), rel=0.03)
    # Also per group of history: one-time buyers and repeat buyers.
    for group in (x == 0, x > 0):
        assert predicted[group].sum() == pytest.approx(holdout[group].sum(), rel=0.05)


def test_expected_average_spend_shrinks_towards_the_population_mean():
    p, q, gamma = SPEND_PARAMS.values()
    spend = clv.expected_average_spend(SPEND_PARAMS, [0, 1, 10], [np.nan, 100.0, 100.0])
    population_mean = p * gamma / (q - 1)
    assert spend[0] == pytest.approx(population_mean)
    assert spend[1] == pytest.approx((gamma + 100.0) * p / (p + q - 1))
    assert population_mean < spend[1] < spend[2] < 100.0
    with pytest.raises(ValueError, match="q <= 1"):
        clv.expected_average_spend({"p": 1.0, "q": 0.9, "gamma": 1.0}, [1], [1.0])


# ----------------------------------------------------------------------------------------------
# Fitting
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_fit_recovers_known_purchase_parameters(model):
    rng = np.random.default_rng(2024)
    big_t = rng.uniform(30, 730, 40_000)
    x, t_x, big_t, _ = simulate_purchases(PURCHASE_PARAMS, big_t, model, rng)
    fit = clv.fit_purchase_model(x, t_x, big_t, model=model)
    assert fit.converged, fit.message
    assert fit.n_customers == 40_000
    for name, true_value in PURCHASE_PARAMS.items():
        assert fit.params[name] == pytest.approx(true_value, rel=0.15), name
    # The maximum is at least as likely as the truth.
    at_truth = clv.purchase_log_likelihood(PURCHASE_PARAMS, x, t_x, big_t, model).sum()
    assert fit.log_likelihood >= at_truth


def test_fit_recovers_known_spend_parameters():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 15, 50_000).astype(float)
    m = simulate_spend(SPEND_PARAMS, x, rng)
    fit = clv.fit_spend_model(x, m)
    assert fit.converged, fit.message
    for name, true_value in SPEND_PARAMS.items():
        assert fit.params[name] == pytest.approx(true_value, rel=0.15), name


def test_weighted_fit_on_triples_equals_fit_on_rows():
    rng = np.random.default_rng(5)
    big_t = rng.integers(30, 365, 8_000).astype(float)
    x, t_x, big_t, _ = simulate_purchases(PURCHASE_PARAMS, big_t, "mbgnbd", rng)
    customers = pd.DataFrame({"frequency": x, "recency": np.floor(t_x), "t": big_t})
    triples = clv.aggregate_rows(customers, ["frequency", "recency", "t"])
    assert len(triples) < len(customers)
    assert triples["weight"].sum() == len(customers)
    assert not triples.duplicated(["frequency", "recency", "t"]).any()

    on_rows = clv.fit_purchase_model(customers["frequency"], customers["recency"], customers["t"])
    on_triples = clv.fit_purchase_model(
        triples["frequency"], triples["recency"], triples["t"], triples["weight"]
    )
    assert on_rows.converged and on_triples.converged
    assert on_triples.n_customers == on_rows.n_customers == len(customers)
    assert on_triples.n_rows == len(triples)
    assert on_triples.log_likelihood == pytest.approx(on_rows.log_likelihood, rel=1e-10)
    for name in clv.PURCHASE_PARAMETER_NAMES:
        assert on_triples.params[name] == pytest.approx(on_rows.params[name], rel=1e-4)


def test_fits_are_deterministic():
    rng = np.random.default_rng(3)
    big_t = rng.uniform(30, 365, 3_000)
    x, t_x, big_t, _ = simulate_purchases(PURCHASE_PARAMS, big_t, "mbgnbd", rng)
    assert clv.fit_purchase_model(x, t_x, big_t) == clv.fit_purchase_model(x, t_x, big_t)


# ----------------------------------------------------------------------------------------------
# Non-convergence: flagged, with a message, and nothing predicted from it
# ----------------------------------------------------------------------------------------------


def test_iteration_cap_is_reported_as_not_converged():
    rng = np.random.default_rng(9)
    big_t = rng.uniform(30, 365, 3_000)
    x, t_x, big_t, _ = simulate_purchases(PURCHASE_PARAMS, big_t, "mbgnbd", rng)
    fit = clv.fit_purchase_model(x, t_x, big_t, max_iterations=1)
    assert not fit.converged
    assert "did not converge" in fit.message and "gradient" in fit.message


def test_likelihood_without_interior_maximum_is_not_converged():
    # Only one-time buyers: the BG/NBD likelihood (alpha / (alpha + T))^r keeps rising as r -> 0.
    big_t = np.linspace(10, 300, 500)
    zeros = np.zeros_like(big_t)
    fit = clv.fit_purchase_model(zeros, zeros, big_t, model="bgnbd")
    assert not fit.converged
    assert "ran to the search bound" in fit.message


def test_flat_likelihood_is_not_converged():
    # Only one-time buyers under MBG/NBD: the likelihood only approaches its supremum (everyone
    # left after the first purchase) as a/b grows without bound, flat along the way.
    big_t = np.linspace(10, 300, 500)
    zeros = np.zeros_like(big_t)
    fit = clv.fit_purchase_model(zeros, zeros, big_t, model="mbgnbd")
    assert not fit.converged
    assert "flat" in fit.message or "search bound" in fit.message


def test_spend_fit_with_infinite_population_mean_is_not_converged():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 15, 20_000).astype(float)
    m = simulate_spend({"p": 3.0, "q": 0.7, "gamma": 30.0}, x, rng)
    fit = clv.fit_spend_model(x, m)
    assert not fit.converged
    assert "q = " in fit.message and "infinite" in fit.message


def test_failed_fit_writes_no_parameters_and_no_predictions():
    failed = clv.FitResult("mbgnbd", dict(PURCHASE_PARAMS), -1.0, 10, 5, False, 1, "why")
    row = clv.fit_result_row(failed)
    assert row["converged"] is False and row["fit_message"] == "why"
    assert all(row[f"param_{name}"] is None for name in clv.PURCHASE_PARAMETER_NAMES)
    assert row["log_likelihood"] is None
    assert clv.params_from_row(row, clv.PURCHASE_PARAMETER_NAMES) is None

    spend_row = clv.fit_result_row(
        clv.FitResult("gamma_gamma", dict(SPEND_PARAMS), -1.0, 8, 8, True, 5, "converged")
    )
    spend_params = clv.params_from_row(spend_row, clv.SPEND_PARAMETER_NAMES)
    assert spend_params == SPEND_PARAMS

    inputs = pd.DataFrame(
        {"customer_id": ["b", "a"], "frequency": [0, 2], "recency": [0, 30], "t": [60, 90],
         "monetary_value": [np.nan, 50.0]}
    )  # fmt: skip
    predicted = clv.predict_customers(inputs, None, spend_params, 365, "mbgnbd")
    assert list(predicted["customer_id"]) == ["a", "b"]
    for column in ["expected_purchases", "p_alive", "churn_probability", "predicted_clv"]:
        assert predicted[column].isna().all(), column
    assert predicted["expected_avg_spend"].notna().all()


# ----------------------------------------------------------------------------------------------
# Prediction frame and backtest summary
# ----------------------------------------------------------------------------------------------


def test_predict_customers_combines_both_models():
    inputs = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3"], "frequency": [0, 2, 7], "recency": [0, 50, 330],
         "t": [400, 200, 365], "monetary_value": [np.nan, 30.0, 70.0]}
    )  # fmt: skip
    predicted = clv.predict_customers(inputs, PURCHASE_PARAMS, SPEND_PARAMS, 365, "mbgnbd")
    history = (inputs["frequency"], inputs["recency"], inputs["t"])
    purchases = clv.conditional_expected_purchases(365, PURCHASE_PARAMS, *history, "mbgnbd")
    alive = clv.p_alive(PURCHASE_PARAMS, *history, "mbgnbd")
    spend = clv.expected_average_spend(SPEND_PARAMS, inputs["frequency"], inputs["monetary_value"])
    np.testing.assert_allclose(predicted["expected_purchases"].to_numpy(float), purchases)
    np.testing.assert_allclose(predicted["churn_probability"].to_numpy(float), 1 - alive)
    np.testing.assert_allclose(predicted["predicted_clv"].to_numpy(float), purchases * spend)
    assert (predicted["clv_model"] == "mbgnbd").all()


def test_backtest_summary_overall_and_deciles():
    customer_id = [f"c{i:02d}" for i in range(23)]
    predicted = np.linspace(0, 4.4, 23)[::-1]
    actual = np.arange(23) % 3
    summary = clv.backtest_summary(customer_id, predicted, actual).set_index("backtest_group")
    assert list(summary.index) == ["overall"] + [f"decile_{d:02d}" for d in range(1, 11)]
    overall = summary.loc["overall"]
    assert overall["n_customers"] == 23
    assert overall["predicted_purchases"] == pytest.approx(predicted.sum())
    assert overall["actual_purchases"] == actual.sum()
    assert overall["error"] == pytest.approx(predicted.sum() - actual.sum())
    # ntile(10) of 23: sizes 3, 3, 3, then 2; decile 1 holds the lowest predictions.
    assert list(summary["n_customers"].iloc[1:]) == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    assert summary.loc["decile_01", "predicted_purchases"] == pytest.approx(
        np.sort(predicted)[:3].sum()
    )
    assert summary.iloc[1:]["n_customers"].sum() == 23


def test_backtest_summary_without_predictions_keeps_only_actuals():
    summary = clv.backtest_summary(["a", "b"], None, [1, 2])
    assert list(summary["backtest_group"]) == ["overall"]
    assert summary.loc[0, "actual_purchases"] == 3
    assert pd.isna(summary.loc[0, "predicted_purchases"]) and pd.isna(summary.loc[0, "error"])
