"""Losses: values and gradients against closed forms and PyTorch (float64); bad input rejected."""

from __future__ import annotations

import math
import random

import pytest
import torch

from microgrid import Value
from microgrid.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge,
    mse,
    quadratic,
    softmax_cross_entropy,
)

F = torch.nn.functional


def values(xs):
    return [Value(x) for x in xs]


def grads(vs):
    return [v.grad for v in vs]


def engine_and_torch(loss_fn, torch_fn, xs, targets, torch_targets=None):
    """(loss, gradients) from the engine and from torch on the same numbers."""
    a = values(xs)
    loss = loss_fn(a, targets)
    loss.backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(targets if torch_targets is None else torch_targets, dtype=torch.float64)
    tl = torch_fn(t, tt)
    tl.backward()
    return (loss.data, grads(a)), (tl.item(), t.grad.tolist())


def assert_close(engine, reference, tol=1e-12):
    (l1, g1), (l2, g2) = engine, reference
    assert l1 == pytest.approx(l2, rel=tol, abs=tol)
    assert g1 == pytest.approx(g2, rel=tol, abs=tol)


def random_batch(seed, n=7, scale=3.0):
    rng = random.Random(seed)
    return [rng.uniform(-scale, scale) for _ in range(n)], rng


# ------------------------------------------------------------------------- quadratic
def test_quadratic_is_half_the_sum_of_squared_errors():
    a = values([0.2, 0.7, -1.0])
    assert quadratic(a, [0.0, 1.0, 1.0]).data == pytest.approx(0.5 * (0.04 + 0.09 + 4.0))


def test_quadratic_gradient_is_a_minus_y_as_in_bp1():
    a = values([0.2, 0.7, -1.0])
    y = [0.0, 1.0, 1.0]
    quadratic(a, y).backward()
    assert grads(a) == pytest.approx([aj.data - yj for aj, yj in zip(a, y, strict=True)])


def test_quadratic_of_a_batch_of_vectors_is_the_sum_of_per_example_costs():
    batch = [values([0.1, 0.9]), values([0.4, -0.3])]
    targets = [[0.0, 1.0], [1.0, 0.0]]
    per_example = sum(quadratic(a, y).data for a, y in zip(batch, targets, strict=True))
    assert quadratic(batch, targets).data == pytest.approx(per_example)


def test_quadratic_targets_may_be_values_and_then_get_gradients_too():
    a, y = Value(3.0), Value(1.0)
    quadratic(a, y).backward()
    assert (a.grad, y.grad) == (2.0, -2.0)


def test_a_classification_label_must_be_a_plain_number():
    with pytest.raises(ValueError, match="plain number"):
        hinge(values([0.5]), [Value(1.0)])


def test_quadratic_accepts_a_single_value_and_a_number():
    assert quadratic(Value(3.0), 1.0).data == pytest.approx(2.0)


# ------------------------------------------------------------------------- mse
@pytest.mark.parametrize("seed", range(3))
def test_mse_matches_torch(seed):
    xs, rng = random_batch(seed)
    ys = [rng.uniform(-1, 1) for _ in xs]
    assert_close(*engine_and_torch(mse, F.mse_loss, xs, ys))


# ------------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("seed", range(3))
def test_binary_cross_entropy_matches_torch(seed):
    rng = random.Random(seed)
    ps = [rng.uniform(0.01, 0.99) for _ in range(6)]
    ys = [0, 1, 1, 0, 0.3, 1]  # soft labels in [0, 1] are allowed
    assert_close(*engine_and_torch(binary_cross_entropy, F.binary_cross_entropy, ps, ys))


def test_binary_cross_entropy_is_zero_for_a_certain_correct_prediction():
    assert binary_cross_entropy(values([1.0, 0.0]), [1, 0]).data == 0.0


def test_binary_cross_entropy_of_a_certain_wrong_prediction_raises_and_suggests_logits():
    with pytest.raises(ValueError, match="with_logits"):
        binary_cross_entropy(values([0.0]), [1])


def test_binary_cross_entropy_rejects_probabilities_outside_0_1():
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        binary_cross_entropy(values([1.5]), [1])


@pytest.mark.parametrize("seed", range(3))
def test_binary_cross_entropy_with_logits_matches_torch(seed):
    xs, rng = random_batch(seed, scale=8.0)
    ys = [rng.choice([0.0, 1.0, 0.25]) for _ in xs]
    assert_close(
        *engine_and_torch(
            binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, xs, ys
        )
    )


def test_binary_cross_entropy_with_logits_is_finite_for_huge_logits():
    # σ(±800) rounds to exactly 1.0/0.0; the naive −ln(1 − σ(s)) would be infinite.
    engine, reference = engine_and_torch(
        binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        [800.0, -800.0, 800.0],
        [0.0, 1.0, 1.0],
    )
    assert engine[0] == pytest.approx(1600.0 / 3)
    assert_close(engine, reference)


def test_binary_cross_entropy_with_logits_gradient_is_sigmoid_minus_y_over_n():
    s = values([0.3, -2.0])
    binary_cross_entropy_with_logits(s, [1, 0]).backward()
    sig = [1 / (1 + math.exp(-v.data)) for v in s]
    assert grads(s) == pytest.approx([(sig[0] - 1) / 2, sig[1] / 2])


@pytest.mark.parametrize("loss", [binary_cross_entropy, binary_cross_entropy_with_logits])
@pytest.mark.parametrize("label", [-1, 2, 1.5])
def test_binary_cross_entropy_rejects_labels_outside_0_1(loss, label):
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        loss(values([0.5]), [label])


# ------------------------------------------------------------------------- softmax cross-entropy
@pytest.mark.parametrize("seed", range(3))
def test_softmax_cross_entropy_matches_torch(seed):
    rng = random.Random(seed)
    rows = [[rng.uniform(-4, 4) for _ in range(4)] for _ in range(5)]
    classes = [rng.randrange(4) for _ in rows]
    logits = [values(r) for r in rows]
    loss = softmax_cross_entropy(logits, classes)
    loss.backward()
    t = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    tl = F.cross_entropy(t, torch.tensor(classes))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-12)
    flat = [g for r in logits for g in grads(r)]
    assert flat == pytest.approx(t.grad.flatten().tolist(), rel=1e-12, abs=1e-15)


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    logits = [values([1000.0, 0.0, -1000.0])]
    loss = softmax_cross_entropy(logits, [1])
    loss.backward()
    assert loss.data == pytest.approx(1000.0)
    assert grads(logits[0]) == pytest.approx([1.0, -1.0, 0.0])


def test_softmax_cross_entropy_of_equal_logits_is_ln_k():
    assert softmax_cross_entropy([values([2.0] * 5)], [3]).data == pytest.approx(math.log(5))


@pytest.mark.parametrize("target", [3, -1, 1.0, True, "1"])
def test_softmax_cross_entropy_rejects_a_target_that_is_not_a_class_index(target):
    with pytest.raises(ValueError, match=r"targets\[0\]"):
        softmax_cross_entropy([values([0.0, 1.0, 2.0])], [target])


def test_softmax_cross_entropy_rejects_rows_of_different_lengths():
    with pytest.raises(ValueError, match="3 classes but logits\\[1\\] has 2"):
        softmax_cross_entropy([values([0, 1, 2]), values([0, 1])], [0, 0])


def test_softmax_cross_entropy_rejects_a_flat_list_of_logits():
    with pytest.raises(ValueError, match="list of K class scores"):
        softmax_cross_entropy(values([0.0, 1.0]), [0, 1])


def test_softmax_cross_entropy_rejects_more_rows_than_targets():
    with pytest.raises(ValueError, match="2 rows of logits but 1 targets"):
        softmax_cross_entropy([values([0, 1]), values([1, 0])], [0])


# ------------------------------------------------------------------------- hinge
def test_hinge_is_the_mean_of_relu_one_minus_y_times_score():
    s = values([2.0, 0.5, -0.25, 0.1])
    y = [1, 1, -1, -1]
    expected = (0.0 + 0.5 + 0.75 + 1.1) / 4
    assert hinge(s, y).data == pytest.approx(expected)


def test_hinge_gradient_is_minus_y_over_n_inside_the_margin_and_zero_outside():
    s = values([2.0, 0.5, -0.25, -3.0])
    hinge(s, [1, 1, -1, -1]).backward()
    assert grads(s) == [0.0, -0.25, 0.25, 0.0]


def test_hinge_reads_label_0_as_minus_1():
    s = [0.3, -0.7, 1.2]
    assert hinge(values(s), [1, 0, 0]).data == hinge(values(s), [1, -1, -1]).data


@pytest.mark.parametrize("label", [2, 0.5, -2])
def test_hinge_rejects_labels_other_than_plus_minus_one_or_zero(label):
    with pytest.raises(ValueError, match="labels must be"):
        hinge(values([0.1, 0.2]), [1, label])


def test_hinge_rejects_a_batch_mixing_0_and_minus_1():
    with pytest.raises(ValueError, match="mix 0 and −1"):
        hinge(values([0.1, 0.2, 0.3]), [1, 0, -1])


# ------------------------------------------------------------------------- shared contract
ALL_FLAT = [quadratic, mse, binary_cross_entropy, binary_cross_entropy_with_logits, hinge]


@pytest.mark.parametrize("loss", ALL_FLAT)
def test_a_size_mismatch_names_both_sizes(loss):
    with pytest.raises(ValueError, match="3 outputs but 2 targets"):
        loss(values([0.5, 0.5, 0.5]), [1, 0])


@pytest.mark.parametrize("loss", ALL_FLAT)
def test_empty_outputs_are_rejected(loss):
    with pytest.raises(ValueError, match="no outputs"):
        loss([], [])


def test_a_batch_whose_rows_differ_from_the_targets_rows_is_rejected():
    with pytest.raises(ValueError, match=r"rows of sizes \[2, 1\]"):
        quadratic([values([1, 2]), values([3])], [[1], [2, 3]])


@pytest.mark.parametrize("loss", [binary_cross_entropy_with_logits, hinge, mse])
def test_a_batch_loss_is_one_n_ary_sum_node(loss):
    s = values([0.1 * i for i in range(50)])
    root = loss(s, [1] * 50)
    (total,) = root.parents  # the mean: Σ / n, the plain number n folded into the division
    assert root.op == "/" and root.operands == (total, 50.0)
    assert total.op == "Σ" and len(total.parents) == 50


def test_losses_accept_plain_numbers_as_outputs():
    assert hinge([0.5, -2.0], [1, 0]).data == pytest.approx(0.25)


def test_a_non_number_output_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        mse(["a"], [1.0])
