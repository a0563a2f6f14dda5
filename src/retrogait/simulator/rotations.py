"""Rotation chains with analytic body rate and body angular acceleration (vectorized over samples).

A foot orientation is built as a product of factors ``R = F_1 F_2 ... F_n``, each either a rotation by
a time-varying angle about a fixed axis (axis given in the factor's parent frame) or a constant matrix.
For such a chain the body-frame angular velocity and acceleration have a closed form:

    omega = sum_i  theta_dot_i  b_i,           b_i = (F_{i+1} ... F_n)^T a_i
    alpha = sum_i (theta_ddot_i b_i - theta_dot_i  omega_{>i} x b_i)

where ``omega_{>i}`` is the body rate of the tail ``F_{i+1} ... F_n``. No numerical differentiation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AxisFactor:
    """Rotation by ``angle`` (N,) about ``axis`` ((3,) or (N, 3), unit) with its time derivatives."""

    axis: np.ndarray
    angle: np.ndarray
    rate: np.ndarray
    accel: np.ndarray


@dataclass
class ConstFactor:
    """A constant rotation matrix, (3, 3) or (N, 3, 3)."""

    matrix: np.ndarray


def axis_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices (N, 3, 3) for rotations by ``angle`` (N,) about ``axis`` ((3,) or (N, 3))."""
    n = angle.shape[0]
    c, s = np.cos(angle), np.sin(angle)
    axis = np.asarray(axis, dtype=float)
    out = np.empty((n, 3, 3))
    if axis.ndim == 1 and np.count_nonzero(axis) == 1 and abs(axis).max() == 1.0:  # a coordinate axis
        i = int(np.flatnonzero(axis)[0])
        j, k = (i + 1) % 3, (i + 2) % 3
        s = s * axis[i]
        out[:] = 0.0
        out[:, i, i] = 1.0
        out[:, j, j] = c
        out[:, k, k] = c
        out[:, k, j] = s
        out[:, j, k] = -s
        return out
    a = np.broadcast_to(axis, (n, 3))
    cc = 1.0 - c
    for r in range(3):
        for q in range(3):
            out[:, r, q] = cc * a[:, r] * a[:, q]
        out[:, r, r] += c
    out[:, 0, 1] -= s * a[:, 2]
    out[:, 1, 0] += s * a[:, 2]
    out[:, 0, 2] += s * a[:, 1]
    out[:, 2, 0] -= s * a[:, 1]
    out[:, 1, 2] -= s * a[:, 0]
    out[:, 2, 1] += s * a[:, 0]
    return out


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of (N, 3) arrays (faster than np.cross for many short vectors)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    out[..., 1] = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    out[..., 2] = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return out


def rotate(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``R @ v`` for stacks (N, 3, 3) and (N, 3) or (3,)."""
    return r[:, :, 0] * v[..., 0:1] + r[:, :, 1] * v[..., 1:2] + r[:, :, 2] * v[..., 2:3]


def rotate_t(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``R^T @ v`` for stacks (N, 3, 3) and (N, 3) or (3,)."""
    return r[:, 0, :] * v[..., 0:1] + r[:, 1, :] * v[..., 1:2] + r[:, 2, :] * v[..., 2:3]


def chain(factors: list[AxisFactor | ConstFactor], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a rotation chain at ``n`` samples: ``(R (n,3,3), omega_body (n,3), alpha_body (n,3))``."""
    tail: np.ndarray | None = None  # F_{i+1} ... F_n, built from the right (None = identity)
    omega_tail = np.zeros((n, 3))
    alpha = np.zeros((n, 3))
    for f in reversed(factors):
        if isinstance(f, ConstFactor):
            m = np.broadcast_to(f.matrix, (n, 3, 3))
            tail = m.copy() if tail is None else np.matmul(m, tail)
            continue
        axis = np.broadcast_to(np.asarray(f.axis, dtype=float), (n, 3))
        b = axis.copy() if tail is None else rotate_t(tail, axis)  # tail^T a
        alpha += f.accel[:, None] * b - f.rate[:, None] * cross(omega_tail, b)
        omega_tail = omega_tail + f.rate[:, None] * b
        m = axis_matrix(f.axis, f.angle)
        tail = m if tail is None else np.matmul(m, tail)
    if tail is None:
        tail = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    return tail, omega_tail, alpha
