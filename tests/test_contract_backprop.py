"""`microgrid.backprop`'s public contract, one claim
a test, for the behaviours a mutation run found unpinned: the default cost, the edges of the
cross-entropy check, and the text of the refusals.  Numbers are checked against the closed
forms of docs/backprop.md §3 and §9 worked by hand in the test.
"""

from __future__ import annotations

import math

import pytest

from microgrid import backprop as bp


# ------------------------------------------------------------------ costs
def test_cost_value_is_quadratic_by_default():
    # C = ½ Σ_j (y_j − a_j)² = ½ (0.8² + 0.6²) = 0.5
    assert bp.cost_value([0.2, 0.6], [1.0, 0.0]) == pytest.approx(0.5, abs=1e-15)


def test_cost_gradient_is_quadratic_by_default():
    assert bp.cost_gradient([0.25, 0.75], [1.0, 0.0]) == [-0.75, 0.75]


def test_cross_entropy_cost_is_the_binary_log_loss():
    # C = −[1·ln 0.25 + 0·ln 0.75] − [0·ln 0.75 + 1·ln(1 − 0.75)] = 2 ln 4
    assert bp.cost_value([0.25, 0.75], [1.0, 0.0], "cross_entropy") == \
        pytest.approx(2 * math.log(4.0), rel=1e-15)


@pytest.mark.parametrize("a", [0.0, 1.0])
def test_an_output_of_exactly_zero_or_one_is_refused_by_cross_entropy(a):
    with pytest.raises(ValueError, match=rf"cross_entropy: output a\^L_1 = {a!r}; the cost needs "
                                         r"0 < a < 1 \(use a sigmoid output layer"):
        bp.cost_value([a], [1.0], "cross_entropy")


@pytest.mark.parametrize("where", [bp.cost_value, bp.cost_gradient])
def test_an_output_of_zero_is_refused_by_every_cross_entropy_function(where):
    with pytest.raises(ValueError, match=r"output a\^L_2 = 0\.0"):
        where([0.5, 0.0], [1.0, 0.0], "cross_entropy")


def test_the_sigmoid_output_error_refuses_an_output_of_zero_under_cross_entropy():
    with pytest.raises(ValueError, match=r"output a\^L_1 = 0\.0"):
        bp.output_error([-800.0], [0.0], [1.0], "sigmoid", "cross_entropy")


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_a_target_of_exactly_zero_or_one_is_accepted_by_cross_entropy(y):
    assert math.isfinite(bp.cost_value([0.5], [y], "cross_entropy"))


@pytest.mark.parametrize("y", [-0.5, 1.5])
def test_a_target_outside_zero_one_is_refused_by_cross_entropy(y):
    with pytest.raises(ValueError, match=rf"cross_entropy: target y_1 = {y!r}; binary targets "
                                         r"must be in \[0, 1\]"):
        bp.cost_value([0.5], [y], "cross_entropy")


@pytest.mark.parametrize("where", [bp.cost_value, bp.cost_gradient])
def test_an_unknown_cost_lists_the_valid_ones(where):
    with pytest.raises(ValueError, match=r"unknown cost 'hinge'; valid costs are 'quadratic', "
                                         "'cross_entropy'"):
        where([0.5], [1.0], "hinge")


def test_backprop_refuses_an_unknown_cost_listing_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown cost 'hinge'; valid costs are"):
        bp.backprop([[[0.5]]], [[0.0]], [1.0], [1.0], cost="hinge")


# ------------------------------------------------------------------ σ and σ′ at their kinks
def test_relu_prime_at_zero_is_zero_as_in_pytorch():
    assert bp.sigma_prime(0.0, "relu") == 0.0 and bp.sigma_prime(1e-300, "relu") == 1.0


def test_relu_at_zero_is_zero():
    assert bp.sigma(0.0, "relu") == 0.0 and bp.sigma(-1e-300, "relu") == 0.0


def test_sigmoid_at_zero_is_one_half_with_slope_one_quarter():
    assert bp.sigma(0.0) == 0.5 and bp.sigma_prime(0.0) == 0.25


def test_linear_is_the_identity_with_slope_one():
    assert bp.sigma(-2.5, "linear") == -2.5 and bp.sigma_prime(-2.5, "linear") == 1.0


def test_a_layer_of_weights_that_is_a_number_is_named_by_its_layer():
    with pytest.raises(ValueError, match=r"layer 2 \(W\[0\]\): expected a sequence, "
                                         r"got float 0\.5"):
        bp.backprop([0.5], [[0.0]], [1.0], [1.0])


def test_explain_shows_three_significant_digits_by_default():
    # z = 0.5·0.7 − 0.3·0.2 + 0.1 = 0.39, δ = (σ(z) − 1) σ′(z) = −0.09719, a_1 δ = −0.06803
    r = bp.backprop([[[0.5, -0.3]]], [[0.1]], x=[0.7, 0.2], y=[1.0])
    assert bp.explain(r, 2, 1, 1) == "∂C/∂w^2_{11} = a^1_1 · δ^2_1 = 0.7 × -0.0972 = -0.068"


def test_weights_that_are_not_a_sequence_are_named_w():
    with pytest.raises(ValueError, match=r"^W: expected a sequence, got float 0\.5"):
        bp.backprop(0.5, [[0.0]], [1.0], [1.0])


def test_targets_that_are_not_a_sequence_are_named_y():
    with pytest.raises(ValueError, match=r"^y: expected a sequence, got float 1\.0"):
        bp.backprop([[[0.5]]], [[0.0]], [1.0], 1.0)


# ------------------------------------------------------------------ the equations on bad shapes
# The building blocks leave friendly shape errors to `backprop`, but a mismatch is never
# truncated away: a w^l_j longer than a^{l-1} would silently drop its last weights.
def test_weighted_input_refuses_a_row_of_weights_longer_than_the_previous_layer():
    with pytest.raises(ValueError):
        bp.weighted_input([[0.5, -0.3, 0.2]], [0.7, 0.2], [0.1])


def test_forward_refuses_fewer_activations_than_layers():
    W, B = [[[0.5]], [[-0.3]]], [[0.1], [0.0]]
    with pytest.raises(ValueError):
        bp.forward(W, B, [0.7], ["sigmoid"])


def test_output_error_refuses_a_z_shorter_than_the_output():
    with pytest.raises(ValueError):
        bp.output_error([0.0], [0.25, 0.75], [1.0, 0.0])
