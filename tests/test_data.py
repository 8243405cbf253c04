"""Datasets: deterministic, the documented shapes and labels, balanced, seed-dependent."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from microgrid.data import make_blobs, make_circles, make_moons, make_xor

BINARY = [make_moons, make_circles, make_xor]
ALL = [*BINARY, make_blobs]


@pytest.mark.parametrize("make", ALL)
def test_the_same_arguments_give_the_same_data(make):
    assert make(n=50, seed=3) == make(n=50, seed=3)


@pytest.mark.parametrize("make", ALL)
def test_different_seeds_give_different_data(make):
    assert make(n=50, seed=1)[0] != make(n=50, seed=2)[0]


@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("n", [2, 7, 100])
def test_x_is_n_points_of_two_floats_and_y_is_n_ints(make, n):
    X, y = make(n=n, seed=0) if make is not make_blobs else make(n=n, k=2, seed=0)
    assert len(X) == len(y) == n
    assert all(isinstance(x, list) and len(x) == 2 for x in X)
    assert all(type(v) is float and math.isfinite(v) for x in X for v in x)
    assert all(type(c) is int for c in y)


@pytest.mark.parametrize("make", BINARY)
@pytest.mark.parametrize("n", [100, 101])
def test_binary_datasets_have_labels_0_and_1_balanced(make, n):
    counts = Counter(make(n=n, seed=0)[1])
    assert set(counts) == {0, 1}
    assert abs(counts[0] - counts[1]) <= 1


@pytest.mark.parametrize("k", [2, 3, 5])
def test_blobs_have_labels_0_to_k_minus_1_balanced(k):
    counts = Counter(make_blobs(n=101, k=k, seed=0)[1])
    assert set(counts) == set(range(k))
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("make", ALL)
def test_points_are_shuffled_so_labels_are_not_sorted(make):
    y = make(n=100, seed=0)[1]
    assert y != sorted(y)


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = make_moons(n=40, noise=0.0)
    for (x1, x2), c in zip(X, y, strict=True):
        cx, cy = (0.0, 0.0) if c == 0 else (1.0, 0.5)
        assert math.hypot(x1 - cx, x2 - cy) == pytest.approx(1.0)
        assert (x2 >= -1e-12) if c == 0 else (x2 <= 0.5 + 1e-12)


def test_noiseless_circles_have_radius_1_and_factor():
    X, y = make_circles(n=40, noise=0.0, factor=0.3)
    for x, c in zip(X, y, strict=True):
        assert math.hypot(*x) == pytest.approx(1.0 if c == 0 else 0.3)


def test_noiseless_xor_labels_points_by_differing_signs():
    X, y = make_xor(n=200, noise=0.0)
    assert all(c == int((x1 > 0) != (x2 > 0)) for (x1, x2), c in zip(X, y, strict=True))
    assert all(-1.0 <= v <= 1.0 for x in X for v in x)


def test_blob_points_are_nearest_their_own_centre_when_noise_is_small():
    X, y = make_blobs(n=60, k=4, noise=0.1, radius=2.0, seed=0)
    centres = [(2.0 * math.cos(2 * math.pi * c / 4), 2.0 * math.sin(2 * math.pi * c / 4))
               for c in range(4)]
    for x, c in zip(X, y, strict=True):
        nearest = min(range(4), key=lambda j: math.dist(x, centres[j]))
        assert nearest == c


def test_noise_moves_points_off_the_noiseless_curve():
    clean = sorted(map(tuple, make_moons(n=40, noise=0.0)[0]))
    noisy = sorted(map(tuple, make_moons(n=40, noise=0.1)[0]))
    assert clean != noisy


def test_seed_none_draws_fresh_data():
    assert make_moons(n=50, seed=None)[0] != make_moons(n=50, seed=None)[0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(n=1), "n must be an int ≥ 2"),
        (lambda: make_moons(n=10.0), "n must be an int"),
        (lambda: make_moons(noise=-0.1), "noise must be a finite number ≥ 0"),
        (lambda: make_moons(noise=math.nan), "noise"),
        (lambda: make_xor(seed="zero"), "seed must be an int or None"),
        (lambda: make_circles(factor=1.0), r"factor must be a number in \(0, 1\)"),
        (lambda: make_blobs(n=10, k=11), "k must be an int in 1..n"),
        (lambda: make_blobs(k=0), "k must be an int"),
        (lambda: make_blobs(radius=0), "radius must be a number > 0"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
