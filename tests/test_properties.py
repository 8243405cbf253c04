"""Property tests: the engine's gradients are never wrong.

Random expression graphs are drawn by hypothesis as a *recipe* (a list of steps naming an
operation, which earlier nodes it reads, and a constant).  The recipe is resolved once into a
fixed *program* (domains made safe, kinks of relu/abs moved away from the evaluation point,
magnitudes kept bounded), and the same program is then run

* by the engine, whose ``backward()`` gives the gradients under test,
* by the engine's forward pass alone at x ± ε (central finite differences), and
* by PyTorch in float64 (every node's gradient, via ``retain_grad``).

Tolerances (stated once, used everywhere):
  finite differences:  |g − g_fd|    ≤ FD_ATOL    + FD_RTOL    · |g_fd|
  PyTorch float64:     |g − g_torch| ≤ TORCH_ATOL + TORCH_RTOL · |g_torch|

The default run tries a few hundred graphs; ``pytest -m slow tests/test_properties.py`` tries
thousands.
"""

from __future__ import annotations

import math
import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import microgrid
from microgrid import MLP, Value, backprop

FD_EPS = 1e-6
FD_ATOL, FD_RTOL = 1e-6, 1e-5
TORCH_ATOL, TORCH_RTOL = 1e-12, 1e-9

# Every node a later step may read is kept within ±BOUND (a step whose result is larger is
# followed by a multiplication by a constant), so exp, ** and chains of * never overflow.
BOUND = 4.0
# relu and abs are evaluated at least KINK away from their kink at 0, so a finite difference
# never straddles it.
KINK = 0.05

UNARY = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "softplus", "powi",
         "powc", "rpow"]
BINARY = ["add", "sub", "mul", "div", "powv"]
WITH_CONST = ["cadd", "csub", "cmul", "cdiv"]
NARY = ["sum", "dot"]
OPS = UNARY + BINARY + WITH_CONST + NARY


# ---------------------------------------------------------------------------- recipes
step_strategy = st.tuples(
    st.sampled_from(OPS),
    st.lists(st.integers(0, 2**16), min_size=1, max_size=7),  # which earlier nodes to read
    st.floats(-3.0, 3.0, allow_nan=False),  # a constant
    st.booleans(),  # constant on the left?
)
# The length is drawn first so that long recipes (deep graphs) are as common as short ones.
recipe_strategy = st.integers(1, 60).flatmap(
    lambda n: st.lists(step_strategy, min_size=n, max_size=n)
)
inputs_strategy = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4)


def _pick(r: int, n: int) -> int:
    """Three picks in four read one of the last two nodes (deep chains), the rest any node
    (shared sub-expressions)."""
    return n - 1 - (r // 4) % min(n, 2) if r % 4 else (r // 4) % n


def _nonzero(c: float) -> float:
    return c if abs(c) >= 0.5 else math.copysign(0.5 + abs(c), c)


def resolve(recipe: list, xs: list[float]) -> list[tuple]:
    """Turn a drawn recipe into a fixed program, using the engine's forward values to choose
    safe constants.  Each program step is (op, operand indices, constant, const-on-left)."""
    nodes = [Value(x) for x in xs]
    program = []
    for op, picks, c, left in recipe:
        n = len(nodes)
        idx = [_pick(r, n) for r in picks]
        i, j = idx[0], idx[-1]
        if op in ("relu", "abs"):
            u = nodes[i].data
            c = 0.0 if abs(u) >= KINK else 2 * KINK  # shift u + c off the kink
            step = (op, (i,), c, left)
        elif op == "powi":
            step = (op, (i,), float(int(abs(c)) % 4), left)  # x ** 0, 1, 2 or 3, any sign of x
        elif op == "powc":
            step = (op, (i,), c - 0.5 if c < 0 else c, left)  # in [-3.5, 3]
        elif op == "rpow":
            step = (op, (i,), 0.5 + abs(c) * 0.8, left)  # base in [0.5, 2.9]
        elif op == "cdiv":
            step = (op, (i,), _nonzero(c), left)
        elif op in BINARY:
            step = (op, (i, j), c, left)
        elif op == "sum":
            step = (op, tuple(idx), c, left)
        elif op == "dot":
            half = max(1, len(idx) // 2)
            ws, xs_ = idx[:half], idx[half:half * 2] or idx[:half]
            step = (op, (tuple(ws), tuple(xs_), j if left else None), c, left)
        else:
            step = (op, (i,), c, left)
        out = apply(step, nodes, ENGINE)
        program.append(step)
        d = out.data
        if abs(d) > BOUND:
            scale = ("cmul", (len(nodes),), BOUND / abs(d), False)
            nodes.append(out)
            out = apply(scale, nodes, ENGINE)
            nodes.pop()
            program.append(("rescale", scale, 0.0, False))
        nodes.append(out)
    return program


# ---------------------------------------------------------------------------- running
class Engine:
    """The functions a backend supplies (the operators + − * / ** are Python's, shared)."""

    exp = staticmethod(Value.exp)
    log = staticmethod(Value.log)
    sqrt = staticmethod(Value.sqrt)
    tanh = staticmethod(Value.tanh)
    sigmoid = staticmethod(Value.sigmoid)
    relu = staticmethod(Value.relu)
    abs = staticmethod(Value.abs)
    softplus = staticmethod(Value.softplus)
    sum = staticmethod(microgrid.sum)
    dot = staticmethod(microgrid.dot)


ENGINE = Engine()


def _torch_backend():
    F = torch.nn.functional

    def stack_const(vs):
        return torch.stack([v if isinstance(v, torch.Tensor) else torch.tensor(
            float(v), dtype=torch.float64) for v in vs])

    class Torch:
        exp, log, sqrt, tanh = torch.exp, torch.log, torch.sqrt, torch.tanh
        sigmoid, relu, abs = torch.sigmoid, torch.relu, torch.abs
        softplus = F.softplus

        @staticmethod
        def sum(vs):
            return stack_const(vs).sum()

        @staticmethod
        def dot(ws, xs, bias=None):
            z = (stack_const(ws) * stack_const(xs)).sum()
            return z if bias is None else z + bias

    return torch, Torch()


def _pos(u, B):
    """A strictly positive function of u (≥ 0.5): the safe domain for log, sqrt, / and **."""
    return B.softplus(u) + 0.5


def apply(step: tuple, nodes: list, B):
    """One program step on either backend (`B` supplies the functions; operators are shared)."""
    op, idx, c, left = step
    if op == "rescale":
        return apply(idx, nodes, B)
    if op == "sum":
        return B.sum([nodes[k] for k in idx] + [c])
    if op == "dot":
        ws, xs, b = idx
        bias = nodes[b] if b is not None else None
        return B.dot([nodes[k] for k in ws], [nodes[k] for k in xs], bias)
    a = nodes[idx[0]]
    b = nodes[idx[-1]]
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / _pos(b, B)
    if op == "powv":
        return _pos(a, B) ** b
    if op == "cadd":
        return c + a if left else a + c
    if op == "csub":
        return c - a if left else a - c
    if op == "cmul":
        return c * a if left else a * c
    if op == "cdiv":
        return c / _pos(a, B) if left else a / c
    if op == "neg":
        return -a
    if op == "powi":
        return a ** int(c)
    if op == "powc":
        return _pos(a, B) ** c
    if op == "rpow":
        return c ** a
    if op in ("log", "sqrt"):
        return getattr(B, op)(_pos(a, B))
    if op in ("relu", "abs"):
        return getattr(B, op)(a + c if c else a)
    return getattr(B, op)(a)  # exp tanh sigmoid softplus


def run(program: list, leaves: list, B) -> list:
    """All nodes a later step may read (leaves first); the last one is the root."""
    nodes = list(leaves)
    for step in program:
        if step[0] == "rescale":
            nodes[-1] = apply(step, nodes, B)
        else:
            nodes.append(apply(step, nodes, B))
    return nodes


def engine_gradients(program, xs):
    nodes = run(program, [Value(x) for x in xs], ENGINE)
    nodes[-1].backward()
    return nodes


def finite_differences(program, xs):
    def f(values):
        return run(program, [Value(v) for v in values], ENGINE)[-1].data

    grads = []
    for k in range(len(xs)):
        up, down = list(xs), list(xs)
        up[k] += FD_EPS
        down[k] -= FD_EPS
        grads.append((f(up) - f(down)) / (2 * FD_EPS))
    return grads


def torch_gradients(program, xs):
    torch, T = _torch_backend()
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    nodes = run(program, leaves, T)
    for t in nodes[len(xs):]:
        t.retain_grad()
    nodes[-1].backward()
    return nodes


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def check_against_finite_differences(recipe, xs):
    program = resolve(recipe, xs)
    nodes = engine_gradients(program, xs)
    numeric = finite_differences(program, xs)
    for k, (v, n) in enumerate(zip(nodes[: len(xs)], numeric, strict=True)):
        assert _close(v.grad, n, FD_ATOL, FD_RTOL), f"input {k}: engine {v.grad!r}, fd {n!r}"


def check_against_torch(recipe, xs):
    program = resolve(recipe, xs)
    ours = engine_gradients(program, xs)
    theirs = torch_gradients(program, xs)
    assert len(ours) == len(theirs)
    for k, (v, t) in enumerate(zip(ours, theirs, strict=True)):
        tg = 0.0 if t.grad is None else t.grad.item()
        assert _close(v.data, t.item(), TORCH_ATOL, TORCH_RTOL), f"node {k}: data differs"
        assert _close(v.grad, tg, TORCH_ATOL, TORCH_RTOL), (
            f"node {k}: engine {v.grad!r}, torch {tg!r}"
        )


# ---------------------------------------------------------------------------- the properties
quick = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
thorough = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))


@quick
@given(recipe_strategy, inputs_strategy)
def test_random_graph_gradients_equal_finite_differences(recipe, xs):
    check_against_finite_differences(recipe, xs)


@quick
@given(recipe_strategy, inputs_strategy)
def test_random_graph_gradients_equal_pytorch_float64_at_every_node(recipe, xs):
    check_against_torch(recipe, xs)


@pytest.mark.slow
@thorough
@given(recipe_strategy, inputs_strategy)
def test_many_random_graph_gradients_equal_finite_differences(recipe, xs):
    check_against_finite_differences(recipe, xs)


@pytest.mark.slow
@thorough
@given(recipe_strategy, inputs_strategy)
def test_many_random_graph_gradients_equal_pytorch_float64_at_every_node(recipe, xs):
    check_against_torch(recipe, xs)


# ---------------------------------------------------------------------------- identities
real = st.floats(-5.0, 5.0, allow_nan=False)
positive = st.floats(0.05, 5.0, allow_nan=False)
away_from_zero = real.filter(lambda x: abs(x) > 1e-3)
identity = settings(max_examples=50, deadline=None)


def grads(f, *xs):
    """(f's value, [∂f/∂x for each x]) from one backward pass."""
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def approx(x: float, rel: float = 1e-12, abs_: float = 1e-12):
    return pytest.approx(x, rel=rel, abs=abs_)


@identity
@given(real, real)
def test_product_rule_gives_each_factor_the_other(x, y):
    _, (gx, gy) = grads(lambda a, b: a * b, x, y)
    assert (gx, gy) == (y, x)


@identity
@given(real, away_from_zero)
def test_quotient_gradients_are_one_over_y_and_minus_x_over_y_squared(x, y):
    _, (gx, gy) = grads(lambda a, b: a / b, x, y)
    assert gx == approx(1 / y)
    assert gy == approx(-x / y**2)


@identity
@given(positive, st.floats(-3.0, 3.0))
def test_power_gradients_are_y_x_to_y_minus_1_and_x_to_y_ln_x(x, y):
    _, (gx, gy) = grads(lambda a, b: a**b, x, y)
    assert gx == approx(y * x ** (y - 1))
    assert gy == approx(x**y * math.log(x))


@identity
@given(real.filter(lambda x: abs(x) > 0.1), st.integers(-3, 4))
def test_integer_power_of_any_sign_has_gradient_n_x_to_n_minus_1(x, n):
    _, (gx,) = grads(lambda a: a**n, x)
    assert gx == approx(n * x ** (n - 1) if n else 0.0)


@identity
@given(positive)
def test_exp_of_log_has_gradient_one(x):
    y, (gx,) = grads(lambda a: a.log().exp(), x)
    assert y == approx(x)
    assert gx == approx(1.0)


@identity
@given(real)
def test_log_of_exp_has_gradient_one(x):
    y, (gx,) = grads(lambda a: a.exp().log(), x)
    assert y == approx(x)
    assert gx == approx(1.0)


@identity
@given(real)
def test_tanh_equals_two_sigmoid_of_2x_minus_one_in_value_and_gradient(x):
    t, (gt,) = grads(lambda a: a.tanh(), x)
    s, (gs,) = grads(lambda a: 2 * (2 * a).sigmoid() - 1, x)
    assert t == approx(s)
    assert gt == approx(gs)


@identity
@given(real)
def test_sigmoid_derivative_is_sigma_times_one_minus_sigma(x):
    s, (g,) = grads(lambda a: a.sigmoid(), x)
    assert g == approx(s * (1 - s))


@identity
@given(real)
def test_softplus_derivative_is_sigmoid(x):
    _, (g,) = grads(lambda a: a.softplus(), x)
    assert g == approx(1 / (1 + math.exp(-x)))


@identity
@given(positive)
def test_sqrt_gradient_is_one_over_two_sqrt_and_sqrt_squared_has_gradient_one(x):
    _, (g,) = grads(lambda a: a.sqrt(), x)
    assert g == approx(0.5 / math.sqrt(x))
    _, (g2,) = grads(lambda a: a.sqrt() ** 2, x)
    assert g2 == approx(1.0)


@identity
@given(away_from_zero)
def test_abs_equals_relu_x_plus_relu_minus_x_in_value_and_gradient(x):
    a, (ga,) = grads(lambda v: v.abs(), x)
    r, (gr,) = grads(lambda v: v.relu() + (-v).relu(), x)
    assert (a, ga) == (r, gr)
    assert ga == math.copysign(1.0, x)


@identity
@given(real)
def test_a_shared_subexpression_collects_gradient_from_every_use(x):
    _, (g_plus,) = grads(lambda a: a + a, x)
    _, (g_minus,) = grads(lambda a: a - a, x)
    _, (g_times,) = grads(lambda a: a * a, x)
    assert (g_plus, g_minus) == (2.0, 0.0)
    assert g_times == approx(2 * x)


@identity
@given(away_from_zero)
def test_x_over_x_has_gradient_zero(x):
    _, (g,) = grads(lambda a: a / a, x)
    assert g == approx(0.0, abs_=1e-12 / min(1.0, abs(x)))


@identity
@given(st.lists(real, min_size=1, max_size=8))
def test_sum_passes_gradient_one_to_every_term(xs):
    _, gs = grads(lambda *vs: microgrid.sum(vs), *xs)
    assert gs == [1.0] * len(xs)


@identity
@given(st.lists(st.tuples(real, real), min_size=1, max_size=8), real)
def test_dot_gives_each_weight_its_input_each_input_its_weight_and_bias_one(pairs, b):
    ws, xs = [w for w, _ in pairs], [x for _, x in pairs]
    n = len(pairs)
    z, gs = grads(lambda *vs: microgrid.dot(vs[:n], vs[n:2 * n], vs[-1]), *ws, *xs, b)
    assert z == approx(math.fsum(w * x for w, x in pairs) + b, abs_=1e-9)
    assert gs == [*xs, *ws, 1.0]


@identity
@given(real, real)
def test_dot_equals_the_same_sum_of_products_in_gradient(w, x):
    _, g_dot = grads(lambda a, b: microgrid.dot([a], [b]), w, x)
    _, g_mul = grads(lambda a, b: a * b, w, x)
    assert g_dot == g_mul


@identity
@given(real, real)
def test_constants_on_either_side_give_the_same_gradient(x, c):
    for f, g in [
        (lambda a: a + c, lambda a: c + a),
        (lambda a: a * c, lambda a: c * a),
        (lambda a: a - c, lambda a: -(c - a)),
    ]:
        assert grads(f, x)[1][0] == approx(grads(g, x)[1][0])


@identity
@given(real, real)
def test_second_backward_doubles_leaves_and_keeps_interior_gradients(x, y):
    a, b = Value(x), Value(y)
    z = a * b
    out = z.tanh()
    out.backward()
    first = (a.grad, b.grad, z.grad)
    out.backward()
    assert (a.grad, b.grad, z.grad) == (2 * first[0], 2 * first[1], first[2])


# ---------------------------------------------------------------------------- random networks
ACTS = ["sigmoid", "tanh", "relu", "linear"]
network_strategy = st.fixed_dictionaries(
    {
        "nin": st.integers(1, 4),
        "nouts": st.lists(st.integers(1, 5), min_size=1, max_size=4),
        "activation": st.sampled_from(ACTS),
        "output_activation": st.sampled_from(ACTS),
        "cost": st.sampled_from(["quadratic", "cross_entropy"]),
        "seed": st.integers(0, 2**32 - 1),
    }
)
CLOSED_FORM_TOL = 1e-10


def _engine_cost(z: list[Value], a: list[Value], y: list[float], cost: str) -> Value:
    """C for one example, built from engine operations (not from microgrid.losses).

    Cross-entropy (sigmoid outputs) is written in terms of z, with ln a = −softplus(−z) and
    ln(1 − a) = −softplus(z): the same function, but finite where σ(z) rounds to exactly 0.0
    or 1.0 (z ≳ 37), where ln(1 − a) would be ln 0.  Saturated outputs stay in the test: there
    δ^L = σ(z) − y is still checked against the closed form's a − y (docs/backprop.md §9).
    """
    if cost == "quadratic":  # C = ½ Σ_j (y_j − a_j)²
        return 0.5 * microgrid.sum([(yj - aj) ** 2 for aj, yj in zip(a, y, strict=True)])
    # binary cross-entropy: C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]
    #                        =  Σ_j [y_j softplus(−z_j) + (1 − y_j) softplus(z_j)]
    return microgrid.sum(
        [yj * (-zj).softplus() + (1 - yj) * zj.softplus() for zj, yj in zip(z, y, strict=True)]
    )


def _closed_form(W, B, x, y, activation: str, cost: str, output_activation: str):
    """The oracle's δ, ∂C/∂b, ∂C/∂w for one example.

    ``backprop.backprop`` also returns C, and refuses (ValueError) a cross-entropy whose
    output rounded to exactly 0.0 or 1.0, where C = ∞.  δ is still defined there, so for a
    saturated output the same equations are applied one by one: BP1 for cross-entropy with a
    sigmoid output is δ^L = a^L − y (docs/backprop.md §9), then BP2, BP3, BP4 from backprop.
    """
    acts = [activation] * (len(W) - 1) + [output_activation]
    z, a = backprop.forward(W, B, x, acts)
    if cost == "quadratic" or all(0.0 < a_j < 1.0 for a_j in a[-1]):
        r = backprop.backprop(W, B, x, y, activation, cost, output_activation)
        return r.delta, r.grad_b, r.grad_w
    assert output_activation == "sigmoid"
    delta = [[a_j - y_j for a_j, y_j in zip(a[-1], y, strict=True)]]  # BP1
    for i in range(len(W) - 2, -1, -1):
        delta.insert(0, backprop.hidden_error(W[i + 1], delta[0], z[i], acts[i]))  # BP2
    grad_b = [backprop.bias_gradient(d) for d in delta]  # BP3
    a_in = [x, *a[:-1]]  # a^{l-1}: a[i] is layer i + 2's own a, as in the trace
    grad_w = [backprop.weight_gradient(a_in[i], d) for i, d in enumerate(delta)]  # BP4
    return delta, grad_b, grad_w


@settings(max_examples=100, deadline=None)
@given(network_strategy)
def test_random_network_node_gradients_equal_the_closed_form_bp1_to_bp4(net):
    rng = random.Random(net["seed"])
    out_act = "sigmoid" if net["cost"] == "cross_entropy" else net["output_activation"]
    mlp = MLP(net["nin"], net["nouts"], net["activation"], out_act, rng=rng)
    W = [[[rng.uniform(-2, 2) for _ in n.w] for n in layer.neurons] for layer in mlp.layers]
    B = [[rng.uniform(-1, 1) for _ in layer.neurons] for layer in mlp.layers]
    mlp.load_weights(W, B)
    x = [rng.uniform(-2, 2) for _ in range(net["nin"])]
    y = [rng.uniform(0, 1) for _ in range(net["nouts"][-1])]

    trace = mlp.trace(x)
    _engine_cost(trace.z[-1], trace.a[-1], y, net["cost"]).backward()
    delta, grad_b, grad_w = _closed_form(W, B, x, y, net["activation"], net["cost"], out_act)

    def close(ours: float, theirs: float) -> bool:
        return abs(ours - theirs) <= CLOSED_FORM_TOL * (1 + abs(theirs))

    for i, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            assert close(trace.z[i][j].grad, delta[i][j]), f"δ of layer {i + 2}, neuron {j + 1}"
            assert close(neuron.b.grad, grad_b[i][j]), f"BP3 at layer {i + 2}, neuron {j + 1}"
            for k, w in enumerate(neuron.w):
                assert close(w.grad, grad_w[i][j][k]), f"BP4 at w^{i + 2}_{j + 1}{k + 1}"


def test_saturated_sigmoid_output_with_cross_entropy_still_matches_the_closed_form():
    """σ(z) rounds to exactly 1.0 for z ≳ 37: ln(1 − a) is ln 0 there, but C written with
    softplus stays finite and δ^L = a − y (docs/backprop.md §9) is still what backward gives."""
    W, B = [[[0.5, -0.25]], [[30.0]]], [[0.5], [30.0]]  # z^2 = 2, z^3 ≈ 58.9
    x, y = [2.0, -2.0], [0.25]
    mlp = MLP(2, [1, 1], "tanh", "sigmoid", seed=0)
    mlp.load_weights(W, B)
    trace = mlp.trace(x)
    assert trace.a[-1][0].data == 1.0  # really saturated
    _engine_cost(trace.z[-1], trace.a[-1], y, "cross_entropy").backward()
    with pytest.raises(ValueError, match="cross_entropy: output a"):  # C itself is ∞ here
        backprop.backprop(W, B, x, y, "tanh", "cross_entropy", "sigmoid")
    delta, grad_b, grad_w = _closed_form(W, B, x, y, "tanh", "cross_entropy", "sigmoid")
    assert trace.z[-1][0].grad == delta[-1][0] == 0.75
    for i, layer in enumerate(mlp.layers):
        assert trace.z[i][0].grad == pytest.approx(delta[i][0], rel=1e-12, abs=1e-300)
        assert layer.neurons[0].b.grad == pytest.approx(grad_b[i][0], rel=1e-12, abs=1e-300)
        for k, w in enumerate(layer.neurons[0].w):
            assert w.grad == pytest.approx(grad_w[i][0][k], rel=1e-12, abs=1e-300)
