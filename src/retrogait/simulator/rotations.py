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
    a = np.broadcast_to(np.asarray(axis, dtype=float), (n, 3))
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    k = np.zeros((n, 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -a[:, 2], a[:, 1], -a[:, 0]
    k[:, 1, 0], k[:, 2, 0], k[:, 2, 1] = a[:, 2], -a[:, 1], a[:, 0]
    return c * np.eye(3) + s * k + (1.0 - c) * a[:, :, None] * a[:, None, :]  # Rodrigues


def rotate(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``R @ v`` for stacks (N, 3, 3) and (N, 3) or (3,)."""
    return r[:, :, 0] * v[..., 0:1] + r[:, :, 1] * v[..., 1:2] + r[:, :, 2] * v[..., 2:3]


def rotate_t(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``R^T @ v`` for stacks (N, 3, 3) and (N, 3) or (3,)."""
    return r[:, 0, :] * v[..., 0:1] + r[:, 1, :] * v[..., 1:2] + r[:, 2, :] * v[..., 2:3]


def chain(factors: list[AxisFactor | ConstFactor], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a rotation chain at ``n`` samples: ``(R (n,3,3), omega_body (n,3), alpha_body (n,3))``."""
    tail = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()  # F_{i+1} ... F_n, built from the right
    omega_tail = np.zeros((n, 3))
    alpha = np.zeros((n, 3))
    for f in reversed(factors):
        if isinstance(f, ConstFactor):
            tail = np.matmul(f.matrix, tail)
            continue
        axis = np.broadcast_to(np.asarray(f.axis, dtype=float), (n, 3))
        b = rotate_t(tail, axis)  # tail^T a
        alpha += f.accel[:, None] * b - f.rate[:, None] * np.cross(omega_tail, b)
        omega_tail = omega_tail + f.rate[:, None] * b
        tail = np.matmul(axis_matrix(axis, f.angle), tail)
    return tail, omega_tail, alpha
