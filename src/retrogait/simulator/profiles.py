"""Smooth scalar profiles with analytic first and second derivatives (vectorized).

Every profile returns ``(value, d/dt, d2/dt2)``. They are the building blocks of the foot model in
:mod:`retrogait.simulator.footmodel`: all are C2, so the specific force derived from them is continuous.
"""

from __future__ import annotations

import numpy as np

Triple = tuple[np.ndarray, np.ndarray, np.ndarray]


def smoothstep(s: np.ndarray) -> Triple:
    """Quintic smoothstep ``10s^3 - 15s^4 + 6s^5`` on s in [0, 1] (clipped): 0 -> 1 with zero 1st/2nd
    derivatives at both ends. Derivatives are with respect to ``s``."""
    s = np.clip(s, 0.0, 1.0)
    s2 = s * s
    v = s2 * s * (10.0 - 15.0 * s + 6.0 * s2)
    d1 = 30.0 * s2 * (1.0 - s) ** 2
    d2 = 60.0 * s * (1.0 - s) * (1.0 - 2.0 * s)
    return v, d1, d2


def bump(s: np.ndarray, skew: float = 0.0) -> Triple:
    """A one-hump profile ``s^3 (1-s)^3 (1 + skew (1-s))`` scaled to a peak of 1, zero outside [0, 1];
    C2 at both ends (cubic contact). ``skew > 0`` moves the peak earlier. Derivatives are with respect
    to ``s``."""
    poly = _bump_poly(float(skew))
    inside = (s > 0.0) & (s < 1.0)
    sc = np.clip(s, 0.0, 1.0)
    zero = np.zeros_like(sc)
    return tuple(np.where(inside, p(sc), zero) for p in (poly, poly.deriv(1), poly.deriv(2)))


def wobble(s: np.ndarray) -> Triple:
    """A damped down-up oscillation on [0, 1] (minimum -1, then a smaller rebound), zero and C2 at both
    ends: the sensor's small bounce on the shoe at initial contact. Derivatives are with respect to
    ``s``."""
    poly = _wobble_poly()
    inside = (s > 0.0) & (s < 1.0)
    sc = np.clip(s, 0.0, 1.0)
    zero = np.zeros_like(sc)
    return tuple(np.where(inside, p(sc), zero) for p in (poly, poly.deriv(1), poly.deriv(2)))


def _wobble_poly() -> np.polynomial.Polynomial:
    if "wobble" not in _WOBBLE:
        P = np.polynomial.Polynomial
        poly = P([0, 0, 0, 1]) * P([1, -1]) ** 3 * P([-1.0, 2.5])
        _WOBBLE["wobble"] = poly / -poly(np.linspace(0.0, 1.0, 2001)).min()
    return _WOBBLE["wobble"]


_WOBBLE: dict[str, np.polynomial.Polynomial] = {}
_BUMPS: dict[float, np.polynomial.Polynomial] = {}


def _bump_poly(skew: float) -> np.polynomial.Polynomial:
    if skew not in _BUMPS:
        P = np.polynomial.Polynomial
        poly = P([0, 0, 0, 1]) * P([1, -1]) ** 3 * P([1 + skew, -skew])
        peak = poly(np.linspace(0.0, 1.0, 2001)).max()
        _BUMPS[skew] = poly / peak
    return _BUMPS[skew]


def quintic_hermite(
    t: np.ndarray, knots_t: np.ndarray, y: np.ndarray, dy: np.ndarray, ddy: np.ndarray
) -> Triple:
    """Piecewise quintic Hermite interpolation, one knot set per sample row.

    ``knots_t``, ``y``, ``dy``, ``ddy`` have shape (N, K): for sample ``t[i]`` the knots of its own
    curve (value, slope, curvature at each knot, in time units). Samples before the first knot or after
    the last are held at the end values (with zero derivatives only if the end slopes are zero).
    Returns value and its first and second time derivatives, each (N,).
    """
    k = knots_t.shape[1]
    seg = np.clip((t[:, None] >= knots_t).sum(axis=1) - 1, 0, k - 2)
    rows = np.arange(t.shape[0])
    t0, t1 = knots_t[rows, seg], knots_t[rows, seg + 1]
    h = t1 - t0
    y0, y1 = y[rows, seg], y[rows, seg + 1]
    d0, d1 = dy[rows, seg] * h, dy[rows, seg + 1] * h
    a0, a1 = ddy[rows, seg] * h * h, ddy[rows, seg + 1] * h * h
    dy_ = y1 - y0
    c3 = 10 * dy_ - 6 * d0 - 4 * d1 - 1.5 * a0 + 0.5 * a1
    c4 = -15 * dy_ + 8 * d0 + 7 * d1 + 1.5 * a0 - a1
    c5 = 6 * dy_ - 3 * d0 - 3 * d1 - 0.5 * a0 + 0.5 * a1
    c2 = 0.5 * a0
    u = np.clip((t - t0) / h, 0.0, 1.0)
    v = y0 + u * (d0 + u * (c2 + u * (c3 + u * (c4 + u * c5))))
    dv = (d0 + u * (2 * c2 + u * (3 * c3 + u * (4 * c4 + u * 5 * c5)))) / h
    ddv = (2 * c2 + u * (6 * c3 + u * (12 * c4 + u * 20 * c5))) / (h * h)
    before = t < knots_t[:, 0]
    after = t > knots_t[:, -1]
    held = before | after
    dv = np.where(held, 0.0, dv)
    ddv = np.where(held, 0.0, ddv)
    return v, dv, ddv


def ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with unit variance and lag-1 autocorrelation ``rho``
    (stride-to-stride persistence, as in real stride-interval series)."""
    e = rng.standard_normal(n)
    if n == 0 or rho == 0.0:
        return e
    out = np.empty(n)
    out[0] = e[0]
    c = np.sqrt(1.0 - rho * rho)
    for i in range(1, n):  # one value per step/stride (thousands at most), not per sample
        out[i] = rho * out[i - 1] + c * e[i]
    return out


def power_law_noise(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    """Unit-variance Gaussian noise with a 1/f^beta spectrum, ``beta = 2 alpha - 1``, so that its DFA
    exponent is about ``alpha`` (0.5 = white, ~0.75-0.9 = healthy stride intervals, 1 = pink)."""
    if n < 2:
        return rng.standard_normal(n)
    m = 2 * n  # generate longer and cut, to avoid the circular wrap
    freqs = np.fft.rfftfreq(m)
    amp = np.zeros_like(freqs)
    amp[1:] = freqs[1:] ** (-(2.0 * alpha - 1.0) / 2.0)
    spec = amp * (rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size))
    x = np.fft.irfft(spec, m)[:n]
    x = x - x.mean()
    return x / x.std() if x.std() > 0 else x
