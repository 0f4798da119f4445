"""Customer lifetime value: buy-till-you-die purchase models and the Gamma-Gamma spend model.

Purchase models (times in days, per customer ``x`` = frequency, ``t_x`` = recency, ``T``):

* ``"mbgnbd"``: the modified BG/NBD of Batislam, Denizel & Filiztekin (2007). A customer may
  drop out after *every* purchase, the first one included, so a one-time buyer's probability
  of being alive falls as ``T`` grows.
* ``"bgnbd"``: the BG/NBD of Fader, Hardie & Lee (2005). A customer may drop out after each
  *repeat* purchase only, so every one-time buyer has ``P(alive) = 1``.

Both share the generative story: while alive a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)`` (shape, rate) and drops out with probability
``p ~ Beta(a, b)`` at each dropout opportunity. The Gamma-Gamma model (Fader, Hardie & Lee
2005, "RFM and CLV: Using Iso-value Curves"; Fader & Hardie's note "The Gamma-Gamma Model of
Monetary Value") gives each purchase a value ``z ~ Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)``
and is fitted on the mean value ``m_x`` of a customer's ``x`` repeat purchases.

All parameters are fitted by maximum likelihood over their logarithms (so they stay
positive), from fixed starting points, with analytic gradients. Fits take optional weights,
so a population can be fitted on its distinct ``(x, t_x, T)`` triples with their counts
(see :func:`aggregate_rows`), and every gamma-function term is evaluated once per distinct
``x`` rather than per row: a fit's cost grows with the number of distinct triples (bounded
by the days of history), not with the number of customers.
A fit that does not converge is *flagged* (``FitResult.converged`` is False, with a message);
callers must then not predict from its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

PURCHASE_MODELS: tuple[str, ...] = ("mbgnbd", "bgnbd")
"""Names of the purchase (buy-till-you-die) models, the values of dbt var ``clv_model``."""

PURCHASE_PARAMETER_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")
SPEND_PARAMETER_NAMES: tuple[str, ...] = ("p", "q", "gamma")
SPEND_MODEL = "gamma_gamma"
PREDICTION_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("expected_purchases", pa.float64()),
        ("p_alive", pa.float64()),
        ("churn_probability", pa.float64()),
        ("expected_avg_spend", pa.float64()),
        ("predicted_clv", pa.float64()),
        ("clv_model", pa.string()),
    ]
)
"""The columns of :func:`predict_customers` (``int_customers_clv_predicted``)."""

_LOG_PARAMETER_BOUND = 15.0
"""Fits search log-parameters in [-15, 15]; a fit that ends on this bound has no interior
maximum (the likelihood keeps rising as a parameter runs to 0 or infinity): not converged."""

_MIN_CURVATURE = 1e-6
"""Smallest accepted eigenvalue of the Hessian of the mean negative log-likelihood (per
customer, in log-parameters). Identified fits measure about 1e-3 to 1; a likelihood that only
approaches its supremum as parameters run off to 0 or infinity is flat there (about 1e-10)."""

_N_DECILES = 10

_GRADIENT_TOLERANCE = 1e-5
"""Largest accepted |gradient| of the mean log-likelihood (per customer) in log-parameters."""

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FitResult:
    """Outcome of one maximum-likelihood fit.

    Attributes:
        model: ``"mbgnbd"``, ``"bgnbd"`` or ``"gamma_gamma"``.
        params: Fitted parameters by name (the last iterate when the fit did not converge).
        log_likelihood: Total weighted log-likelihood at ``params`` (times in days).
        n_customers: Number of customers fitted (sum of the weights).
        n_rows: Number of rows fitted (distinct triples when the input was aggregated).
        converged: True only when the gradient vanished at a finite log-likelihood, no
            parameter ran to its search bound and the likelihood is curved (not flat) there,
            plus model-specific validity checks.
        n_iterations: Optimizer iterations.
        message: Human-readable status; says why when the fit did not converge.
    """

    model: str
    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    n_rows: int
    converged: bool
    n_iterations: int
    message: str


# ----------------------------------------------------------------------------------------------
# Input preparation
# ----------------------------------------------------------------------------------------------


def aggregate_rows(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Collapse rows to the distinct combinations of ``columns`` with a ``weight`` count.

    Fitting on the result with its weights gives the same likelihood as fitting on every row.

    Args:
        frame: One row per customer.
        columns: Columns that determine a customer's likelihood, e.g.
            ``["frequency", "recency", "t"]``.

    Returns:
        The distinct combinations sorted by ``columns``, plus an int64 ``weight`` column.
    """
    cols = list(columns)
    grouped = frame.groupby(cols, sort=True, dropna=False).size().rename("weight").reset_index()
    grouped["weight"] = grouped["weight"].astype("int64")
    return grouped


def _as_float_array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _check_purchase_model(model: str) -> int:
    """Return the dropout-opportunity shift: 1 for MBG/NBD (also at time 0), 0 for BG/NBD."""
    if model not in PURCHASE_MODELS:
        raise ValueError(f"unknown purchase model {model!r}; expected one of {PURCHASE_MODELS}")
    return 1 if model == "mbgnbd" else 0


def _check_purchase_inputs(x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> None:
    if not (x.shape == t_x.shape == big_t.shape):
        raise ValueError("frequency, recency and T must have the same shape")
    if np.any(~np.isfinite(x) | ~np.isfinite(t_x) | ~np.isfinite(big_t)):
        raise ValueError("frequency, recency and T must be finite")
    if np.any(x < 0) or np.any(np.floor(x) != x):
        raise ValueError("frequency must be a non-negative integer")
    if np.any(t_x < 0) or np.any(t_x > big_t):
        raise ValueError("recency must lie in [0, T]")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 when frequency is 0")


# ----------------------------------------------------------------------------------------------
# Purchase models: BG/NBD and MBG/NBD
# ----------------------------------------------------------------------------------------------


def _levels(x: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distinct values of ``x`` and each row's index into them.

    Every gamma-function term of the likelihoods depends on the customer only through ``x``,
    which takes few distinct values: evaluating those terms per value instead of per row is
    what keeps a fit on hundreds of thousands of triples fast.
    """
    levels, index = np.unique(x, return_inverse=True)
    return levels, index.reshape(x.shape)


def _purchase_log_likelihood_and_gradient(
    log_params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    shift: int,
    x_levels: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood and its gradient in ``log(r, alpha, a, b)``.

    With ``c = shift`` (0 for BG/NBD, 1 for MBG/NBD) the likelihood is
    ``L = exp(A) * (exp(B1) + d * exp(B2))`` where

    * ``A  = ln G(r+x) - ln G(r) + r ln(alpha)``
    * ``B1 = ln B(a, b+x+c) - ln B(a, b) - (r+x) ln(alpha+T)``   (alive at T)
    * ``B2 = ln B(a+1, b+x+c-1) - ln B(a, b) - (r+x) ln(alpha+t_x)``   (dropped out at t_x)

    and ``d = 1`` except for BG/NBD one-time buyers (``x = 0``), who cannot have dropped out.
    ``x_levels`` is ``_levels(x)``, passed in when the function is called repeatedly.
    """
    r, alpha, a, b = np.exp(log_params)
    psi = special.digamma
    levels, index = _levels(x) if x_levels is None else x_levels

    # Terms that depend on the customer only through x: one value per distinct x.
    repeat_level = (levels > 0) | (shift == 1)
    bx = b + levels + shift
    # b + x + c - 1 is 0 for BG/NBD one-time buyers; their dropout term is masked out.
    bx_drop = np.where(repeat_level, bx - 1.0, 1.0)
    beta_ab = special.betaln(a, b)
    psi_ab = psi(a + b)
    psi_abx = psi(a + bx)
    term_a = (special.gammaln(r + levels) - special.gammaln(r) + r * np.log(alpha))[index]
    beta_alive = (special.betaln(a, bx) - beta_ab)[index]
    beta_drop = np.where(repeat_level, special.betaln(a + 1.0, bx_drop) - beta_ab, -np.inf)[index]
    d_r_level = (psi(r + levels) - psi(r) + np.log(alpha))[index]
    d_a_alive = (psi_ab - psi_abx)[index]
    d_a_drop = (psi(a + 1.0) - psi(a) + psi_ab - psi_abx)[index]
    d_b_alive = (psi(bx) - psi_abx - psi(b) + psi_ab)[index]
    d_b_drop = (psi(bx_drop) - psi_abx - psi(b) + psi_ab)[index]

    # Terms that depend on the whole history.
    log_alpha_t = np.log(alpha + big_t)
    log_alpha_tx = np.log(alpha + t_x)
    term_alive = beta_alive - (r + x) * log_alpha_t
    term_drop = beta_drop - (r + x) * log_alpha_tx
    log_sum = np.logaddexp(term_alive, term_drop)
    log_likelihood = term_a + log_sum

    w_alive = np.exp(term_alive - log_sum)
    w_drop = np.exp(term_drop - log_sum)
    d_r = d_r_level - w_alive * log_alpha_t - w_drop * log_alpha_tx
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + big_t) + w_drop / (alpha + t_x))
    d_a = w_alive * d_a_alive + w_drop * d_a_drop
    d_b = w_alive * d_b_alive + w_drop * d_b_drop
    gradient = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b], axis=1)
    return log_likelihood, gradient


def purchase_log_likelihood(
    params: dict[str, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    t: ArrayLike,
    model: str = "mbgnbd",
) -> FloatArray:
    """Per-customer log-likelihood of a BG/NBD or MBG/NBD model.

    BG/NBD (Fader, Hardie & Lee 2005, eq. 6)::

        L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
            + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

    MBG/NBD (Batislam, Denizel & Filiztekin 2007)::

        L = B(a, b+x+1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
            + B(a+1, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

    Args:
        params: ``r``, ``alpha`` (rate, per day), ``a``, ``b``.
        frequency: ``x``, the number of repeat purchase days.
        recency: ``t_x``, days from the first to the last purchase day.
        t: ``T``, days from the first purchase day to the end of the observation period.
        model: ``"mbgnbd"`` or ``"bgnbd"``.

    Returns:
        ``ln L`` per customer.
    """
    shift = _check_purchase_model(model)
    x, t_x, big_t = (_as_float_array(v) for v in (frequency, recency, t))
    _check_purchase_inputs(x, t_x, big_t)
    log_params = np.log([params[name] for name in PURCHASE_PARAMETER_NAMES])
    log_likelihood, _ = _purchase_log_likelihood_and_gradient(log_params, x, t_x, big_t, shift)
    return log_likelihood


def p_alive(
    params: dict[str, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    t: ArrayLike,
    model: str = "mbgnbd",
) -> FloatArray:
    """Probability that each customer is still alive at ``T``.

    * MBG/NBD: ``1 / (1 + a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x))``, for every customer.
    * BG/NBD: ``1 / (1 + [x > 0] a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))``, so 1 when x = 0.

    Args:
        params: ``r``, ``alpha``, ``a``, ``b``.
        frequency: ``x``. recency: ``t_x``. t: ``T`` (days).
        model: ``"mbgnbd"`` or ``"bgnbd"``.

    Returns:
        ``P(alive | x, t_x, T)`` per customer; ``churn_probability = 1 - p_alive``.
    """
    shift = _check_purchase_model(model)
    x, t_x, big_t = (_as_float_array(v) for v in (frequency, recency, t))
    _check_purchase_inputs(x, t_x, big_t)
    r, alpha, a, b = (params[name] for name in PURCHASE_PARAMETER_NAMES)
    repeat = (x > 0) | (shift == 1)
    denominator = np.where(repeat, b + x + shift - 1.0, 1.0)
    log_odds_dead = (
        np.log(a) - np.log(denominator) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
    )
    return np.where(repeat, special.expit(-log_odds_dead), 1.0)


def conditional_expected_purchases(
    horizon: float | ArrayLike,
    params: dict[str, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    t: ArrayLike,
    model: str = "mbgnbd",
) -> FloatArray:
    """Expected number of purchases in ``(T, T + horizon]`` given each customer's history.

    With ``c = 1`` for MBG/NBD, ``c = 0`` for BG/NBD and ``z = horizon / (alpha + T + horizon)``
    (Fader, Hardie & Lee 2005, eq. 10; Batislam et al. 2007)::

        E[Y | x, t_x, T] = (a+b+x+c-1)/(a-1)
                           * [1 - ((alpha+T)/(alpha+T+horizon))^(r+x)
                                  * 2F1(r+x, b+x+c; a+b+x+c-1; z)]
                           * P(alive | x, t_x, T)

    The bracket is evaluated through Euler's transformation as
    ``1 - (1-z)^(a-1) * 2F1(a+b+c-1-r, a-1; a+b+x+c-1; z)``: the same value, but the
    hypergeometric series then has small parameters and stays accurate for large ``x``.

    Args:
        horizon: Length of the prediction period in days (scalar or per customer).
        params: ``r``, ``alpha``, ``a``, ``b``.
        frequency: ``x``. recency: ``t_x``. t: ``T`` (days).
        model: ``"mbgnbd"`` or ``"bgnbd"``.

    Returns:
        Expected purchase days per customer in the horizon.
    """
    shift = _check_purchase_model(model)
    x, t_x, big_t = (_as_float_array(v) for v in (frequency, recency, t))
    _check_purchase_inputs(x, t_x, big_t)
    horizon_days = np.broadcast_to(_as_float_array(horizon), x.shape)
    if np.any(horizon_days < 0):
        raise ValueError("horizon must be non-negative")
    r, alpha, a, b = (params[name] for name in PURCHASE_PARAMETER_NAMES)
    if abs(a - 1.0) < 1e-8:
        # a = 1 is a removable 0/0 singularity of the closed form: step just beside it.
        a = 1.0 + 1e-8
    z = horizon_days / (alpha + big_t + horizon_days)
    c = a + b + x + shift - 1.0
    hypergeometric = special.hyp2f1(a + b + shift - 1.0 - r, a - 1.0, c, z)
    bracket = 1.0 - np.power(1.0 - z, a - 1.0) * hypergeometric
    alive = p_alive(params, x, t_x, big_t, model)
    return c / (a - 1.0) * bracket * alive


# ----------------------------------------------------------------------------------------------
# Spend model: Gamma-Gamma
# ----------------------------------------------------------------------------------------------


def _spend_log_likelihood_and_gradient(
    log_params: FloatArray,
    x: FloatArray,
    m: FloatArray,
    x_levels: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-customer Gamma-Gamma log-likelihood and gradient in ``log(p, q, gamma)``."""
    p, q, gamma = np.exp(log_params)
    levels, index = _levels(x) if x_levels is None else x_levels
    px_level = p * levels
    gammaln_terms = (
        special.gammaln(px_level + q)
        - special.gammaln(px_level)
        - special.gammaln(q)
        + px_level * np.log(levels)
    )[index]
    psi_pxq_level = special.digamma(px_level + q)
    d_p_level = (levels * (psi_pxq_level - special.digamma(px_level) + np.log(levels)))[index]
    d_q_level = (psi_pxq_level - special.digamma(q))[index]

    px = p * x
    log_m = np.log(m)
    log_xm = np.log(gamma + x * m)
    log_likelihood = gammaln_terms + q * np.log(gamma) + (px - 1.0) * log_m - (px + q) * log_xm
    d_p = d_p_level + x * (log_m - log_xm)
    d_q = d_q_level + np.log(gamma) - log_xm
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    gradient = np.stack([d_p * p, d_q * q, d_gamma * gamma], axis=1)
    return log_likelihood, gradient


def _check_spend_inputs(x: FloatArray, m: FloatArray) -> None:
    if x.shape != m.shape:
        raise ValueError("frequency and monetary_value must have the same shape")
    if np.any(~np.isfinite(x) | ~np.isfinite(m)) or np.any(x <= 0) or np.any(m <= 0):
        raise ValueError(
            "the Gamma-Gamma likelihood needs frequency > 0 and monetary_value > 0: "
            "fit on repeat buyers with positive spend only"
        )


def spend_log_likelihood(
    params: dict[str, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend ``m_x`` over ``x`` purchases::

        f(m_x | p, q, gamma, x) = G(px+q) / (G(px) G(q))
                                  * gamma^q m_x^(px-1) x^(px) / (gamma + m_x x)^(px+q)

    Args:
        params: ``p``, ``q``, ``gamma``.
        frequency: ``x`` > 0, the number of repeat purchase days averaged.
        monetary_value: ``m_x`` > 0, the mean spend per repeat purchase day.

    Returns:
        ``ln f`` per customer.
    """
    x, m = _as_float_array(frequency), _as_float_array(monetary_value)
    _check_spend_inputs(x, m)
    log_params = np.log([params[name] for name in SPEND_PARAMETER_NAMES])
    log_likelihood, _ = _spend_log_likelihood_and_gradient(log_params, x, m)
    return log_likelihood


def expected_average_spend(
    params: dict[str, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Expected spend per future purchase, ``E[M | x, m_x] = (gamma + m_x x) p / (p x + q - 1)``.

    Customers with ``x = 0`` (or a missing ``m_x``) get the population mean ``p gamma / (q-1)``.

    Args:
        params: ``p``, ``q`` (> 1), ``gamma``.
        frequency: ``x``, repeat purchase days.
        monetary_value: ``m_x``; ignored (may be NaN) where ``x = 0``.

    Returns:
        Expected spend per purchase day per customer.
    """
    p, q, gamma = (params[name] for name in SPEND_PARAMETER_NAMES)
    if q <= 1:
        raise ValueError("q <= 1: the Gamma-Gamma population mean spend is infinite")
    x = _as_float_array(frequency)
    m = np.where(x > 0, np.nan_to_num(_as_float_array(monetary_value), nan=0.0), 0.0)
    return (gamma + m * x) * p / (p * x + q - 1.0)


# ----------------------------------------------------------------------------------------------
# Fitting
# ----------------------------------------------------------------------------------------------


def _weights_or_ones(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = _as_float_array(weights)
    if w.shape != (n,) or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite, non-negative and one per row")
    return w


def _smallest_curvature(
    objective: Callable[[FloatArray], tuple[float, FloatArray]], point: FloatArray
) -> float:
    """Smallest eigenvalue of the objective's Hessian at ``point``, by central differences
    of the analytic gradient (2 gradient evaluations per parameter)."""
    step = 1e-4
    rows = [
        (objective(point + step * unit)[1] - objective(point - step * unit)[1]) / (2 * step)
        for unit in np.eye(len(point))
    ]
    hessian = np.array(rows)
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2).min())


def _maximize(
    model: str,
    names: tuple[str, ...],
    loglik_and_gradient: Callable[[FloatArray], tuple[FloatArray, FloatArray]],
    weights: FloatArray,
    start: FloatArray,
    max_iterations: int,
) -> FitResult:
    """Maximise the weighted log-likelihood over log-parameters with L-BFGS-B."""
    total_weight = float(weights.sum())
    n_customers = int(round(total_weight))
    if total_weight <= 0:
        return FitResult(model, {}, float("nan"), 0, len(weights), False, 0, "no customers to fit")

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        log_likelihood, gradient = loglik_and_gradient(log_params)
        value = -float(weights @ log_likelihood) / total_weight
        grad = -(weights @ gradient) / total_weight
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            # Steer the line search away from regions where the likelihood under/overflows.
            return 1e300, np.zeros_like(log_params)
        return value, grad

    bounds = [(-_LOG_PARAMETER_BOUND, _LOG_PARAMETER_BOUND)] * len(start)
    result = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iterations, "ftol": 1e-15, "gtol": 1e-9},
    )
    params = {name: float(value) for name, value in zip(names, np.exp(result.x), strict=True)}
    value, grad = objective(result.x)
    log_likelihood = -value * total_weight
    at_bound = [
        name
        for name, value in zip(names, result.x, strict=True)
        if abs(value) >= _LOG_PARAMETER_BOUND - 1e-6
    ]
    max_gradient = float(np.max(np.abs(grad)))
    problems = []
    if not np.isfinite(log_likelihood) or value >= 1e300:
        problems.append("the log-likelihood is not finite")
    if at_bound:
        problems.append(
            f"parameter(s) {', '.join(at_bound)} ran to the search bound "
            "(the likelihood has no interior maximum on these data)"
        )
    # L-BFGS-B may stop on a failed line search right at the optimum, where the objective is
    # flat to machine precision: the vanishing gradient, not its status, decides.
    if max_gradient > _GRADIENT_TOLERANCE:
        problems.append(
            f"the gradient did not vanish (max |gradient| = {max_gradient:.2e} after "
            f"{result.nit} iterations; optimizer: {result.message})"
        )
    elif not problems:
        curvature = _smallest_curvature(objective, result.x)
        if not curvature > _MIN_CURVATURE:
            problems.append(
                f"the likelihood is flat at the solution (smallest curvature {curvature:.2e}): "
                "the parameters are not identified by these data"
            )
    converged = not problems
    message = "converged" if converged else f"{model} fit did not converge: " + "; ".join(problems)
    return FitResult(
        model=model,
        params=params,
        log_likelihood=float(log_likelihood),
        n_customers=n_customers,
        n_rows=len(weights),
        converged=converged,
        n_iterations=int(result.nit),
        message=message,
    )


def fit_purchase_model(
    frequency: ArrayLike,
    recency: ArrayLike,
    t: ArrayLike,
    weights: ArrayLike | None = None,
    model: str = "mbgnbd",
    max_iterations: int = 500,
) -> FitResult:
    """Fit a BG/NBD or MBG/NBD model by maximum likelihood.

    The search is over ``log(r, alpha, a, b)`` from a fixed start (``r = a = b = 1`` and
    ``alpha`` = mean ``T`` / (mean ``x`` + 1), the rate scale of the data), so results are
    deterministic.

    Args:
        frequency: ``x`` per row. recency: ``t_x`` per row. t: ``T`` per row (days).
        weights: Number of customers per row (for distinct triples); default 1 each.
        model: ``"mbgnbd"`` or ``"bgnbd"``.
        max_iterations: Optimizer iteration cap.

    Returns:
        The fit; check ``converged`` before predicting.
    """
    shift = _check_purchase_model(model)
    x, t_x, big_t = (_as_float_array(v) for v in (frequency, recency, t))
    _check_purchase_inputs(x, t_x, big_t)
    w = _weights_or_ones(weights, len(x))
    mean_t = float(w @ big_t / w.sum()) if w.sum() > 0 else 1.0
    mean_x = float(w @ x / w.sum()) if w.sum() > 0 else 0.0
    start = np.log([1.0, max(mean_t / (mean_x + 1.0), 1e-3), 1.0, 1.0])
    x_levels = _levels(x)
    return _maximize(
        model,
        PURCHASE_PARAMETER_NAMES,
        lambda log_params: _purchase_log_likelihood_and_gradient(
            log_params, x, t_x, big_t, shift, x_levels
        ),
        w,
        start,
        max_iterations,
    )


def fit_spend_model(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    weights: ArrayLike | None = None,
    max_iterations: int = 500,
) -> FitResult:
    """Fit the Gamma-Gamma spend model by maximum likelihood on repeat buyers.

    The search is over ``log(p, q, gamma)`` from ``p = 1``, ``q = 2`` and ``gamma`` = mean
    ``m_x`` (a start whose population mean spend equals the sample's). A fit with ``q <= 1``
    is flagged as not converged: its population mean spend, used for one-time buyers, is
    infinite.

    Args:
        frequency: ``x`` > 0 per row. monetary_value: ``m_x`` > 0 per row.
        weights: Number of customers per row; default 1 each.
        max_iterations: Optimizer iteration cap.

    Returns:
        The fit; check ``converged`` before predicting.
    """
    x, m = _as_float_array(frequency), _as_float_array(monetary_value)
    _check_spend_inputs(x, m)
    w = _weights_or_ones(weights, len(x))
    mean_m = float(w @ m / w.sum()) if w.sum() > 0 else 1.0
    start = np.log([1.0, 2.0, mean_m])
    x_levels = _levels(x)
    result = _maximize(
        SPEND_MODEL,
        SPEND_PARAMETER_NAMES,
        lambda log_params: _spend_log_likelihood_and_gradient(log_params, x, m, x_levels),
        w,
        start,
        max_iterations,
    )
    if result.converged and result.params["q"] <= 1.0:
        return replace(
            result,
            converged=False,
            message=(
                f"{SPEND_MODEL} fit did not converge to a usable model: q = "
                f"{result.params['q']:.4g} <= 1 makes the population mean spend infinite"
            ),
        )
    return result


def describe_fit(result: FitResult) -> str:
    """One log line for a fit: model, status, parameters and log-likelihood."""
    params = ", ".join(f"{name}={value:.4g}" for name, value in result.params.items())
    return (
        f"{result.model} on {result.n_customers:,} customers ({result.n_rows:,} distinct inputs): "
        f"{result.message}; {params}; log-likelihood {result.log_likelihood:.6g}, "
        f"{result.n_iterations} iterations"
    )


def fit_result_row(result: FitResult) -> dict[str, object]:
    """Flatten a fit into one row of the parameter table.

    Every known parameter name gets a column; parameters are null unless the fit converged,
    so nothing downstream can predict from a failed fit.
    """
    row: dict[str, object] = {
        "model_name": result.model,
        "converged": result.converged,
    }
    for name in PURCHASE_PARAMETER_NAMES + SPEND_PARAMETER_NAMES:
        row[f"param_{name}"] = result.params.get(name) if result.converged else None
    row.update(
        {
            "log_likelihood": result.log_likelihood if result.converged else None,
            "n_customers": result.n_customers,
            "n_distinct_inputs": result.n_rows,
            "n_iterations": result.n_iterations,
            "fit_message": result.message,
        }
    )
    return row


def params_from_row(row: dict[str, object], names: Sequence[str]) -> dict[str, float] | None:
    """Read parameters back from a parameter-table row (``param_<name>`` columns).

    Returns:
        The parameters by name, or None when the row's fit did not converge or a value is
        missing, so callers predict nothing from it.
    """
    if not bool(row.get("converged")):
        return None
    values = {name: row.get(f"param_{name}") for name in names}
    if any(value is None or pd.isna(value) for value in values.values()):
        return None
    return {name: float(value) for name, value in values.items()}  # type: ignore[arg-type]


def predict_customers(
    inputs: pd.DataFrame,
    purchase_params: dict[str, float] | None,
    spend_params: dict[str, float] | None,
    horizon_days: float,
    model: str,
) -> pd.DataFrame:
    """Per-customer CLV predictions from fitted parameters.

    Args:
        inputs: ``customer_id``, ``frequency``, ``recency``, ``t``, ``monetary_value`` (null
            for one-time buyers).
        purchase_params: ``r``, ``alpha``, ``a``, ``b``, or None when that fit failed.
        spend_params: ``p``, ``q``, ``gamma``, or None when that fit failed.
        horizon_days: Prediction horizon in days.
        model: The purchase model, ``"mbgnbd"`` or ``"bgnbd"``.

    Returns:
        One row per customer, sorted by ``customer_id``: ``expected_purchases``,
        ``p_alive``, ``churn_probability``, ``expected_avg_spend``, ``predicted_clv``
        (``expected_purchases * expected_avg_spend``, undiscounted) and ``clv_model``.
        Values that depend on a failed fit are null.
    """
    _check_purchase_model(model)
    frame = inputs.sort_values("customer_id", kind="stable").reset_index(drop=True)
    n = len(frame)
    missing = pd.array([pd.NA] * n, dtype="Float64")
    expected_purchases, alive, spend = missing, missing, missing
    if purchase_params is not None:
        history = (frame["frequency"], frame["recency"], frame["t"])
        expected_purchases = pd.array(
            conditional_expected_purchases(horizon_days, purchase_params, *history, model),
            dtype="Float64",
        )
        alive = pd.array(p_alive(purchase_params, *history, model), dtype="Float64")
    if spend_params is not None:
        monetary_value = frame["monetary_value"].astype("float64")
        spend = pd.array(
            expected_average_spend(spend_params, frame["frequency"], monetary_value),
            dtype="Float64",
        )
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "expected_purchases": expected_purchases,
            "p_alive": alive,
            "churn_probability": 1.0 - alive,
            "expected_avg_spend": spend,
            "predicted_clv": expected_purchases * spend,
            "clv_model": model,
        }
    )


BACKTEST_GROUP_SQL = """
with customers as (
    select
        {inputs}.customer_id,
        cast({inputs}.holdout_purchases as double) as actual_purchases,
        {predictions}.predicted_purchases
    from {inputs}
    inner join {predictions}
        on {inputs}.frequency = {predictions}.frequency
        and {inputs}.recency = {predictions}.recency
        and {inputs}.t = {predictions}.t
),

ranked as (
    select
        *,
        ntile(10) over (order by predicted_purchases, customer_id) as predicted_purchases_decile
    from customers
)

select
    predicted_purchases_decile,
    count(*) as n_customers,
    cast(sum(cast(predicted_purchases as decimal(38, 12))) as double) as predicted_purchases,
    cast(sum(cast(actual_purchases as decimal(38, 12))) as double) as actual_purchases,
    cast(
        sum(cast(abs(predicted_purchases - actual_purchases) as decimal(38, 12))) as double
    ) as absolute_error
from ranked
group by predicted_purchases_decile
order by predicted_purchases_decile
"""
"""The per-decile sums of :func:`backtest_summary_from_groups`, run on the engine (DuckDB or
Spark SQL) over the backtest inputs (one row per customer) and the predictions per distinct
(frequency, recency, t) history: ``str.format`` it with the two relations' names. Sums are
taken as exact decimals (as macro ``exact_sum`` does), so they do not depend on the order
the engine adds rows in."""


def backtest_summary_from_groups(groups: pd.DataFrame, has_predictions: bool) -> pd.DataFrame:
    """The backtest rows from per-group sums (see :func:`backtest_summary` for the columns).

    Args:
        groups: One row per decile of predicted purchases, ``predicted_purchases_decile``
            1..10, with ``n_customers`` and the sums ``predicted_purchases``,
            ``actual_purchases`` and ``absolute_error`` (|predicted - actual| per customer).
            Without predictions only ``n_customers`` and ``actual_purchases`` are used,
            summed over the rows (whatever their decile).
        has_predictions: False when the fit failed: only the overall row is returned, with
            null predictions.
    """

    def summarise(part: pd.DataFrame, label: str, group: int | None) -> dict[str, object]:
        count = int(part["n_customers"].sum())
        predicted_sum = (
            float(part["predicted_purchases"].sum()) if has_predictions and count else np.nan
        )
        actual_sum = float(part["actual_purchases"].sum())
        error = predicted_sum - actual_sum
        return {
            "backtest_group": label,
            "predicted_purchases_decile": group,
            "n_customers": count,
            "predicted_purchases": predicted_sum,
            "actual_purchases": actual_sum,
            "mean_predicted_purchases": predicted_sum / count if count else np.nan,
            "mean_actual_purchases": actual_sum / count if count else np.nan,
            "error": error,
            "relative_error": error / actual_sum if actual_sum > 0 else np.nan,
            "mean_absolute_error": (
                float(part["absolute_error"].sum()) / count if has_predictions and count else np.nan
            ),
        }

    rows = [summarise(groups, "overall", None)]
    if has_predictions:
        for row in groups.sort_values("predicted_purchases_decile").itertuples(index=False):
            group = int(row.predicted_purchases_decile)
            part = groups[groups["predicted_purchases_decile"] == group]
            rows.append(summarise(part, f"decile_{group:02d}", group))
    summary = pd.DataFrame(rows)
    summary["predicted_purchases_decile"] = summary["predicted_purchases_decile"].astype("Int64")
    float_columns = [
        "predicted_purchases",
        "actual_purchases",
        "mean_predicted_purchases",
        "mean_actual_purchases",
        "error",
        "relative_error",
        "mean_absolute_error",
    ]
    summary[float_columns] = summary[float_columns].astype("Float64")
    # NaN from arithmetic means "no value": make it a proper null for the warehouse.
    summary[float_columns] = summary[float_columns].mask(summary[float_columns].isna(), pd.NA)
    return summary


def backtest_summary(
    customer_id: ArrayLike, predicted: ArrayLike | None, actual: ArrayLike
) -> pd.DataFrame:
    """Compare predicted with actual holdout purchases, overall and per decile of prediction.

    The in-memory form of :data:`BACKTEST_GROUP_SQL`: customers are ranked by predicted
    purchases (ties by ``customer_id``) and cut into ten groups of equal size, like SQL
    ``ntile(10)``: decile 1 has the lowest predictions, and the first deciles take one
    customer more when the count does not divide by ten.

    Args:
        customer_id: One per customer.
        predicted: Expected holdout purchases per customer, or None when the fit failed
            (then only the overall row is returned, with null predictions).
        actual: Actual holdout purchase days per customer.

    Returns:
        Rows ``overall`` and ``decile_01`` .. ``decile_10`` (``backtest_group``) with
        ``predicted_purchases_decile``, ``n_customers``, ``predicted_purchases`` and
        ``actual_purchases`` (sums), their per-customer means, ``error`` (predicted minus
        actual), ``relative_error`` (error / actual) and ``mean_absolute_error`` (per customer).
    """
    frame = pd.DataFrame(
        {
            "customer_id": np.asarray(customer_id),
            "actual_purchases": _as_float_array(actual),
            "predicted_purchases": np.nan if predicted is None else _as_float_array(predicted),
        }
    )
    frame = frame.sort_values(["predicted_purchases", "customer_id"], kind="stable")
    n = len(frame)
    base, extra = divmod(n, _N_DECILES)
    sizes = [base + (1 if group < extra else 0) for group in range(_N_DECILES)]
    frame["predicted_purchases_decile"] = np.repeat(np.arange(1, _N_DECILES + 1), sizes)
    frame["absolute_error"] = (frame["predicted_purchases"] - frame["actual_purchases"]).abs()
    groups = frame.groupby("predicted_purchases_decile", as_index=False).agg(
        n_customers=("customer_id", "size"),
        predicted_purchases=("predicted_purchases", "sum"),
        actual_purchases=("actual_purchases", "sum"),
        absolute_error=("absolute_error", "sum"),
    )
    return backtest_summary_from_groups(groups, predicted is not None)
