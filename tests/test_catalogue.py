"""The bad-input catalogue: one test per row of README's "Reliability" table.

Every case ends in a clear exception (its type, and a message naming the problem) or in a
documented value — never a silent NaN, a hang, or a half-written file.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import signal
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import torch

import microgrid
import microgrid.io
from microgrid import (
    MLP,
    GradcheckError,
    Layer,
    Neuron,
    Value,
    backprop,
    data,
    gradcheck,
    losses,
    optim,
)

NON_REAL = {
    "str": "1.0",
    "None": None,
    "list": [1.0],
    "complex": 1 + 2j,
    "dict": {"x": 1},
}
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# ============================================================================ engine: data
@pytest.mark.parametrize("bad", NON_REAL.values(), ids=NON_REAL.keys())
def test_value_of_non_real_data_is_a_type_error_naming_the_type(bad):
    pattern = f"Value\\(\\): expected a real number.*{type(bad).__name__}"
    with pytest.raises(TypeError, match=pattern):
        Value(bad)


def test_value_of_a_numpy_array_is_a_type_error_naming_ndarray():
    with pytest.raises(TypeError, match="ndarray"):
        Value(np.array([1.0, 2.0]))


def test_value_of_numpy_scalars_is_stored_as_float():
    assert [Value(v).data for v in (np.float32(0.5), np.int64(3))] == [0.5, 3.0]
    assert all(type(Value(v).data) is float for v in (np.float32(0.5), np.int64(3)))


# The one rule for a number (ops.check_real): a finite real, never a bool.  Each entrance that
# takes a number says so in its own words; the closed form restates the rule (it imports no
# engine), optim and io check it themselves.
BOOL_ENTRANCES = {
    "Value()": (lambda: Value(True), TypeError, "got bool True"),
    "operand": (lambda: Value(1.0) + True, TypeError, "got bool True"),
    "op on numbers": (lambda: microgrid.exp(False), TypeError, "got bool False"),
    "backward(grad)": (lambda: Value(1.0).backward(True), TypeError, "got bool True"),
    "dot": (lambda: microgrid.dot([Value(1.0)], [True]), TypeError, "got bool True"),
    "load_weights": (lambda: MLP(1, [1], seed=0).load_weights([[[True]]], [[0.0]]),
                     TypeError, "got bool True"),
    "losses target": (lambda: losses.quadratic([Value(1.0)], [True]), TypeError, "got bool"),
    "backprop x": (lambda: backprop.backprop([[[1.0]]], [[0.0]], x=[True], y=[1.0]), TypeError,
                   "got bool True"),
    "backprop W": (lambda: backprop.backprop([[[False]]], [[0.0]], x=[1.0], y=[1.0]), TypeError,
                   "got bool False"),
    "optim lr": (lambda: optim.SGD([Value(1.0)], lr=True), TypeError, "got bool True"),
    "optim momentum": (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=False), TypeError,
                       "got bool False"),
}


@pytest.mark.parametrize("entrance", BOOL_ENTRANCES.values(), ids=BOOL_ENTRANCES.keys())
def test_a_bool_is_not_a_number_at_any_entrance(entrance):
    call, error, message = entrance
    with pytest.raises(error, match=message):
        call()


def test_a_bool_is_not_a_number_in_a_model_file(tmp_path):
    path = tmp_path / "model.json"
    MLP(1, [1], seed=0).save(path)
    doc = json.loads(path.read_text())
    doc["weights"][0][0][0] = True
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="must be a number, got a boolean"):
        MLP.load(path)


@pytest.mark.parametrize("bad", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_value_of_nan_or_inf_is_rejected_with_a_value_error(bad):
    with pytest.raises(ValueError, match="finite real numbers"):
        Value(bad)


def test_value_of_an_int_too_large_for_a_float_is_an_overflow_error():
    with pytest.raises(OverflowError, match=r"Value\(\): 1000.* is too large for a float"):
        Value(10**400)


def test_value_label_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


@pytest.mark.parametrize("bad", NON_REAL.values(), ids=NON_REAL.keys())
def test_non_real_operand_on_either_side_is_a_type_error(bad):
    x = Value(1.0)
    with pytest.raises(TypeError, match="operand: expected a real number"):
        x + bad
    with pytest.raises(TypeError, match="operand: expected a real number"):
        bad * x


@pytest.mark.parametrize("bad", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_nan_or_inf_operand_or_exponent_is_rejected_with_a_value_error(bad):
    x = Value(2.0)
    for op in (lambda: x + bad, lambda: bad - x, lambda: x * bad, lambda: x / bad,
               lambda: x**bad):
        with pytest.raises(ValueError, match="finite real numbers"):
            op()


@pytest.mark.parametrize("bad", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_backward_with_a_non_finite_seed_gradient_is_a_value_error(bad):
    with pytest.raises(ValueError, match="backward\\(grad\\)"):
        (Value(1.0) * 2).backward(bad)


def test_backward_with_a_non_real_seed_gradient_is_a_type_error():
    with pytest.raises(TypeError, match="backward\\(grad\\)"):
        (Value(1.0) * 2).backward("1")


# ============================================================================ engine: domains
@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_a_non_positive_number_is_a_value_error(x):
    with pytest.raises(ValueError, match=r"log\(.*defined only for x > 0"):
        Value(x).log()


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_sqrt_of_a_non_positive_number_is_a_value_error(x):
    with pytest.raises(ValueError, match=r"sqrt\(.*only for x > 0"):
        Value(x).sqrt()


@pytest.mark.parametrize(
    "divide",
    [lambda: Value(1.0) / 0, lambda: Value(1.0) / Value(0.0), lambda: 1 / Value(0.0)],
    ids=["by-number", "by-value", "number-by-value"],
)
def test_division_by_zero_is_a_zero_division_error(divide):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        divide()


def test_negative_base_to_a_non_integer_power_is_a_value_error():
    with pytest.raises(ValueError, match="not real"):
        Value(-2.0) ** 0.5


def test_negative_base_to_an_integer_power_is_allowed():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


@pytest.mark.parametrize("n", [-1.0, -2.5, 0.5])
def test_zero_to_a_power_below_one_is_a_zero_division_error(n):
    with pytest.raises(ZeroDivisionError, match="infinite derivative"):
        Value(0.0) ** n


def test_zero_to_the_power_zero_is_one_with_gradient_zero():
    x = Value(0.0)
    y = x**0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)


@pytest.mark.parametrize("f", ["relu", "abs"])
def test_relu_and_abs_at_exactly_zero_have_gradient_zero_as_in_pytorch(f):
    x = Value(0.0)
    y = getattr(x, f)()
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)


@pytest.mark.parametrize("base", [0.0, -1.0])
def test_value_exponent_with_a_non_positive_base_is_a_value_error(base):
    with pytest.raises(ValueError, match="base > 0"):
        Value(base) ** Value(2.0)
    with pytest.raises(ValueError, match="base > 0"):
        base ** Value(2.0)


# ============================================================================ engine: overflow
def test_exp_overflow_is_an_overflow_error():
    with pytest.raises(OverflowError, match=r"exp\(710.0\) overflows"):
        Value(710.0).exp()


def test_exp_underflow_is_zero_with_zero_gradient():
    x = Value(-1e6)
    y = x.exp()
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)


@pytest.mark.parametrize(
    "power",
    [
        lambda: Value(10.0) ** 400,
        lambda: Value(1e-200) ** -2,
        lambda: Value(2.0) ** Value(2000.0),
        lambda: 2 ** Value(2000.0),
    ],
    ids=["x**n", "tiny**negative", "x**Value", "number**Value"],
)
def test_power_overflow_is_an_overflow_error(power):
    with pytest.raises(OverflowError, match="overflows a float"):
        power()


@pytest.mark.parametrize(
    "overflow",
    [
        lambda: Value(1e200) * Value(1e200),
        lambda: Value(1e308) + Value(1e308),
        lambda: Value(1e200) / Value(1e-200),
        lambda: microgrid.sum([Value(1e308), Value(1e308)]),
        lambda: microgrid.dot([Value(1e200)], [Value(1e200)]),
        lambda: (Value(1e200) * Value(1e200)) - (Value(1e200) * Value(1e200)),  # inf − inf = nan
    ],
    ids=["mul", "add", "div", "sum", "dot", "inf-minus-inf"],
)
def test_float_overflow_at_the_root_makes_backward_refuse(overflow):
    root = overflow()
    assert not math.isfinite(root.data)  # documented: + − * / sum dot follow IEEE floats ...
    with pytest.raises(ValueError, match="forward pass overflowed"):
        root.backward()  # ... and backward() refuses to spread the inf/NaN into gradients


@pytest.mark.parametrize("squash", ["tanh", "sigmoid", "relu"])
def test_an_overflow_hidden_by_a_saturating_function_gives_the_true_zero_gradient(squash):
    # (a·a)·w overflows to −inf, then tanh/σ/relu turn it back into a finite root whose local
    # gradient is 0; a naive chain rule then multiplies 0 by w's local gradient inf → NaN
    # (PyTorch does).  The true gradients are 0 in floating point: |∂root/∂w| = a²·σ'(−2a²)
    # ≤ a²·e^(−2a²) and |∂root/∂a| ≤ 4a·e^(−2a²) (tanh: a factor 4 more) underflow to 0.0.
    a, w = Value(1e200), Value(-2.0)
    root = getattr((a * a) * w, squash)()
    root.backward()
    assert root.data == {"tanh": -1.0, "sigmoid": 0.0, "relu": 0.0}[squash]
    assert (a.grad, w.grad) == (0.0, 0.0)


@pytest.mark.parametrize(
    "f, x, expected, expected_grad",
    [  # the closed forms: σ' = σ(1 − σ), tanh' = 1 − tanh², softplus' = σ
        ("sigmoid", 1e300, 1.0, 0.0),
        ("sigmoid", -1e300, 0.0, 0.0),
        ("tanh", 1e300, 1.0, 0.0),
        ("tanh", -1e300, -1.0, 0.0),
        ("softplus", -1e300, 0.0, 0.0),
        ("softplus", 1e300, 1e300, 1.0),
    ],
)
def test_saturating_functions_at_huge_inputs_give_the_right_values_and_gradients(
    f, x, expected, expected_grad
):
    v = Value(x)
    y = getattr(v, f)()
    y.backward()
    assert y.data == expected
    assert v.grad == expected_grad
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)  # and PyTorch agrees
    y_t = torch.nn.functional.softplus(t) if f == "softplus" else getattr(torch, f)(t)
    y_t.backward()
    assert (y_t.item(), t.grad.item()) == (expected, expected_grad)


# ============================================================================ engine: n-ary
def test_sum_of_nothing_is_a_value_error():
    with pytest.raises(ValueError, match="got no values"):
        microgrid.sum([])


def test_sum_of_a_non_real_item_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        microgrid.sum([Value(1.0), "2"])


def test_dot_with_different_lengths_is_a_value_error_with_both_lengths():
    with pytest.raises(ValueError, match="2 weights but 1 inputs"):
        microgrid.dot([Value(1.0), Value(2.0)], [Value(3.0)])


def test_backward_on_a_leaf_gives_it_gradient_one():
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0


# ============================================================================ nn
def test_mlp_input_of_the_wrong_length_is_a_value_error_with_both_sizes():
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "change", [lambda w: w.append(Value(1.0)), lambda w: w.pop()], ids=["one more", "one fewer"]
)
def test_a_neuron_whose_weights_no_longer_match_its_inputs_is_named(change):
    # the z node's tuples must line up with the layer's inputs, or zip would sum them short
    mlp = MLP(2, [3, 1], seed=0)
    mlp([1.0, 2.0])
    change(mlp.layers[1].neurons[0].w)
    n = len(mlp.layers[1].neurons[0].w)
    with pytest.raises(ValueError, match=rf"neuron 1 has {n} weights for 3 inputs"):
        mlp([1.0, 2.0])


def test_a_neuron_run_on_another_number_of_inputs_is_a_value_error():
    n = Neuron(2, seed=0)
    xs = (Value(1.0), Value(2.0))
    n.forward(xs)
    with pytest.raises(ValueError, match=r"Neuron expects 2 inputs, got 3"):
        n.forward((*xs, Value(3.0)))
    with pytest.raises(ValueError, match=r"Neuron expects 2 inputs, got 1"):
        n.forward(xs[:1])


def test_a_neuron_added_to_a_layer_of_an_mlp_is_a_value_error_in_the_next_layer():
    mlp = MLP(2, [3, 1], seed=0)
    mlp.layers[0].neurons.append(Neuron(2, seed=1))
    with pytest.raises(ValueError, match="Layer expects 3 inputs, got 4"):
        mlp([1.0, 2.0])


def test_mlp_input_that_is_not_a_sequence_is_a_value_error():
    with pytest.raises(ValueError, match="sequence of 2 numbers, got float"):
        MLP(2, [1], seed=0)(1.5)


@pytest.mark.parametrize("bad", [None, "a", [1.0]], ids=["None", "str", "list"])
def test_mlp_input_with_a_non_real_item_is_a_type_error(bad):
    with pytest.raises(TypeError, match="MLP input"):
        MLP(2, [1], seed=0)([1.0, bad])


@pytest.mark.parametrize("bad", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_mlp_input_with_nan_or_inf_is_a_value_error(bad):
    with pytest.raises(ValueError, match="MLP input: got"):
        MLP(2, [1], seed=0)([1.0, bad])


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [1], activation="softmax"),
        lambda: MLP(2, [1], output_activation="Sigmoid"),
        lambda: Layer(2, 1, activation=None),
        lambda: Neuron(2, activation="gelu"),
    ],
    ids=["MLP-activation", "MLP-output_activation", "Layer", "Neuron"],
)
def test_unknown_activation_is_a_value_error_listing_the_valid_ones(make):
    with pytest.raises(ValueError, match="unknown activation.*'sigmoid', 'tanh', 'relu', 'linear'"):
        make()


@pytest.mark.parametrize(
    "nin, nouts",
    [(0, [1]), (2.0, [1]), (True, [1]), (2, []), (2, [0]), (2, [-1]), (2, [1.5])],
    ids=["nin-0", "nin-float", "nin-bool", "no-layers", "layer-0", "layer-negative",
         "layer-float"],
)
def test_mlp_sizes_that_are_not_positive_ints_are_value_errors(nin, nouts):
    with pytest.raises(ValueError, match="must (be a positive int|list at least one)"):
        MLP(nin, nouts)


def test_mlp_nouts_given_as_a_bare_int_is_an_error_naming_nouts():
    with pytest.raises((TypeError, ValueError), match="nouts"):
        MLP(2, 3)


def test_seed_and_rng_together_is_a_value_error():
    with pytest.raises(ValueError, match="either seed= or rng="):
        MLP(2, [1], seed=0, rng=random.Random(0))


def test_rng_that_is_not_a_random_instance_is_a_type_error():
    with pytest.raises(TypeError, match="rng must be a random.Random"):
        MLP(2, [1], rng=0)


def _mlp():
    m = MLP(2, [3, 1], seed=0)
    return m, m.weights(), m.biases()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda W, B: (W[:1], B), "W: expected 2 layers, got 1"),
        (lambda W, B: ([W[0][:2], W[1]], B), r"W\[0\]: expected 3 rows \(neurons\), got 2"),
        (lambda W, B: ([W[0], [[0.1, 0.2, 0.3, 0.4]]], B), r"W\[1\]\[0\]: expected 3 weights"),
        (lambda W, B: (W, [B[0], [0.0, 0.0]]), r"B\[1\]: expected 1 biases, got 2"),
        (lambda W, B: (None, B), "W: expected a sequence of 2 layers, got NoneType"),
        (lambda W, B: ([[1.0, 2.0, 3.0], W[1]], B), r"W\[0\]\[0\]: expected a sequence"),
        (lambda W, B: (W, [B[0], [math.nan]]), r"B\[1\]\[0\]: got nan"),
    ],
    ids=["layers", "rows", "columns", "biases", "None", "flat-row", "nan"],
)
def test_load_weights_with_the_wrong_shape_or_values_is_a_value_error_naming_the_place(
    edit, message
):
    m, W, B = _mlp()
    with pytest.raises(ValueError, match=message):
        m.load_weights(*edit(W, B))


def test_load_weights_with_a_non_real_weight_is_a_type_error_naming_the_place():
    m, W, B = _mlp()
    W[1][0][2] = "0.5"
    with pytest.raises(TypeError, match=r"W\[1\]\[0\]: expected a real number"):
        m.load_weights(W, B)


def test_load_weights_that_fails_leaves_every_weight_unchanged():
    m, W, B = _mlp()
    bad = [[[9.0, 9.0]] * 3, [[9.0, 9.0, 9.0]]]  # the first layer is fine, the second is not
    with pytest.raises(ValueError):
        m.load_weights(bad, [[9.0] * 3, [9.0, 9.0]])
    assert (m.weights(), m.biases()) == (W, B)


# ============================================================================ gradcheck
def test_gradcheck_of_something_not_callable_is_a_type_error():
    with pytest.raises(TypeError, match="f must be callable"):
        gradcheck(3.0, [1.0])


def test_gradcheck_of_a_function_not_returning_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda x: 2.0, [1.0])


def test_gradcheck_with_no_inputs_or_a_repeated_input_is_a_value_error():
    with pytest.raises(ValueError, match="no inputs"):
        gradcheck(lambda: Value(1.0), [])
    x = Value(1.0)
    with pytest.raises(ValueError, match="appears twice"):
        gradcheck(lambda a, b: a * b, [x, x])


def test_gradcheck_of_a_wrong_gradient_names_the_input():
    def wrong(x):  # data of x³ but the local gradient of x²
        out = x**2
        out.data = x.data**3
        return out

    with pytest.raises(GradcheckError, match=r"input 0 \(x0 = 1.5\)"):
        gradcheck(wrong, [1.5])


# ======================================================================= backprop (closed form)
W23 = [[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3]]]  # a 2-3-1 network
B23 = [[0.0, 0.0, 0.0], [0.0]]


@pytest.mark.parametrize(
    "W, B, x, y, message",
    [
        (W23, B23, [1.0], [1.0], r"layer 2: W\[0\]\[0\] has 2 weights, expected 1"),
        (W23, B23, [1.0, 2.0], [1.0, 0.0], "y: expected 1 targets"),
        (W23, B23[:1], [1.0, 2.0], [1.0], "B: expected 2 layers of biases"),
        (W23, [[0.0, 0.0], [0.0]], [1.0, 2.0], [1.0], r"layer 2: B\[0\] has 2 biases, expected 3"),
        ([W23[0], [[0.1, 0.2]]], B23, [1.0, 2.0], [1.0], r"layer 3: W\[1\]\[0\] has 2 weights"),
        ([], [], [1.0, 2.0], [1.0], "W: expected at least one layer"),
        (W23, B23, "ab", [1.0], "x: expected a sequence, got str"),
    ],
    ids=["x", "y", "B-layers", "B-row", "W-row", "W-empty", "x-str"],
)
def test_backprop_shape_mismatch_is_a_value_error_naming_the_layer(W, B, x, y, message):
    with pytest.raises(ValueError, match=message):
        backprop.backprop(W, B, x, y)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "softmax"}, "unknown activation 'softmax'; valid activations are"),
        ({"output_activation": "x"}, r"unknown activation 'x'.*\(output_activation\)"),
        ({"cost": "mse"}, "unknown cost 'mse'; valid costs are 'quadratic', 'cross_entropy'"),
    ],
    ids=["activation", "output_activation", "cost"],
)
def test_backprop_unknown_name_is_a_value_error_listing_the_valid_ones(kwargs, message):
    with pytest.raises(ValueError, match=message):
        backprop.backprop(W23, B23, [1.0, 2.0], [1.0], **kwargs)


def test_backprop_non_finite_or_non_real_numbers_are_rejected_naming_the_place():
    with pytest.raises(ValueError, match=r"x\[1\]: got nan"):
        backprop.backprop(W23, B23, [1.0, math.nan], [1.0])
    with pytest.raises(TypeError, match=r"W\[1\]\[0\]\[2\]: expected a real number, got str"):
        backprop.backprop([W23[0], [[0.1, 0.2, "0.3"]]], B23, [1.0, 2.0], [1.0])


def test_backprop_forward_overflow_is_a_value_error_naming_the_layer():
    W = [[[1e300, 1e300], [0.0, 0.0], [0.0, 0.0]], W23[1]]
    with pytest.raises(ValueError, match="layer 2: the forward pass overflowed"):
        backprop.backprop(W, B23, [1e10, 1.0], [1.0])


def test_backprop_cross_entropy_target_outside_0_1_is_a_value_error():
    with pytest.raises(ValueError, match=r"target y_1 = 2.0; binary targets must be in \[0, 1\]"):
        backprop.backprop(W23, B23, [1.0, 2.0], [2.0], cost="cross_entropy")


def test_backprop_batch_with_unequal_inputs_and_targets_is_a_value_error():
    with pytest.raises(ValueError, match="1 inputs but 2 targets"):
        backprop.backprop_batch(W23, B23, [[1.0, 2.0]], [[1.0], [0.0]])
    with pytest.raises(ValueError, match="example 1: layer 2"):
        backprop.backprop_batch(W23, B23, [[1.0, 2.0], [1.0]], [[1.0], [0.0]])


def test_explain_of_a_position_outside_the_network_is_a_value_error_with_the_range():
    r = backprop.backprop(W23, B23, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"layer = 5 is not a layer of this network.*2 … 3"):
        backprop.explain(r, 5, 1)
    with pytest.raises(ValueError, match=r"k = 9 is not a neuron of layer 1"):
        backprop.explain(r, 2, 1, 9)


# ============================================================================ losses
OUT2 = [0.3, 0.6]


@pytest.mark.parametrize(
    "loss, outputs, targets, message",
    [
        ("quadratic", OUT2, [1.0], "quadratic: 2 outputs but 1 targets"),
        ("quadratic", [[0.3], [0.6]], [1.0, 0.0], "quadratic: outputs have shape rows of sizes"),
        ("mse", OUT2, [1.0, 0.0, 1.0], "mse: 2 outputs but 3 targets"),
        ("binary_cross_entropy", OUT2, [1.0], "binary_cross_entropy: 2 outputs but 1 targets"),
        ("hinge", OUT2, [1.0, 1.0, -1.0], "hinge: 2 outputs but 3 targets"),
    ],
    ids=["quadratic", "quadratic-rows", "mse", "binary_cross_entropy", "hinge"],
)
def test_loss_with_outputs_and_targets_of_different_sizes_is_a_value_error(
    loss, outputs, targets, message
):
    with pytest.raises(ValueError, match=message):
        getattr(losses, loss)(outputs, targets)


def test_loss_of_no_outputs_is_a_value_error():
    with pytest.raises(ValueError, match="quadratic: got no outputs"):
        losses.quadratic([], [])


def test_loss_target_that_is_not_a_finite_real_number_is_rejected():
    with pytest.raises(TypeError, match=r"quadratic: targets\[0\]: expected a real number"):
        losses.quadratic(OUT2, ["1", 0.0])
    with pytest.raises(ValueError, match=r"mse: targets\[0\]: got nan"):
        losses.mse(OUT2, [math.nan, 0.0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: losses.binary_cross_entropy([Value(1.5)], [1]), r"probability \[0\] is 1.5"),
        (lambda: losses.binary_cross_entropy([Value(0.0)], [1]), "loss is infinite"),
        (lambda: losses.binary_cross_entropy([Value(0.5)], [2]), r"labels must lie in \[0, 1\]"),
        (lambda: losses.binary_cross_entropy_with_logits([Value(1.0)], [-1]), r"in \[0, 1\]"),
        (lambda: losses.hinge([Value(1.0)], [2]), r"labels must be −1/\+1"),
        (lambda: losses.hinge([Value(1.0), Value(2.0)], [0, -1]), "labels mix 0 and −1"),
        (lambda: losses.softmax_cross_entropy([[1.0, 2.0]], [2]), "class index must be an int"),
        (lambda: losses.softmax_cross_entropy([[1.0, 2.0]], [1.0]), "class index must be an int"),
        (lambda: losses.softmax_cross_entropy([[1.0]], [0]), "need at least 2 classes"),
    ],
    ids=["bce-p-above-1", "bce-p-exactly-0", "bce-label-2", "bce-logits-label-minus-1",
         "hinge-label-2", "hinge-mixed-labels", "softmax-class-out-of-range",
         "softmax-class-float", "softmax-one-class"],
)
def test_loss_label_or_probability_outside_its_domain_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "logits, targets, message",
    [
        ([[1.0, 2.0], [1.0, 2.0, 3.0]], [0, 1], "logits.0. has 2 classes but logits.1. has 3"),
        ([[1.0, 2.0]], [0, 1], "1 rows of logits but 2 targets"),
        ([1.0, 2.0], [0, 1], r"logits\[0\] must be a list of K class scores"),
    ],
    ids=["ragged", "count", "flat"],
)
def test_softmax_cross_entropy_shape_mismatch_is_a_value_error(logits, targets, message):
    with pytest.raises(ValueError, match=message):
        losses.softmax_cross_entropy(logits, targets)


@pytest.mark.parametrize(
    "loss_of, scores, expected, expected_grads",
    [  # ∂/∂s of softplus(s) − y·s is σ(s) − y; of −ln softmax(s)[c] it is softmax(s) − onehot(c)
        (lambda s: losses.binary_cross_entropy_with_logits(s, [1]), [1e300], 0.0, [0.0]),
        (lambda s: losses.binary_cross_entropy_with_logits(s, [1]), [-1e300], 1e300, [-1.0]),
        (lambda s: losses.softmax_cross_entropy([s], [1]), [1e300, -1e300], 2e300, [1.0, -1.0]),
        (lambda s: losses.softmax_cross_entropy([s], [0]), [1000.0, 0.0], 0.0, [0.0, 0.0]),
    ],
    ids=["bce-logits-huge-right", "bce-logits-huge-wrong", "softmax-huge-wrong",
         "softmax-large-right"],
)
def test_stable_losses_at_huge_scores_give_the_right_value_and_gradients(
    loss_of, scores, expected, expected_grads
):
    s = [Value(x) for x in scores]
    loss = loss_of(s)
    loss.backward()
    assert loss.data == pytest.approx(expected)
    assert [v.grad for v in s] == pytest.approx(expected_grads, abs=1e-300)


def test_unknown_loss_name_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="huber"):
        losses.huber  # noqa: B018


# ============================================================================ optimizers
def _params():
    return MLP(2, [1], seed=0).parameters()


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: optim.SGD([]), ValueError, "empty parameter list"),
        (lambda p: optim.SGD(p[0]), TypeError, "got one Value"),
        (lambda p: optim.SGD([p[0], p[0]]), ValueError, "appears more than once"),
        (lambda p: optim.SGD([1.0]), TypeError, r"params\[0\] is float, not a Value"),
        (lambda p: optim.SGD(p, lr=-1), ValueError, "lr must be > 0"),
        (lambda p: optim.SGD(p, lr=math.nan), ValueError, "lr must be finite"),
        (lambda p: optim.SGD(p, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
        (lambda p: optim.Adam(p, betas=(0.9,)), ValueError, "betas must be a pair"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in"),
    ],
    ids=["empty", "one-value", "duplicate", "not-values", "negative-lr", "nan-lr",
         "momentum-1", "one-beta", "beta-1"],
)
def test_optimizer_with_bad_parameters_or_hyperparameters_is_an_error(make, error, message):
    with pytest.raises(error, match=message):
        make(_params())


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_optimizer_step_with_a_nan_gradient_raises_and_changes_nothing(opt):
    p = _params()
    before = [q.data for q in p]
    o = getattr(optim, opt)(p)
    p[1].grad = math.nan
    with pytest.raises(ValueError, match=r"params\[1\] .* has gradient nan"):
        o.step()
    assert [q.data for q in p] == before


def test_sgd_step_that_would_overflow_raises_and_changes_nothing():
    p = _params()
    before = [q.data for q in p]
    o = optim.SGD(p, lr=1e300)
    p[0].grad = -1e300
    with pytest.raises(ValueError, match="learning rate is probably too large"):
        o.step()
    assert [q.data for q in p] == before


# ============================================================================ data
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.make_moons(1), "n must be an int ≥ 2"),
        (lambda: data.make_moons(10, noise=-1), "noise must be a finite number ≥ 0"),
        (lambda: data.make_moons(10, noise=math.nan), "noise must be a finite number ≥ 0"),
        (lambda: data.make_xor(10, seed="a"), "seed must be an int or None"),
        (lambda: data.make_circles(10, factor=2), r"factor must be a number in \(0, 1\)"),
        (lambda: data.make_blobs(10, k=0), "k must be an int in 1..n"),
        (lambda: data.make_blobs(10, radius=0), "radius must be a number > 0"),
    ],
    ids=["n-1", "negative-noise", "nan-noise", "seed-str", "circles-factor", "blobs-k-0",
         "blobs-radius-0"],
)
def test_dataset_with_bad_arguments_is_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ============================================================================ model files
@pytest.fixture
def model_file(tmp_path):
    """A good model file, and the model it holds."""
    mlp = MLP(2, [3, 1], seed=0)
    path = tmp_path / "model.json"
    mlp.save(str(path))
    return path, mlp


def _edited(path, edit) -> str:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return str(path)


def _replace_first_weight(path, text: str) -> str:
    doc = json.loads(path.read_text())
    first = json.dumps(doc["weights"][0][0][0])
    path.write_text(path.read_text().replace(first, text, 1))
    return str(path)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda p: p.write_text(p.read_text()[:50]), "not valid JSON .truncated or corrupted"),
        (lambda p: p.write_text(""), "not valid JSON .truncated or corrupted"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "not UTF-8 text"),
        (lambda p: p.write_text("[1, 2]"), "expected a JSON object at the top level, got an array"),
        (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "JSON nested too deeply"),
        (lambda p: p.write_text('{"a":' * 100_000 + "1" + "}" * 100_000), "nested too deeply"),
    ],
    ids=["truncated", "empty", "not-utf8", "not-an-object", "deep-arrays", "deep-objects"],
)
def test_corrupted_model_file_is_a_value_error_saying_what_is_wrong(model_file, corrupt, message):
    path, _ = model_file
    corrupt(path)
    with pytest.raises(ValueError, match=message):
        MLP.load(str(path))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(format="pickle"), "not a microgrid model: 'format' is 'pickle'"),
        (lambda d: d.update(version=2), "unsupported version 2; this microgrid reads version 1"),
        (lambda d: d.update(version="1"), "unsupported version '1'"),
        (lambda d: d.pop("weights"), "missing field 'weights'"),
        (lambda d: d.update(weights="abc"), "weights must be an array, got a string"),
        (lambda d: d["weights"][0][0].__setitem__(0, None), r"weights\[0\]\[0\]\[0\] must be a "
         "number, got null"),
        (lambda d: d["weights"][0][0].__setitem__(0, "0.5"), "must be a number, got a string"),
        (lambda d: d["weights"][0][0].__setitem__(0, True), "must be a number, got a boolean"),
        (lambda d: d["architecture"].update(nouts="3,1"), "nouts must be an array, got a string"),
        (lambda d: d["architecture"].update(nouts=[0, 1]), r"nouts\[0\] must be a positive int"),
        (lambda d: d["architecture"].update(activation="gelu"), "activation is 'gelu'; valid"),
        (lambda d: d["weights"][0].append([0, 0]), r"weights\[0\] has 4 rows .*needs 3"),
        (lambda d: d["weights"][1][0].pop(), r"weights\[1\]\[0\] has 2 weights .*needs 3"),
        (lambda d: d.update(metadata=[1]), "metadata must be a JSON object, got an array"),
    ],
    ids=["format", "version-2", "version-str", "missing-field", "weights-str", "weight-null",
         "weight-str", "weight-bool", "nouts-str", "nouts-0", "unknown-activation",
         "extra-row", "short-row", "metadata-array"],
)
def test_wrong_version_or_wrong_types_in_a_model_file_is_a_value_error(model_file, edit, message):
    path, _ = model_file
    with pytest.raises(ValueError, match=message):
        MLP.load(_edited(path, edit))


@pytest.mark.parametrize(
    "number, message",
    [("NaN", "NaN is not a valid number"), ("1e999", "is inf; weights must be finite"),
     ("9" * 5000, "not a valid model file")],
    ids=["NaN", "1e999", "5000-digit-int"],
)
def test_non_finite_or_absurd_numbers_in_a_model_file_are_a_value_error(model_file, number,
                                                                        message):
    path, _ = model_file
    with pytest.raises(ValueError, match=message):
        MLP.load(_replace_first_weight(path, number))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["architecture"].update(nin=10**12), "but the architecture needs 10{12}"),
        (lambda d: d["architecture"].update(nouts=[10**9, 1]), "the architecture needs 10{9}"),
    ],
    ids=["nin-1e12", "layer-1e9"],
)
def test_model_file_claiming_huge_sizes_is_refused_before_allocating(model_file, edit, message):
    path, _ = model_file
    good_peak = _peak_memory(MLP.load, str(path))
    bad = _edited(path, edit)
    with pytest.raises(ValueError, match=message):
        MLP.load(bad)
    bad_peak = _peak_memory(MLP.load, bad)
    assert bad_peak < good_peak + 1024 * 1024  # no more than loading the real thing


def _peak_memory(f, *args) -> int:
    """Peak bytes allocated while f(*args) runs (a ValueError from it is fine)."""
    tracemalloc.start()
    try:
        try:
            f(*args)
        except ValueError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_loading_a_small_model_file_needs_memory_in_proportion_to_its_size(model_file):
    path, _ = model_file
    assert path.stat().st_size < 1024
    assert _peak_memory(MLP.load, str(path)) < 1024 * 1024


def test_model_file_larger_than_the_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(microgrid.io.MAX_BYTES + 1)  # sparse: no disk space, no time
    with pytest.raises(ValueError, match="more than the limit"):
        MLP.load(str(path))


def test_missing_model_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP.load(str(tmp_path / "nope.json"))


def _files(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_saving_a_model_with_nan_weights_is_a_value_error_and_keeps_the_old_file(model_file):
    path, old = model_file
    before = path.read_bytes()
    broken = MLP(2, [3, 1], seed=5)
    broken.parameters()[0].data = math.nan  # only possible by writing .data directly
    with pytest.raises(ValueError, match="cannot be saved"):
        broken.save(str(path))
    assert path.read_bytes() == before
    assert _files(path.parent) == ["model.json"]


def test_saving_unserialisable_metadata_is_a_type_error_and_keeps_the_old_file(model_file):
    path, old = model_file
    before = path.read_bytes()
    with pytest.raises(TypeError, match="metadata is not JSON-serialisable"):
        old.save(str(path), metadata={"when": object()})
    assert path.read_bytes() == before
    assert _files(path.parent) == ["model.json"]


_SAVE_UNDER_A_FILE_SIZE_LIMIT = """
import resource, signal, sys
from microgrid import MLP
big = MLP(2, [64, 64, 1], seed=1)  # ~90 KB of JSON
# Crossing the limit sends SIGXFSZ: by default it kills the process on the spot; ignored (as
# Python does at start-up), the write fails with EFBIG instead.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL if sys.argv[2] == "kill" else signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # no file may grow past 4 KB
big.save(sys.argv[1])
"""


# The file-size limit (RLIMIT_FSIZE, SIGXFSZ) exists only on POSIX systems.
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX resource limits")


def _save_interrupted(path, how: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _SAVE_UNDER_A_FILE_SIZE_LIMIT, str(path), how],
        cwd=path.parent, capture_output=True, text=True, timeout=60,
    )


@posix_only
def test_a_save_killed_half_way_leaves_the_old_file_intact(model_file):
    path, old = model_file
    done = _save_interrupted(path, "kill")
    assert done.returncode == -signal.SIGXFSZ  # the process died in the middle of the write
    assert MLP.load(str(path)).weights() == old.weights()


@posix_only
def test_a_save_failing_half_way_leaves_the_old_file_intact_and_no_temporary_file(model_file):
    path, old = model_file
    done = _save_interrupted(path, "error")
    assert done.returncode == 1 and "File too large" in done.stderr
    assert MLP.load(str(path)).weights() == old.weights()
    assert _files(path.parent) == ["model.json"]


# ============================================================================ drawing
def test_drawing_a_graph_past_max_nodes_is_a_value_error_suggesting_a_sub_graph():
    root = microgrid.sum([Value(float(i)) * Value(2.0) for i in range(10)])
    with pytest.raises(ValueError, match=r"31 values, more than max_nodes=30.*sub-graph.*"
                       r"max_nodes=31"):
        microgrid.draw_dot(root, max_nodes=30)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True], ids=["0", "negative", "float", "bool"])
def test_drawing_with_a_bad_max_nodes_is_a_value_error(bad):
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
        microgrid.draw_dot(Value(1.0) * 2, max_nodes=bad)


def test_drawing_something_that_is_not_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="root must be a microgrid Value, got float"):
        microgrid.draw_dot(3.0)


HOSTILE_LABEL = '</TD>"];evil [label="x" shape=box]; a -> b <B>&amp;\\ \n'


def _hostile_graph():
    x = Value(1.0, label='a"b<c>&d\\e]{}|')
    y = (x * 2).tanh()
    y.label = HOSTILE_LABEL
    return y


def test_labels_with_dot_and_html_metacharacters_are_escaped_in_the_dot_source():
    source = microgrid.draw_dot(_hostile_graph()).source
    assert "evil" in source  # the text is there ...
    for raw in ('"];evil', "<c>", "</TD>\"", "&d"):
        assert raw not in source  # ... but never as live DOT or HTML
    assert "&lt;/TD&gt;&quot;];evil" in source
    assert "&amp;amp;" in source  # a literal "&amp;" in a label shows as "&amp;", not "&"


def test_labels_with_dot_and_html_metacharacters_cannot_add_nodes_to_the_rendered_graph():
    if shutil.which("dot") is None:
        pytest.skip("needs the Graphviz dot program (CI installs it)")
    drawing = microgrid.draw_dot(_hostile_graph())
    declared = set(re.findall(r"^\t(v\d+(?:_op)?) \[", drawing.source, re.M))
    rendered = {o["name"] for o in json.loads(drawing.pipe(format="json"))["objects"]}
    assert declared == {"v0", "v1", "v1_op", "v2", "v2_op"}
    assert rendered == declared


# ============================================================================ PyTorch bridge
@pytest.mark.parametrize(
    "layers, message",
    [
        (lambda nn: [nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1)], "module 1 is GELU; only"),
        (lambda nn: [nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)], "Linear 1 takes 4 inputs"),
        (lambda nn: [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)],
         "hidden layers use different activations"),
        (lambda nn: [], "has no Linear layer"),
    ],
    ids=["unsupported-module", "size-mismatch", "mixed-activations", "empty"],
)
def test_from_torch_of_a_network_microgrid_cannot_hold_is_a_value_error(layers, message):
    from microgrid.torch_bridge import from_torch

    with pytest.raises(ValueError, match=message):
        from_torch(torch.nn.Sequential(*layers(torch.nn)))


def test_from_torch_with_a_nan_weight_is_a_value_error():
    from microgrid.torch_bridge import from_torch

    linear = torch.nn.Linear(2, 1)
    with torch.no_grad():
        linear.weight[0, 0] = math.nan
    with pytest.raises(ValueError, match=r"W\[0\]\[0\]: got nan"):
        from_torch(torch.nn.Sequential(linear))


def test_to_torch_of_something_that_is_not_an_mlp_is_a_type_error():
    from microgrid.torch_bridge import to_torch

    with pytest.raises(TypeError, match="expected a microgrid MLP, got str"):
        to_torch("mlp")


# ============================================================================ command line
@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--loss", "huber"], "argument --loss: invalid choice: 'huber'"),
        (["train", "--dataset", "spirals"], "argument --dataset: invalid choice: 'spirals'"),
        (["train", "--activation", "gelu"], "argument --activation: invalid choice: 'gelu'"),
        (["train", "--hidden", "16,x"], "expected comma-separated layer sizes"),
    ],
    ids=["loss", "dataset", "activation", "hidden"],
)
def test_command_line_unknown_name_exits_2_with_a_message_listing_the_choices(argv, message,
                                                                              capsys):
    from microgrid.cli.command import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert re.search(message, capsys.readouterr().err)
