"""Specification of microgrid.gradcheck: it passes on correct gradients, catches wrong ones,
and leaves every Value it touches as it found it."""

from __future__ import annotations

import pytest

from microgrid import MLP, GradcheckError, Value, gradcheck
from microgrid import sum as msum


def _square_with_local_grad(x: Value, local: float) -> Value:
    """x² as a hand-built node whose local gradient is whatever we say (2x is right)."""
    out = Value(x.data**2)
    out.parents = (x,)
    out.local_grads = (local,)
    out.op = "**2"
    return out


def wrong_square(x: Value) -> Value:
    return _square_with_local_grad(x, x.data)  # should be 2x


def right_square(x: Value) -> Value:
    return _square_with_local_grad(x, 2 * x.data)


def smooth(x: Value, y: Value) -> Value:
    return (x * y).tanh() + x.exp() / (1 + y**2) - (x**2 + 1.0).log()


def test_passes_on_a_correct_composite_function():
    assert gradcheck(smooth, [0.3, -0.7]) is True


def test_passes_on_a_correct_hand_built_node():
    assert gradcheck(right_square, [1.5]) is True


def test_passes_on_an_mlp_loss_for_every_parameter():
    mlp = MLP(2, [3, 1], seed=0)
    for n in mlp.layers[0].neurons:
        n.b.data = 0.2

    def loss(*params):  # params are mlp.parameters() themselves
        return (mlp([0.5, -1.0]) - 1.0) ** 2

    assert gradcheck(loss, mlp.parameters()) is True


def test_raises_gradcheck_error_on_a_wrong_gradient():
    with pytest.raises(GradcheckError):
        gradcheck(wrong_square, [1.5])


def test_the_error_names_the_failing_input_and_both_numbers():
    x = Value(1.5, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: wrong_square(x) + y, [x, 2.0])
    msg = str(info.value)
    assert "x" in msg and "1.5" in msg and "3" in msg  # engine 1.5, finite differences 3
    assert "input 1" not in msg  # y's gradient is right


def test_returns_false_instead_of_raising_when_asked():
    assert gradcheck(wrong_square, [1.5], raise_exception=False) is False


def test_a_nan_gradient_fails_the_check():
    def nan_grad(x: Value) -> Value:
        return _square_with_local_grad(x, float("nan"))

    assert gradcheck(nan_grad, [1.5], raise_exception=False) is False


def test_catches_a_wrong_gradient_in_a_single_input_of_many():
    def f(a, b, c):
        return msum([a * b, wrong_square(c)])

    assert gradcheck(f, [0.5, 2.0, -1.25], raise_exception=False) is False
    assert gradcheck(lambda a, b, c: msum([a * b, c * c]), [0.5, 2.0, -1.25]) is True


def test_leaves_input_data_and_grads_unchanged():
    x, y = Value(0.3), Value(-0.7)
    x.grad, y.grad = 5.0, -2.0
    gradcheck(smooth, [x, y])
    assert (x.data, y.data, x.grad, y.grad) == (0.3, -0.7, 5.0, -2.0)


def test_leaves_input_data_and_grads_unchanged_when_the_check_fails():
    x = Value(1.5)
    x.grad = 4.0
    with pytest.raises(GradcheckError):
        gradcheck(wrong_square, [x])
    assert (x.data, x.grad) == (1.5, 4.0)


def test_leaves_input_data_unchanged_when_f_raises():
    x = Value(1e-7)
    with pytest.raises(ValueError):
        gradcheck(lambda x: (x - 1e-7).log(), [x])  # log(0) at the unperturbed point
    assert x.data == 1e-7


def test_leaves_the_grads_of_other_values_f_uses_unchanged():
    # A model's parameters captured by f are not inputs: checking must not touch their grads.
    w = Value(2.0)
    w.grad = 0.25
    gradcheck(lambda x: w * x, [0.5])
    assert w.grad == 0.25


def test_leaves_the_grads_of_interior_nodes_f_reuses_unchanged():
    # z.grad is δ from an earlier backward (what a notebook is showing): checking keeps it.
    w = Value(2.0)
    z = w * 3.0
    z.tanh().backward()
    delta = z.grad
    gradcheck(lambda x: z * x, [0.5])
    assert z.grad == delta


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda x: x.data, [1.0])


def test_rejects_the_same_value_twice_in_inputs():
    x = Value(1.0)
    with pytest.raises(ValueError):
        gradcheck(lambda a, b: a * b, [x, x])
