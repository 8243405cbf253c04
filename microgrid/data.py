"""Small 2-D classification datasets made in code: seeded, deterministic, no scikit-learn.

    X, y = make_moons(n=100, noise=0.1, seed=0)

Every function returns ``(X, y)``: ``X`` is a list of ``n`` points ``[x1, x2]`` (floats) and
``y`` a list of ``n`` int labels — 0/1 for moons, circles and XOR, 0 … k−1 for blobs.  Classes
are balanced (sizes differ by at most one) and the points are shuffled.  The same arguments
always give the same data; ``seed=None`` draws fresh randomness.  ``noise`` is the standard
deviation of Gaussian noise added to each coordinate.

    make_moons     two interleaving half circles (label 0: upper, label 1: lower)
    make_circles   a circle of radius 1 (label 0) around one of radius ``factor`` (label 1)
    make_xor       points in [−1, 1]², label 1 when x1 and x2 have different signs
    make_blobs     k Gaussian blobs centred evenly on a circle of radius ``radius``

For the hinge loss, labels 0/1 are fine (`microgrid.losses.hinge` reads 0 as −1).
"""

from __future__ import annotations

import math
import numbers
import random

__all__ = ["make_moons", "make_circles", "make_xor", "make_blobs"]

Dataset = tuple[list[list[float]], list[int]]


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two interleaving half circles: (cos t, sin t) with label 0 and (1 − cos t, ½ − sin t)
    with label 1, for t evenly spaced in [0, π]."""
    n, noise, rng = _check(n, noise, seed, "make_moons")
    points = []
    for label, size in enumerate(_split(n, 2)):
        for i in range(size):
            t = math.pi * i / max(size - 1, 1)
            if label == 0:
                points.append((math.cos(t), math.sin(t), 0))
            else:
                points.append((1.0 - math.cos(t), 0.5 - math.sin(t), 1))
    return _finish(points, noise, rng)


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> Dataset:
    """An outer circle of radius 1 (label 0) around an inner one of radius ``factor`` (label 1),
    angles evenly spaced."""
    n, noise, rng = _check(n, noise, seed, "make_circles")
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be a number in (0, 1), got {factor!r}")
    points = []
    for label, (size, r) in enumerate(zip(_split(n, 2), (1.0, float(factor)), strict=True)):
        for i in range(size):
            t = 2.0 * math.pi * i / size
            points.append((r * math.cos(t), r * math.sin(t), label))
    return _finish(points, noise, rng)


def make_xor(n: int = 100, noise: float = 0.0, seed: int | None = 0) -> Dataset:
    """Points uniform in the four quadrants of [−1, 1]² (equally many in each); label
    1 when sign(x1) ≠ sign(x2), else 0.  With ``noise`` > 0 a few points cross the axes."""
    n, noise, rng = _check(n, noise, seed, "make_xor")
    points = []
    for i in range(n):
        # Cycle the quadrants (+,+) (−,−) (+,−) (−,+), so both classes get every other point.
        s1, s2 = ((1, 1), (-1, -1), (1, -1), (-1, 1))[i % 4]
        points.append((s1 * rng.random(), s2 * rng.random(), int(s1 != s2)))
    return _finish(points, noise, rng)


def make_blobs(
    n: int = 100, k: int = 3, noise: float = 0.5, radius: float = 2.0, seed: int | None = 0
) -> Dataset:
    """k Gaussian blobs (standard deviation ``noise``) centred at radius·(cos 2πc/k, sin 2πc/k)
    for class c = 0 … k−1."""
    n, noise, rng = _check(n, noise, seed, "make_blobs")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"make_blobs: k must be an int in 1..n = 1..{n}, got {k!r}")
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not radius > 0:
        raise ValueError(f"make_blobs: radius must be a number > 0, got {radius!r}")
    points = []
    for c, size in enumerate(_split(n, k)):
        angle = 2.0 * math.pi * c / k
        points += [(radius * math.cos(angle), radius * math.sin(angle), c)] * size
    return _finish(points, noise, rng)


# ---------------------------------------------------------------------------- helpers
def _check(n: object, noise: object, seed: object, name: str) -> tuple[int, float, random.Random]:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"{name}: n must be an int ≥ 2, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise ValueError(f"{name}: noise must be a number ≥ 0, got {noise!r}")
    if not 0.0 <= float(noise) < math.inf:
        raise ValueError(f"{name}: noise must be a finite number ≥ 0, got {noise!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"{name}: seed must be an int or None, got {seed!r}")
    return n, float(noise), random.Random(seed)


def _split(n: int, k: int) -> list[int]:
    """n examples into k classes whose sizes differ by at most one."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(points: list[tuple[float, float, int]], noise: float, rng: random.Random) -> Dataset:
    """Add noise, shuffle (so mini-batches mix the classes) and split into X and y."""
    noisy = [
        (x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise), c) if noise else (x1, x2, c)
        for x1, x2, c in points
    ]
    rng.shuffle(noisy)
    return [[float(x1), float(x2)] for x1, x2, _ in noisy], [c for _, _, c in noisy]
