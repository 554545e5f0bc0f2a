"""A least-squares line through timing points (``from fitting import linear_fit``)."""

from __future__ import annotations


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """``(fixed, per_unit)`` of the line through two or more ``(units, seconds)`` points (least
    squares); ``fixed`` is clipped at 0 (a noisy fit must not make work negative)."""
    if len({u for u, _ in points}) < 2:
        raise ValueError("a linear fit needs measurements at two different unit counts")
    n = len(points)
    mean_u = sum(u for u, _ in points) / n
    mean_t = sum(t for _, t in points) / n
    per_unit = sum((u - mean_u) * (t - mean_t) for u, t in points) / sum((u - mean_u) ** 2 for u, _ in points)
    fixed = max(mean_t - per_unit * mean_u, 0.0)
    return fixed, max(per_unit, 0.0)
