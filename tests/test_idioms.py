"""PyTorch's idioms for the graph: no_grad, detach, hooks, and gradients of gradients.

Oracles: PyTorch 2.13 in float64 (torch.autograd.grad with create_graph=True,
torch.autograd.functional.hessian, Tensor.register_hook, torch.no_grad), closed forms
(σ'' = σ(1−σ)(1−2σ), BP1–BP2 from `microgrid.backprop`) and central finite differences of the
engine's own first derivatives (a gradgradcheck).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import threading
from collections.abc import Callable

import pytest
import torch

import microgrid as mg
from microgrid import Value, backprop, engine, hooks, ops
from microgrid.nn import MLP
from microgrid.torch_bridge import to_torch

F64 = torch.float64


@pytest.fixture(autouse=True)
def _no_hooks_left_behind():
    # Hooks live in a module-level table: a test that leaves one registered would send every
    # later backward() down the hooked path.  Start and end every test with none.
    hooks.table.clear()
    yield
    hooks.table.clear()


def t(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=F64, requires_grad=True)


def mg_hessian(f: Callable[..., Value], point: list[float]) -> list[list[float]]:
    """H[i][j] = ∂²f/∂x_i∂x_j with grad(create_graph=True) then grad again."""
    xs = [Value(p, f"x{i}") for i, p in enumerate(point)]
    first = mg.grad(f(*xs), xs, create_graph=True, allow_unused=True)
    return [mg.grad(g, xs, allow_unused=True) for g in first]


def torch_hessian(f: Callable[..., torch.Tensor], point: list[float]) -> list[list[float]]:
    xs = tuple(torch.tensor(p, dtype=F64) for p in point)
    h = torch.autograd.functional.hessian(f, xs)
    return [[float(h[i][j]) for j in range(len(point))] for i in range(len(point))]


def assert_close(a, b, rel=1e-10, abs_=1e-12):
    if isinstance(a, list):
        assert len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            assert_close(u, v, rel, abs_)
        return
    assert a == pytest.approx(b, rel=rel, abs=abs_)


# ------------------------------------------------------------------ every op, twice
# (name, microgrid f, torch f, point): each op alone, with every operand a Value, and with a
# plain number folded in where the op allows one.
def _mdot(*a):
    return mg.dot(a[:2], a[2:4], a[4] if len(a) == 5 else None)


def _tdot(*a):
    z = a[0] * a[2] + a[1] * a[3]
    return z + a[4] if len(a) == 5 else z


OPS = [
    ("+", lambda a, b: a + b, lambda a, b: a + b, [0.7, -1.3]),
    ("+ number", lambda a: a + 2.5, lambda a: a + 2.5, [0.7]),
    ("-", lambda a, b: a - b, lambda a, b: a - b, [0.7, -1.3]),
    ("number -", lambda a: 2.5 - a, lambda a: 2.5 - a, [0.7]),
    ("*", lambda a, b: a * b, lambda a, b: a * b, [0.7, -1.3]),
    ("x*x", lambda a: a * a, lambda a: a * a, [0.7]),
    ("* number", lambda a: 3.0 * a, lambda a: 3.0 * a, [0.7]),
    ("/", lambda a, b: a / b, lambda a, b: a / b, [0.7, -1.3]),
    ("number /", lambda a: 2.0 / a, lambda a: 2.0 / a, [0.7]),
    ("neg", lambda a: -a, lambda a: -a, [0.7]),
    ("**3", lambda a: a**3, lambda a: a**3, [-0.7]),
    ("**2", lambda a: a**2, lambda a: a**2, [0.0]),
    ("**0.5", lambda a: a**0.5, lambda a: a**0.5, [1.7]),
    ("**-1.5", lambda a: a**-1.5, lambda a: a**-1.5, [1.7]),
    ("**1", lambda a: a**1, lambda a: a**1, [1.7]),
    ("**0", lambda a: a**0, lambda a: a**0, [1.7]),
    ("**n exact", lambda a: a**0.1234567891, lambda a: a**0.1234567891, [1.7]),
    ("Value**Value", lambda a, b: a**b, lambda a, b: a**b, [1.7, -0.6]),
    ("number**Value", lambda b: 2.0**b, lambda b: 2.0**b, [-0.6]),
    ("exp", lambda a: a.exp(), torch.exp, [0.4]),
    ("log", lambda a: a.log(), torch.log, [0.4]),
    ("sqrt", lambda a: a.sqrt(), torch.sqrt, [0.4]),
    ("tanh", lambda a: a.tanh(), torch.tanh, [0.4]),
    ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, [0.4]),
    ("sigmoid<0", lambda a: a.sigmoid(), torch.sigmoid, [-3.1]),
    ("relu>0", lambda a: a.relu(), torch.relu, [0.4]),
    ("relu<0", lambda a: a.relu(), torch.relu, [-0.4]),
    ("abs>0", lambda a: a.abs(), torch.abs, [0.4]),
    ("abs<0", lambda a: a.abs(), torch.abs, [-0.4]),
    ("softplus", lambda a: a.softplus(), torch.nn.functional.softplus, [0.4]),
    ("softplus<0", lambda a: a.softplus(), torch.nn.functional.softplus, [-2.4]),
    ("Σ", lambda *a: mg.sum(a), lambda *a: a[0] + a[1] + a[2], [0.3, -1.2, 2.0]),
    ("·", _mdot, _tdot, [0.3, -1.2, 2.0, 0.5]),
    ("·+", _mdot, _tdot, [0.3, -1.2, 2.0, 0.5, -0.9]),
]


@pytest.mark.parametrize(("name", "f", "tf", "point"), OPS, ids=[o[0] for o in OPS])
def test_every_op_second_derivatives_match_torch(name, f, tf, point):
    assert_close(mg_hessian(f, point), torch_hessian(tf, point))


@pytest.mark.parametrize(("name", "f", "tf", "point"), OPS, ids=[o[0] for o in OPS])
def test_every_op_first_derivatives_as_values_match_torch(name, f, tf, point):
    xs = [Value(p) for p in point]
    ours = mg.grad(f(*xs), xs, create_graph=True)
    assert all(isinstance(g, Value) for g in ours)
    txs = [t(p) for p in point]
    theirs = torch.autograd.grad(tf(*txs), txs)
    assert_close([g.data for g in ours], [float(g) for g in theirs])


def test_an_op_without_a_rule_is_a_clear_error():
    x = Value(1.0)
    y = x * 2.0
    y.op = "mystery"  # a node whose op is not in the table
    with pytest.raises(NotImplementedError, match="mystery"):
        mg.grad(y, [x], create_graph=True)


def test_sigma_second_derivative_closed_form():
    for z in (-4.0, -0.5, 0.0, 0.3, 2.5):
        x = Value(z)
        (d1,) = mg.grad(x.sigmoid(), [x], create_graph=True)
        (d2,) = mg.grad(d1, [x])
        s = 1.0 / (1.0 + math.exp(-z))
        assert d1.data == pytest.approx(s * (1 - s), rel=1e-14)
        assert d2 == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-12, abs=1e-15)


def test_third_derivative_of_tanh_and_log():
    x = Value(0.3)
    g = x.tanh()
    for _ in range(3):
        (g,) = mg.grad(g, [x], create_graph=True)
    tx = t(0.3)
    tg = torch.tanh(tx)
    for _ in range(3):
        (tg,) = torch.autograd.grad(tg, tx, create_graph=True)
    assert g.data == pytest.approx(float(tg.detach()), rel=1e-12)
    g = x.log()
    for _ in range(3):
        (g,) = mg.grad(g, [x], create_graph=True)
    assert g.data == pytest.approx(2 / 0.3**3, rel=1e-12)


# ------------------------------------------------------------------ Hessians of small functions
FUNCTIONS = [
    (
        "rosenbrock",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        [-1.2, 1.0],
    ),
    ("xyz", lambda x, y, z: x * y * z, lambda x, y, z: x * y * z, [0.5, -2.0, 3.0]),
    (
        "softplus mix",
        lambda x, y: (x * y).softplus() + x.tanh() * y.sigmoid() + (1 + x * x).log(),
        lambda x, y: (
            torch.nn.functional.softplus(x * y) + torch.tanh(x) * torch.sigmoid(y)
            + torch.log(1 + x * x)
        ),
        [0.4, -1.1],
    ),
    (
        "quotients and roots",
        lambda x, y, z: (x * x + y * y).sqrt() / z.exp() + x**y - (z / x).abs(),
        lambda x, y, z: (
            torch.sqrt(x * x + y * y) / torch.exp(z) + x**y - torch.abs(z / x)
        ),
        [1.3, 0.7, -0.2],
    ),
    (
        "dot and sum",
        lambda a, b, c: mg.sum([mg.dot([a, b], [b, c], c).sigmoid(), a * c, (b - a).relu()]),
        lambda a, b, c: torch.sigmoid(a * b + b * c + c) + a * c + torch.relu(b - a),
        [0.2, 0.9, -0.5],
    ),
]


@pytest.mark.parametrize(("name", "f", "tf", "point"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_hessians_match_torch(name, f, tf, point):
    assert_close(mg_hessian(f, point), torch_hessian(tf, point), rel=1e-9)


def test_hessian_is_symmetric_and_backward_of_a_gradient_works():
    x, y = Value(-1.2, "x"), Value(1.0, "y")
    f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    gx, gy = mg.grad(f, [x, y], create_graph=True)
    assert mg.grad(gx, [y]) == pytest.approx(mg.grad(gy, [x]), rel=1e-12)
    gx.backward()  # a gradient is an ordinary Value: backward() fills .grad with row 1 of H
    assert [x.grad, y.grad] == pytest.approx([1330.0, 480.0], rel=1e-12)  # 2 − 400y + 1200x²


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_second_derivative_through_an_mlp_matches_torch(activation):
    mlp = MLP(2, [4, 3, 1], activation=activation, output_activation="sigmoid", seed=1)
    point = [0.9, -1.7]
    net = to_torch(mlp)
    ours = mg_hessian(lambda a, b: mlp([a, b]), point)
    theirs = torch_hessian(lambda a, b: net(torch.stack([a, b])[None])[0, 0], point)
    assert_close(ours, theirs, rel=1e-9)
    assert max(abs(h) for row in ours for h in row) > 1e-4  # not trivially zero


def test_mixed_second_derivative_weight_and_input_through_an_mlp():
    # ∂²a^L/∂w∂x for one weight of the first layer, vs torch.
    mlp = MLP(2, [3, 1], activation="sigmoid", seed=5)
    x = [Value(0.4), Value(-0.7)]
    w = mlp.layers[0].neurons[1].w[0]
    (dx0,) = mg.grad(mlp(x), [x[0]], create_graph=True)
    (dwdx,) = mg.grad(dx0, [w])
    net = to_torch(mlp)
    tx = torch.tensor([[0.4, -0.7]], dtype=F64, requires_grad=True)
    (gx,) = torch.autograd.grad(net(tx)[0, 0], tx, create_graph=True)
    (gw,) = torch.autograd.grad(gx[0, 0], net[0].weight)
    assert dwdx == pytest.approx(float(gw[1, 0]), rel=1e-10)


def test_one_newton_step():
    # f(x) = x⁴ − 3x + eˣ: x₁ = x₀ − f'(x₀)/f''(x₀).
    x = Value(0.5)
    f = x**4 - 3 * x + x.exp()
    (d1,) = mg.grad(f, [x], create_graph=True)
    (d2,) = mg.grad(d1, [x])
    x1 = x.data - d1.data / d2
    fp = 4 * 0.5**3 - 3 + math.exp(0.5)
    fpp = 12 * 0.5**2 + math.exp(0.5)
    assert x1 == pytest.approx(0.5 - fp / fpp, rel=1e-14)


# ------------------------------------------------------------------ gradgradcheck
def gradgradcheck(f: Callable[..., Value], point: list[float], eps: float = 1e-5) -> None:
    """Every ∂²f/∂x_i∂x_j from grad-of-grad against central differences of the engine's own
    first derivatives: (∂f/∂x_i(x + ε e_j) − ∂f/∂x_i(x − ε e_j)) / 2ε."""
    H = mg_hessian(f, point)
    xs = [Value(p) for p in point]
    for j, x in enumerate(xs):
        x.data = point[j] + eps
        up = mg.grad(f(*xs), xs, allow_unused=True)
        x.data = point[j] - eps
        down = mg.grad(f(*xs), xs, allow_unused=True)
        x.data = point[j]
        for i in range(len(xs)):
            numeric = (up[i] - down[i]) / (2 * eps)
            assert H[i][j] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (i, j)


@pytest.mark.parametrize(("name", "f", "tf", "point"), OPS + FUNCTIONS)
def test_gradgradcheck(name, f, tf, point):
    gradgradcheck(f, point)


def test_gradgradcheck_catches_a_wrong_rule(monkeypatch):
    # The finite-difference check must be able to fail: a σ'' built from a wrong σ'.
    wrong = dataclasses.replace(ops.sigmoid, derivative=lambda z, out: out * (1.0 + out))
    monkeypatch.setitem(ops.table, "σ", wrong)
    with pytest.raises(AssertionError):
        gradgradcheck(lambda a: a.sigmoid(), [0.4])


# ------------------------------------------------------------------ grad()
def _graph():
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    z = (x * y).tanh()
    return x, y, z, z * z + x


def test_grad_matches_torch_and_backward():
    x, y, z, f = _graph()
    gx, gy, gz = mg.grad(f, [x, y, z])
    tx, ty = t(0.5), t(-1.5)
    tz = torch.tanh(tx * ty)
    tgx, tgy, tgz = torch.autograd.grad(tz * tz + tx, [tx, ty, tz])
    assert [gx, gy, gz] == pytest.approx([float(tgx), float(tgy), float(tgz)], rel=1e-13)
    assert all(type(g) is float for g in (gx, gy, gz))
    f.backward()
    assert [x.grad, y.grad, z.grad] == pytest.approx([gx, gy, gz], rel=1e-15)


def test_grad_changes_no_grad_anywhere():
    x, y, z, f = _graph()
    f.backward()
    before = {n: n.grad for n in engine.reachable(f)}
    mg.grad(f, [x, y])
    mg.grad(f, [x, z], create_graph=True)
    assert {n: n.grad for n in engine.reachable(f)} == before


def test_grad_of_an_unused_input():
    x, y, z, f = _graph()
    w = Value(3.0, "w")
    with pytest.raises(ValueError, match=r"inputs\[1\].*w.*allow_unused=True"):
        mg.grad(f, [x, w])
    assert mg.grad(f, [x, w], allow_unused=True)[1] == 0.0
    g = mg.grad(f, [w], create_graph=True, allow_unused=True)[0]
    assert isinstance(g, Value) and g.data == 0.0


def test_grad_of_an_input_reached_only_through_a_zero_gradient_is_zero_not_unused():
    x = Value(-2.0)
    y = (x * 3).relu()  # dead: ∂y/∂x = 0, but y depends on x
    assert mg.grad(y, [x]) == [0.0]
    assert mg.grad(y, [x], create_graph=True)[0].data == 0.0
    u = x * 3
    assert mg.grad(u.relu() + 0 * u, [u]) == [0.0]  # an interior input reached with 0


def test_grad_of_the_root_itself_and_repeated_inputs():
    x = Value(2.0)
    y = x * x
    assert mg.grad(y, [y, x, x]) == [1.0, 4.0, 4.0]
    assert mg.grad(x, [x]) == [1.0]
    assert mg.grad(y, x) == [4.0]  # a single Value, as torch.autograd.grad accepts


def test_grad_bad_input():
    x = Value(1.0)
    y = x * 2
    with pytest.raises(TypeError, match="root must be one Value"):
        mg.grad([y, y], [x])
    with pytest.raises(TypeError, match="root must be one Value.*float"):
        mg.grad(2.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got float"):
        mg.grad(y, [x, 1.0])
    with pytest.raises(TypeError, match="inputs must be a Value or a list/tuple"):
        mg.grad(y, (v for v in [x]))
    with pytest.raises(TypeError, match="inputs must be a Value or a list/tuple"):
        mg.grad(y, "x")
    with pytest.raises(ValueError, match="inputs is empty"):
        mg.grad(y, [])
    big = Value(1e200)
    with pytest.raises(ValueError, match="overflowed"):
        mg.grad(big * big, [big])


def test_gradient_values_can_be_differentiated_after_no_grad_leaves():
    # A detached value is a constant for every derivative, first or second.
    x = Value(1.5)
    f = x * x * x.detach()
    (d1,) = mg.grad(f, [x], create_graph=True)
    assert d1.data == pytest.approx(2 * 1.5 * 1.5)
    assert mg.grad(d1, [x]) == [pytest.approx(2 * 1.5)]


# ------------------------------------------------------------------ hooks
def test_interior_hook_once_per_pass_and_replacement_like_torch():
    seen, tseen = [], []
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    u = x * y
    u.register_hook(lambda g: seen.append(g) or g * 3)
    f = u.tanh() * u + x
    f.backward()
    f.backward()
    tx, ty = t(0.5), t(-1.5)
    tu = tx * ty
    tu.register_hook(lambda g: tseen.append(float(g)) or g * 3)
    tf = torch.tanh(tu) * tu + tx
    tf.backward(retain_graph=True)
    tf.backward()
    assert seen == pytest.approx(tseen, rel=1e-14)
    assert len(seen) == 2
    assert [x.grad, y.grad] == pytest.approx([float(tx.grad), float(ty.grad)], rel=1e-14)
    assert u.grad == pytest.approx(3 * seen[-1])  # .grad shows the replacement, as retain_grad


def test_leaf_hook_sees_this_pass_and_its_return_is_accumulated_like_torch():
    seen, tseen = [], []
    x = Value(2.0)
    x.register_hook(lambda g: seen.append(g) or g * 10)
    tx = t(2.0)
    tx.register_hook(lambda g: tseen.append(float(g)) or g * 10)
    grads, tgrads = [], []
    for _ in range(2):
        (x * x + x).backward()
        grads.append(x.grad)
        (tx * tx + tx).backward()
        tgrads.append(float(tx.grad))
    assert seen == tseen == [5.0, 5.0]
    assert grads == tgrads == [50.0, 100.0]


def test_hooks_chain_in_registration_order_like_torch():
    seen, tseen = [], []
    x = Value(1.0)
    u = x * 1
    u.register_hook(lambda g: g + 1)
    u.register_hook(lambda g: seen.append(g))
    u.backward()
    tx = t(1.0)
    tu = tx * 1
    tu.register_hook(lambda g: g + 1)
    tu.register_hook(lambda g: tseen.append(float(g)))
    tu.backward()
    assert seen == tseen == [2.0]
    assert x.grad == float(tx.grad) == 2.0


def test_hook_on_a_node_with_zero_gradient_runs_and_on_the_root():
    seen = []
    x = Value(-1.0)
    r = x * 2
    d = r.relu()
    r.register_hook(lambda g: seen.append(("r", g)))
    d.register_hook(lambda g: seen.append(("d", g)))
    d.backward()
    assert seen == [("d", 1.0), ("r", 0.0)]  # torch passes zeros through a dead ReLU too


def test_hooks_run_in_grad_and_change_its_result_like_torch():
    x = Value(2.0)
    u = x * 3
    u.register_hook(lambda g: 2 * g)
    x.register_hook(lambda g: g + 1)
    tx = t(2.0)
    tu = tx * 3
    tu.register_hook(lambda g: 2 * g)
    tx.register_hook(lambda g: g + 1)
    assert mg.grad(u * u, [x]) == [float(torch.autograd.grad(tu * tu, [tx])[0])]
    assert x.grad == 0.0


def test_hook_remove_and_no_leak():
    calls = []
    x = Value(1.0)
    y = x * 2
    refs = sys.getrefcount(y)
    h = y.register_hook(calls.append)
    h2 = y.register_hook(calls.append)  # the same function twice: two registrations
    (y * 1).backward()
    assert calls == [1.0, 1.0]
    h.remove()
    (y * 1).backward()
    assert calls == [1.0, 1.0, 1.0]
    h2.remove()
    h2.remove()  # a second remove does nothing
    (y * 1).backward()
    assert calls == [1.0, 1.0, 1.0]
    assert sys.getrefcount(y) == refs  # the hook table let go of the node
    assert "removed" in repr(h)


def test_hook_that_removes_itself_runs_once():
    calls = []
    x = Value(1.0)
    y = x * 2

    def once(g):
        calls.append(g)
        handle.remove()

    handle = y.register_hook(once)
    (y * 1).backward()
    (y * 1).backward()
    assert calls == [1.0]


def test_hook_bad_return_and_bad_hook():
    x = Value(1.0)
    y = x * 2

    def say_hello(g):
        return "hello"

    h = y.register_hook(say_hello)
    with pytest.raises(TypeError, match="say_hello.*str"):
        (y * 1).backward()
    h.remove()
    h = y.register_hook(lambda g: math.nan)
    with pytest.raises(ValueError, match="hook.*nan"):
        (y * 1).backward()
    h.remove()
    with pytest.raises(TypeError, match="expected a callable, got int"):
        y.register_hook(3)


def test_hooked_backward_gives_the_same_grads_as_the_plain_pass():
    # Same order, same float sums: bit-for-bit equal, also across two passes (leaves double).
    def run(with_hook):
        mlp = MLP(2, [4, 3, 1], activation="tanh", seed=7)
        t_ = mlp.trace([0.3, -0.8])
        loss = (t_.a[-1][0] - 0.25) ** 2
        if with_hook:
            h = t_.z[0][1].register_hook(lambda g: None)
        loss.backward()
        loss.backward()
        if with_hook:
            h.remove()
        nodes = [*mlp.parameters(), *(z for zl in t_.z for z in zl)]
        return [n.grad for n in nodes]

    hooked = run(True)
    assert not hooks.table  # so run(False) takes the plain path
    assert hooked == run(False)


def test_hooks_on_z_nodes_print_delta_layer_by_layer():
    # The notebook cell: δ^l_j as the backward pass reaches each layer, checked against BP1–BP2.
    mlp = MLP(2, [3, 2], activation="sigmoid", seed=11)
    x, y = [0.6, -0.2], [0.0, 1.0]
    tr = mlp.trace(x)
    seen = []
    handles = [
        z.register_hook(lambda g, i=i, j=j: seen.append((i, j, g)))
        for i, layer in enumerate(tr.z)
        for j, z in enumerate(layer)
    ]
    cost = 0.5 * mg.sum([(yj - aj) ** 2 for yj, aj in zip(y, tr.a[-1], strict=True)])
    cost.backward()
    for h in handles:
        h.remove()
    assert [i for i, _, _ in seen] == [1, 1, 0, 0, 0]  # the output layer's δ first
    closed = backprop.backprop(mlp.weights(), mlp.biases(), x, y).delta
    for i, j, g in seen:
        assert g == pytest.approx(closed[i][j], rel=1e-12)


def test_hook_with_create_graph_sees_a_value():
    seen = []
    x = Value(0.7)
    u = x * x
    u.register_hook(lambda g: seen.append(g) or g * u)  # a Value replacement stays on the graph
    (d1,) = mg.grad(u * x, [x], create_graph=True)
    assert isinstance(seen[0], Value)
    tx = t(0.7)
    tu = tx * tx
    tu.register_hook(lambda g: g * tu)
    (td1,) = torch.autograd.grad(tu * tx, tx, create_graph=True)
    assert d1.data == pytest.approx(float(td1.detach()), rel=1e-14)
    assert mg.grad(d1, [x])[0] == pytest.approx(float(torch.autograd.grad(td1, tx)[0]), rel=1e-13)


# ------------------------------------------------------------------ no_grad, detach
def test_no_grad_results_are_leaves_and_nesting_restores():
    x = Value(2.0, "x")
    with mg.no_grad():
        y = (x * 3 + 1).tanh()
        with mg.no_grad():
            z = x * x
        w = mg.dot([x], [x], x) + mg.sum([x, x])
    after = x * x
    for v in (y, z, w):
        assert (v.parents, v.local_grads, v.op) == ((), (), "")
    assert y.data == math.tanh(7.0) and w.data == 10.0
    assert after.parents == (x, x)


def test_no_grad_restored_after_an_exception():
    x = Value(2.0)
    with pytest.raises(ZeroDivisionError), mg.no_grad():
        with mg.no_grad():
            x / 0
    assert (x * x).parents == (x, x)


def test_no_grad_as_a_decorator_and_reused_instance():
    ng = mg.no_grad()

    @mg.no_grad()
    def predict(v):
        return v * 2

    x = Value(1.0)
    assert predict(x).parents == ()
    with ng:
        with ng:
            assert (x * 2).parents == ()
        assert (x * 2).parents == ()
    assert (x * 2).parents[0] is x


def test_no_grad_is_per_thread():
    x = Value(2.0)
    mlp = MLP(2, [2, 1], seed=4)
    inside, done = threading.Event(), threading.Event()
    results = {}

    def other():
        with mg.no_grad():
            results["other"] = x * x
            results["other z"] = mlp.trace([0.1, 0.2]).z[0][0]
            inside.set()
            done.wait(10)

    th = threading.Thread(target=other)
    th.start()
    assert inside.wait(10)
    results["main"] = x * x  # the main thread records while the other is in no_grad
    results["main z"] = mlp.trace([0.1, 0.2]).z[0][0]  # a neuron's z too (its own fast path)
    done.set()
    th.join(10)
    assert results["other"].parents == () and results["other z"].parents == ()
    assert results["main"].parents == (x, x)
    assert len(results["main z"].parents) == 5 and results["main z"].op == "·+"

    # And the reverse: a thread started inside no_grad records (threads start fresh).
    with mg.no_grad():
        th = threading.Thread(target=lambda: results.update(fresh=x * x))
        th.start()
        th.join(10)
    assert results["fresh"].parents == (x, x)


def test_no_grad_mlp_matches_and_drops_the_graph():
    mlp = MLP(2, [4, 1], seed=2)
    out = mlp([0.1, 0.2])
    with mg.no_grad():
        quiet = mlp([0.1, 0.2])
        trace = mlp.trace([0.1, 0.2])
    assert quiet.data == out.data and quiet.parents == ()
    assert trace.z[0][0].label == "z^2_1" and trace.z[0][0].parents == ()


def test_backward_under_no_grad_still_works():
    x = Value(3.0)
    y = x * x
    with mg.no_grad():
        y.backward()
        assert mg.grad(y, [x]) == [6.0]
    assert x.grad == 6.0


def test_detach():
    x = Value(1.5, "x")
    d = x.detach()
    assert (d.data, d.label, d.parents, d.op) == (1.5, "x", (), "")
    assert d is not x
    y = x * x
    dy = y.detach()
    f = dy * x
    f.backward()
    assert x.grad == 2.25  # only the direct path: dy is a constant
    tx = t(1.5)
    (tx.detach() * tx * tx.detach()).backward()
    assert x.grad == float(tx.grad)
