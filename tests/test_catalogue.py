"""The bad-input catalogue: one test per row of README's "Reliability" table.

Every case ends in a clear exception (its type, and a message naming the problem) or in a
documented value — never a silent NaN, a hang, or a half-written file.
"""

from __future__ import annotations

import math
import random

import pytest

import microgrid
from microgrid import MLP, GradcheckError, Layer, Neuron, Value, backprop, gradcheck

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
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="ndarray"):
        Value(np.array([1.0, 2.0]))


def test_value_of_numpy_scalars_and_bools_is_stored_as_float():
    np = pytest.importorskip("numpy")
    assert [Value(v).data for v in (np.float32(0.5), np.int64(3), True)] == [0.5, 3.0, 1.0]
    assert all(type(Value(v).data) is float for v in (np.float32(0.5), np.int64(3), True))


@pytest.mark.parametrize("bad", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_value_of_nan_or_inf_is_rejected_with_a_value_error(bad):
    with pytest.raises(ValueError, match="finite real numbers"):
        Value(bad)


def test_value_of_an_int_too_large_for_a_float_is_an_overflow_error():
    with pytest.raises(OverflowError, match="too large"):
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
def test_an_overflow_hidden_by_a_saturating_function_never_gives_a_nan_gradient(squash):
    # (a·a)·w overflows to ±inf, then tanh/σ/relu turn it back into a finite root whose local
    # gradient is 0; the chain rule then multiplies 0 by w's local gradient inf → NaN.
    a, w = Value(1e200), Value(-2.0)
    try:
        root = getattr((a * a) * w, squash)()
        root.backward()
    except (OverflowError, ValueError) as e:
        assert "overflow" in str(e)
    else:
        assert math.isfinite(a.grad) and math.isfinite(w.grad), (a.grad, w.grad)


@pytest.mark.parametrize(
    "f, x, expected",
    [
        ("sigmoid", 1e300, 1.0),
        ("sigmoid", -1e300, 0.0),
        ("tanh", 1e300, 1.0),
        ("tanh", -1e300, -1.0),
        ("softplus", -1e300, 0.0),
        ("softplus", 1e300, 1e300),
    ],
)
def test_saturating_functions_at_huge_inputs_give_finite_values_and_gradients(f, x, expected):
    v = Value(x)
    y = getattr(v, f)()
    y.backward()
    assert y.data == expected
    assert math.isfinite(v.grad)


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


# ============================================================================ backprop (closed form)
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
    with pytest.raises(ValueError, match=r"layer = 5 is not a document layer.*2 … 3"):
        backprop.explain(r, 5, 1)
    with pytest.raises(ValueError, match=r"k = 9 is not a neuron of layer 1"):
        backprop.explain(r, 2, 1, 9)
