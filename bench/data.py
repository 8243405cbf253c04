"""The W1 data set and initial weights, generated here so the benchmark depends on nothing
but the standard library (same numbers on every machine and every run)."""

from __future__ import annotations

import math
import random

SIZES = (2, 16, 16, 1)  # the demo MLP: 2 inputs, two ReLU layers of 16, one linear output


def two_moons(
    n: int = 100, noise: float = 0.1, seed: int = 1
) -> tuple[list[list[float]], list[float]]:
    """n points on two interleaved half circles (like sklearn's make_moons), labels y ∈ {−1, +1}."""
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    X: list[list[float]] = []
    Y: list[float] = []
    for i in range(n_outer):
        t = math.pi * i / max(n_outer - 1, 1)
        X.append([math.cos(t) + rng.gauss(0.0, noise), math.sin(t) + rng.gauss(0.0, noise)])
        Y.append(-1.0)
    for i in range(n_inner):
        t = math.pi * i / max(n_inner - 1, 1)
        X.append(
            [1.0 - math.cos(t) + rng.gauss(0.0, noise), 0.5 - math.sin(t) + rng.gauss(0.0, noise)]
        )
        Y.append(1.0)
    return X, Y


def initial_weights(
    sizes: tuple[int, ...] = SIZES, seed: int = 2
) -> tuple[list[list[list[float]]], list[list[float]]]:
    """W[i][j][k] (layer i, neuron j, input k) and B[i][j], uniform in ±1/√nin.

    Biases are random too (not 0) so every bias gradient path is exercised by the check."""
    rng = random.Random(seed)
    W, B = [], []
    for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
        s = 1.0 / math.sqrt(nin)
        W.append([[rng.uniform(-s, s) for _ in range(nin)] for _ in range(nout)])
        B.append([rng.uniform(-s, s) for _ in range(nout)])
    return W, B


def flatten(W: list, B: list) -> list[float]:
    """Parameters in the order every engine here uses: layer, neuron, then w_1…w_nin, b."""
    return [
        p
        for Wl, Bl in zip(W, B, strict=True)
        for row, b in zip(Wl, Bl, strict=True)
        for p in (*row, b)
    ]
