"""microgrid.backprop on its own: shapes, its numbers against finite differences and PyTorch,
`explain`, and bad input.  (Its agreement with the engine is tests/test_equations.py.)"""

from __future__ import annotations

import ast
import copy
import doctest
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import microgrid.backprop as bp
from microgrid.backprop import (
    ACTIVATIONS,
    backprop,
    backprop_batch,
    cost_gradient,
    explain,
    output_error,
    sigma,
    sigma_prime,
)
from microgrid.nn import MLP


def random_network(sizes, seed):
    rng = random.Random(seed)
    W = [
        [[rng.uniform(-1, 1) / math.sqrt(nin) for _ in range(nin)] for _ in range(nout)]
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    B = [[rng.uniform(-0.5, 0.5) for _ in range(n)] for n in sizes[1:]]
    x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
    y = [rng.uniform(0, 1) for _ in range(sizes[-1])]
    return W, B, x, y


def shape(nested):
    return [len(m) if not isinstance(m[0], list) else [len(r) for r in m] for m in nested]


# ------------------------------------------------------------------ shapes
def test_result_has_the_shapes_of_W_and_B():
    W, B, x, y = random_network([3, 5, 4, 2], seed=1)
    r = backprop(W, B, x, y)
    assert shape(r.grad_w) == shape(W)
    assert shape(r.grad_b) == shape(B)
    assert [len(d) for d in r.delta] == [len(z) for z in r.z] == [5, 4, 2]


def test_a_is_indexed_like_z_and_the_input_is_x():
    W, B, x, y = random_network([3, 5, 2], seed=2)
    r = backprop(W, B, x, y)
    assert r.x == x  # a^1
    assert [len(a) for a in r.a] == [len(z) for z in r.z] == [5, 2]
    assert r.a[1] == [sigma(z) for z in r.z[1]]  # a^3 = σ(z^3): code index i = layer i + 2
    assert r.inputs(0) == x and r.inputs(1) == r.a[0]  # a^{l-1}, what layer l reads


def test_the_closed_form_and_the_trace_agree_layer_by_layer():
    # the comparison this project exists for: trace.a[i] and result.a[i] are the same layer
    W, B, x, y = random_network([3, 5, 4, 2], seed=3)
    mlp = MLP(3, [5, 4, 2], seed=0)
    mlp.load_weights(W, B)
    t, r = mlp.trace(x), backprop(W, B, x, y)
    assert [v.data for v in t.x] == r.x
    assert len(t.a) == len(r.a) == len(t.z) == len(r.z) == 3
    for i in range(3):
        assert [v.data for v in t.a[i]] == pytest.approx(r.a[i], rel=1e-12, abs=1e-15)
        assert [v.data for v in t.z[i]] == pytest.approx(r.z[i], rel=1e-12, abs=1e-15)


def test_module_docstring_example_is_true():
    assert doctest.testmod(bp).failed == 0


# ------------------------------------------------------------------ numbers, independently
def _cost(W, B, x, y, **kw):
    return backprop(W, B, x, y, **kw).cost


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "linear"])
def test_gradients_equal_central_differences_of_the_cost(activation, cost):
    W, B, x, y = random_network([3, 4, 2], seed=3)
    kw = dict(activation=activation, cost=cost, output_activation="sigmoid")
    r = backprop(W, B, x, y, **kw)
    h = 1e-6
    for i, j, k in [(0, 0, 0), (0, 3, 2), (1, 1, 3)]:
        up, down = copy.deepcopy(W), copy.deepcopy(W)
        up[i][j][k] += h
        down[i][j][k] -= h
        fd = (_cost(up, B, x, y, **kw) - _cost(down, B, x, y, **kw)) / (2 * h)
        assert fd == pytest.approx(r.grad_w[i][j][k], rel=1e-6, abs=1e-9)
    for i, j in [(0, 1), (1, 0)]:
        up, down = copy.deepcopy(B), copy.deepcopy(B)
        up[i][j] += h
        down[i][j] -= h
        fd = (_cost(W, up, x, y, **kw) - _cost(W, down, x, y, **kw)) / (2 * h)
        assert fd == pytest.approx(r.grad_b[i][j], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
@pytest.mark.parametrize("output_activation", ["tanh", "linear"])
def test_cross_entropy_with_a_non_sigmoid_output_equals_central_differences(
    hidden, output_activation
):
    # BP1's shortcut δ^L = a − y holds for sigmoid outputs only (docs/backprop.md §9); for any
    # other σ it is ∂C/∂a · σ'(z).  Output biases near ½ and small output weights keep
    # 0 < a^L < 1, where the cross-entropy is defined for tanh and linear outputs too.
    W, B, x, y = random_network([3, 4, 2], seed=5)
    W[-1] = [[0.2 * w for w in row] for row in W[-1]]
    B[-1] = [0.5, 0.45]
    kw = dict(activation=hidden, cost="cross_entropy", output_activation=output_activation)
    r = backprop(W, B, x, y, **kw)
    assert all(0.05 < a < 0.95 for a in r.a[-1])
    assert r.delta[-1] != pytest.approx([a - t for a, t in zip(r.a[-1], y, strict=True)])
    h = 1e-6
    for i, w_l in enumerate(W):
        for j, row in enumerate(w_l):
            for k in range(len(row)):
                up, down = copy.deepcopy(W), copy.deepcopy(W)
                up[i][j][k] += h
                down[i][j][k] -= h
                fd = (_cost(up, B, x, y, **kw) - _cost(down, B, x, y, **kw)) / (2 * h)
                assert fd == pytest.approx(r.grad_w[i][j][k], rel=1e-6, abs=1e-9), (i, j, k)
            up, down = copy.deepcopy(B), copy.deepcopy(B)
            up[i][j] += h
            down[i][j] -= h
            fd = (_cost(W, up, x, y, **kw) - _cost(W, down, x, y, **kw)) / (2 * h)
            assert fd == pytest.approx(r.grad_b[i][j], rel=1e-6, abs=1e-9), (i, j)
            assert fd == pytest.approx(r.delta[i][j], rel=1e-6, abs=1e-9), (i, j)  # BP3


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_equal_pytorch_float64(activation):
    W, B, x, y = random_network([4, 5, 3, 2], seed=4)
    r = backprop(W, B, x, y, activation=activation)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "linear": lambda t: t}[activation]
    Wt = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
    Bt = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in B]
    a = torch.tensor(x, dtype=torch.float64)
    for w, b in zip(Wt, Bt, strict=True):
        a = act(w @ a + b)
    C = 0.5 * ((torch.tensor(y, dtype=torch.float64) - a) ** 2).sum()
    C.backward()
    assert C.item() == pytest.approx(r.cost, rel=1e-12)
    for w, g in zip(Wt, r.grad_w, strict=True):
        assert torch.allclose(w.grad, torch.tensor(g, dtype=torch.float64), rtol=1e-10, atol=1e-12)
    for b, g in zip(Bt, r.grad_b, strict=True):
        assert torch.allclose(b.grad, torch.tensor(g, dtype=torch.float64), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("z", [-3.0, -0.7, 0.4, 2.0])
def test_sigma_prime_equals_central_differences_of_sigma(activation, z):
    h = 1e-6
    fd = (sigma(z + h, activation) - sigma(z - h, activation)) / (2 * h)
    assert sigma_prime(z, activation) == pytest.approx(fd, abs=1e-8)


def test_sigmoid_is_stable_for_large_z():
    assert sigma(1000.0) == 1.0 and sigma(-1000.0) == 0.0
    assert sigma_prime(1000.0) == 0.0 and sigma_prime(-1000.0) == 0.0
    assert sigma(-40.0) == pytest.approx(math.exp(-40.0), rel=1e-12)


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    assert sigma_prime(0.0, "relu") == 0.0
    assert sigma_prime(1e-300, "relu") == 1.0


def test_cross_entropy_sigmoid_output_error_is_the_general_bp1_form_simplified():
    z, y = [-2.0, 0.3, 1.7], [0.0, 1.0, 0.25]
    a = [sigma(v) for v in z]
    general = [g * sigma_prime(v) for g, v in zip(cost_gradient(a, y, "cross_entropy"), z,
                                                   strict=True)]
    shortcut = output_error(z, a, y, "sigmoid", "cross_entropy")
    assert shortcut == [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]
    assert shortcut == pytest.approx(general, rel=1e-12)


def test_output_activation_applies_to_the_last_layer_only():
    W, B, x, y = random_network([2, 3, 3, 2], seed=5)
    r = backprop(W, B, x, y, activation="tanh", output_activation="linear")
    assert r.activations == ["tanh", "tanh", "linear"]
    assert r.a[-1] == r.z[-1]
    assert r.a[0] == [math.tanh(z) for z in r.z[0]]


def test_batch_gradient_is_the_sum_of_single_example_gradients():
    W, B, _, _ = random_network([3, 4, 2], seed=6)
    data = [random_network([3, 4, 2], seed=10 + n)[2:] for n in range(5)]
    xs, ys = [d[0] for d in data], [d[1] for d in data]
    batch = backprop_batch(W, B, xs, ys)
    singles = [backprop(W, B, x, y) for x, y in data]
    assert batch.n == 5
    assert batch.cost == pytest.approx(sum(s.cost for s in singles), rel=1e-14)
    for i, layer in enumerate(W):
        for j, row in enumerate(layer):
            assert batch.grad_b[i][j] == pytest.approx(sum(s.grad_b[i][j] for s in singles))
            for k in range(len(row)):
                expected = sum(s.grad_w[i][j][k] for s in singles)
                assert batch.grad_w[i][j][k] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_batch_does_not_change_its_inputs():
    W, B, x, y = random_network([2, 2], seed=7)
    W0, B0 = copy.deepcopy(W), copy.deepcopy(B)
    backprop_batch(W, B, [x, x], [y, y])
    assert (W, B) == (W0, B0)


# ------------------------------------------------------------------ explain
def test_explain_weight_shows_a_in_times_delta_with_live_numbers():
    # z = 0.5·1 − 0.3·2 + 0.1 = 0, a = ½, δ = (a − y)σ'(z) = (½ − 1)·¼ = −0.125,
    # ∂C/∂w^2_12 = a^1_2 δ^2_1 = 2 · −0.125
    r = backprop([[[0.5, -0.3]]], [[0.1]], x=[1.0, 2.0], y=[1.0])
    assert explain(r, layer=2, j=1, k=2) == "∂C/∂w^2_{12} = a^1_2 · δ^2_1 = 2 × -0.125 = -0.25"


def test_explain_bias_shows_delta():
    r = backprop([[[0.5, -0.3]]], [[0.1]], x=[1.0, 2.0], y=[1.0])
    assert explain(r, 2, 1) == "∂C/∂b^2_1 = δ^2_1 = -0.125"


def test_explain_uses_this_results_numbers_in_a_deep_network():
    W, B, x, y = random_network([3, 4, 5, 2], seed=8)
    r = backprop(W, B, x, y)
    s = explain(r, layer=3, j=2, k=4, digits=5)
    assert s.startswith("∂C/∂w^3_{24} = a^2_4 · δ^3_2 = ")
    a, d, g = r.a[0][3], r.delta[1][1], r.grad_w[1][1][3]  # a^2_4, δ^3_2
    assert s.endswith(f"= {a:.5g} × {d:.5g} = {g:.5g}")
    assert g == a * d


def test_explain_labels_two_digit_indices_like_nn():
    W, B, x, y = random_network([12, 10], seed=9)
    r = backprop(W, B, x, y)
    assert explain(r, 2, 10, 12).startswith("∂C/∂w^2_{10,12} = a^1_{12} · δ^2_{10} = ")
    assert explain(r, 2, 10).startswith("∂C/∂b^2_{10} = δ^2_{10} = ")


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((1, 1, 1), ValueError, r"layer = 1 .*2 … 3"),  # the input layer has no weights
        ((4, 1), ValueError, r"layer = 4"),
        ((3, 0), ValueError, r"j = 0 .*layer 3.*1 … 2"),
        ((2, 1, 4), ValueError, r"k = 4 .*layer 1.*1 … 3"),
        ((2, 1.0), TypeError, r"j must be an int"),
    ],
)
def test_explain_rejects_positions_outside_the_network(args, error, match):
    W, B, x, y = random_network([3, 4, 2], seed=10)
    r = backprop(W, B, x, y)
    with pytest.raises(error, match=match):
        explain(r, *args)


# ------------------------------------------------------------------ bad input
def _net():
    return random_network([3, 4, 2], seed=11)


def test_weight_row_of_wrong_length_names_the_layer_and_sizes():
    W, B, x, y = _net()
    W[1][0] = W[1][0][:3]
    with pytest.raises(ValueError, match=r"layer 3: W\[1\]\[0\] has 3 weights, expected 4 "
                                         r"\(the size of layer 2\)"):
        backprop(W, B, x, y)


def test_input_of_wrong_length_names_layer_2_and_sizes():
    W, B, x, y = _net()
    with pytest.raises(ValueError, match=r"layer 2: .* has 3 weights, expected 2 .*inputs x"):
        backprop(W, B, x[:2], y)


def test_biases_of_wrong_length_name_the_layer_and_sizes():
    W, B, x, y = _net()
    B[0].append(0.0)
    with pytest.raises(ValueError, match=r"layer 2: B\[0\] has 5 biases, expected 4"):
        backprop(W, B, x, y)


def test_wrong_number_of_bias_layers():
    W, B, x, y = _net()
    with pytest.raises(ValueError, match=r"B: expected 2 layers .*got 1"):
        backprop(W, B[:1], x, y)


def test_target_of_wrong_length_names_the_output_layer():
    W, B, x, y = _net()
    with pytest.raises(ValueError, match=r"y: expected 2 targets \(the size of output layer 3\), "
                                         r"got 3"):
        backprop(W, B, x, [*y, 0.0])


@pytest.mark.parametrize(
    "W, B, x, match",
    [
        ([], [], [1.0], r"W: expected at least one layer"),
        ([[]], [[]], [1.0], r"layer 2: W\[0\] has no rows"),
        ([[[1.0]]], [[0.0]], [], r"x: expected at least one input"),
        ([[[1.0]]], [[0.0]], 1.0, r"x: expected a sequence"),
        ([[[1.0]]], [[0.0]], "a", r"x: expected a sequence"),
    ],
)
def test_empty_or_non_sequence_network_parts_are_rejected(W, B, x, match):
    with pytest.raises(ValueError, match=match):
        backprop(W, B, x, [0.0])


@pytest.mark.parametrize("kw", [{"activation": "softmax"}, {"output_activation": "Sigmoid"}])
def test_unknown_activation_lists_the_valid_ones(kw):
    W, B, x, y = _net()
    with pytest.raises(ValueError, match=r"unknown activation .*'sigmoid', 'tanh', 'relu', "
                                         r"'linear'"):
        backprop(W, B, x, y, **kw)


def test_unknown_cost_lists_the_valid_ones():
    W, B, x, y = _net()
    with pytest.raises(ValueError, match=r"unknown cost 'mse'.*'quadratic', 'cross_entropy'"):
        backprop(W, B, x, y, cost="mse")


def test_non_number_is_a_type_error_naming_where():
    W, B, x, y = _net()
    W[0][2][1] = "0.3"
    with pytest.raises(TypeError, match=r"W\[0\]\[2\]\[1\]: expected a real number, got str"):
        backprop(W, B, x, y)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_number_is_rejected(bad):
    W, B, x, y = _net()
    with pytest.raises(ValueError, match=r"x\[1\]: got .*finite"):
        backprop(W, B, [x[0], bad, x[2]], y)


def test_overflowing_forward_pass_names_the_layer():
    with pytest.raises(ValueError, match=r"layer 3: the forward pass overflowed"):
        backprop([[[1e200]], [[1e200]]], [[0.0], [0.0]], [1e10], [0.0], activation="linear")


def test_cross_entropy_target_outside_0_1_is_rejected():
    W, B, x, _ = _net()
    with pytest.raises(ValueError, match=r"target y_2 = 1.5"):
        backprop(W, B, x, [0.0, 1.5], cost="cross_entropy")


@pytest.mark.parametrize(
    "activation, weight, match", [("linear", 3.0, r"a\^L_1 = 3.0"), ("sigmoid", 80.0, "saturate")]
)
def test_cross_entropy_output_outside_0_1_is_rejected(activation, weight, match):
    with pytest.raises(ValueError, match=match):
        backprop([[[weight]]], [[0.0]], [1.0], [1.0], activation=activation, cost="cross_entropy")


def test_batch_mismatch_and_empty_batch_are_rejected():
    W, B, x, y = _net()
    with pytest.raises(ValueError, match="2 inputs but 1 targets"):
        backprop_batch(W, B, [x, x], [y])
    with pytest.raises(ValueError, match="no examples"):
        backprop_batch(W, B, [], [])
    with pytest.raises(ValueError, match=r"example 1: y: expected 2 targets"):
        backprop_batch(W, B, [x, x], [y, [0.0]])


# ------------------------------------------------------------------ independence from the engine
BACKPROP_PY = Path(bp.__file__)


def test_backprop_imports_only_the_standard_library_and_microgrid_notation():
    # The closed form is the oracle the engine is tested against: it must not use the engine.
    allowed_local = {"microgrid.notation"}
    bad = []
    for node in ast.walk(ast.parse(BACKPROP_PY.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from .x import y, relative to microgrid
                base = ".".join(["microgrid", *filter(None, [node.module])])
                names = [base] if node.module else [f"{base}.{a.name}" for a in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Name) and node.id == "__import__":
            names = ["__import__"]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if name in allowed_local or name == "__future__":
                continue
            if top == "importlib" or name == "__import__" or top not in sys.stdlib_module_names:
                bad.append(f"line {node.lineno}: {name}")
    assert not bad, "microgrid/backprop.py may import only the stdlib and microgrid.notation"


def test_importing_backprop_alone_loads_neither_the_engine_nor_nn():
    # The package's __init__ imports the engine, so the check loads microgrid.backprop with an
    # empty stand-in for the package: whatever it pulls in, it pulls in itself.
    code = f"""
import sys, types
pkg = types.ModuleType("microgrid")
pkg.__path__ = [{str(BACKPROP_PY.parent)!r}]
sys.modules["microgrid"] = pkg
import microgrid.backprop as bp
r = bp.backprop([[[0.5, -0.3]]], [[0.1]], x=[1.0, 2.0], y=[1.0])
assert r.grad_w == [[[-0.125, -0.25]]], r.grad_w
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in
      ("microgrid", "torch", "numpy", "graphviz"))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert loaded <= {"microgrid", "microgrid.backprop", "microgrid.notation"}, loaded
