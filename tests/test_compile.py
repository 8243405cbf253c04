"""microgrid.compile: a compiled step computes what the interpreter computes.

The interpreter (a fresh graph built on the same numbers, then ``backward()``) is the reference
for values, gradients and errors: a compiled step must agree with it bit for bit.  Independent
oracles check the numbers themselves: PyTorch float64 for every op, the closed form of
`microgrid.backprop` (BP1–BP4) for an MLP.
"""

from __future__ import annotations

import math
import operator
import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import microgrid
from microgrid import MLP, Const, Value
from microgrid.backprop import backprop
from microgrid.compiler import MAX_NODES, CompiledStep

REL = 1e-12


def close(a: float, b: float, rel: float = REL) -> bool:
    """Equal within ``rel`` (relative, with 1 as the floor of the scale), NaN equal to NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# ------------------------------------------------------------------ random graphs
# A recipe is a list of steps; step k reads earlier nodes (by index modulo their number) or a
# plain number (which becomes a Const), so graphs have shared nodes, constants and every op.
UNARY = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "softplus"]
POWERS = [2.0, 3.0, 0.0, 1.0, -1.0, -2.0, 0.5, 1.5, 2.5]
BINARY = ["+", "-", "*", "/", "**"]
# each binary op as a function of its two operands (Values or plain numbers)
BINARY_OPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow,
}
NARY = ["sum", "dot", "dot+"]

numbers = st.floats(-3.0, 3.0, allow_nan=False).map(lambda v: round(v, 3))
step_st = st.tuples(
    st.sampled_from(UNARY + ["pow"] + BINARY + NARY),
    st.lists(st.integers(0, 1000), min_size=1, max_size=5),
    numbers,  # the plain-number operand, when one is used
    st.integers(0, 2),  # 0: node op node; 1: node op number; 2: number op node
    st.sampled_from(POWERS),
)


def run_recipe(data: list[float], recipe: list[tuple]) -> tuple[list[Value], Value]:
    """Build the graph with the interpreter: leaves x_i = data[i], then each step.
    Raises whatever the engine raises."""
    labels = ["w^2_{11}", "b^2_1", "a^1_1", "", "x"]
    nodes: list[Value] = [Value(v, labels[i % len(labels)]) for i, v in enumerate(data)]
    leaves = list(nodes)
    for op, picks, c, form, n in recipe:
        a, b = nodes[picks[0] % len(nodes)], nodes[picks[-1] % len(nodes)]
        if op in UNARY:
            out = -a if op == "neg" else getattr(a, op)()
        elif op == "pow":
            out = a**n
        elif op in BINARY:
            f = BINARY_OPS[op]
            if form == 1:
                out = f(a, c)
            elif form == 2:
                out = f(c, a)
            else:
                out = f(a, b)
        else:
            vals = [nodes[i % len(nodes)] for i in picks]
            if op == "sum":
                out = microgrid.sum([*vals, c] if form == 1 else vals)
            else:
                half = max(1, len(vals) // 2)
                ws, xs = vals[:half], (vals[half:] + [c] * half)[:half]
                out = microgrid.dot(ws, xs, vals[0] if op == "dot+" else None)
        nodes.append(out)
    root = microgrid.sum(nodes[len(data) :]) if len(nodes) > len(data) else nodes[-1]
    return leaves, root


def interpreted(data, recipe) -> tuple[float, list[float]] | BaseException:
    """(root value, leaf gradients) from a fresh graph and backward(), or the exception."""
    try:
        leaves, root = run_recipe(data, recipe)
        root.backward()
    except (ArithmeticError, ValueError) as e:
        return e
    return root.data, [leaf.grad for leaf in leaves]


def assert_same_error(got: BaseException, want: BaseException) -> None:
    assert type(got) is type(want), (got, want)
    text = str(got)
    assert text and "math domain error" not in text and "math range error" not in text
    assert "float division by zero" not in text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data0=st.lists(st.floats(0.2, 2.0).map(lambda v: round(v, 3)), min_size=2, max_size=4),
    data1=st.lists(numbers, min_size=4, max_size=4),
    recipe=st.lists(step_st, min_size=1, max_size=12),
)
def test_random_graphs_replay_as_the_interpreter(data0, data1, recipe):
    """Compiled on one set of leaf data, replayed on another: the same value and gradients
    as a fresh graph built on the new data (or the same error)."""
    try:
        leaves, root = run_recipe(data0, recipe)
    except (ArithmeticError, ValueError):
        return  # not a graph the interpreter can build on data0 either
    step = microgrid.compile(root)
    new = data1[: len(data0)]
    for leaf, v in zip(leaves, new, strict=True):
        leaf.data = v
    want = interpreted(new, recipe)
    if isinstance(want, BaseException):
        before = [leaf.grad for leaf in leaves]
        with pytest.raises(type(want)) as info:
            step()
        assert_same_error(info.value, want)
        assert [leaf.grad for leaf in leaves] == before  # a failed step changes no gradient
        return
    got = step()
    value, grads = want
    assert close(got, value), (got, value)
    for leaf, g in zip(leaves, grads, strict=True):
        assert close(leaf.grad, g), (leaf.grad, g)


# ------------------------------------------------------------------ every op, against torch
def _torch_op(name, n=None):
    return {
        "neg": lambda a: -a,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "abs": torch.abs,
        "softplus": torch.nn.functional.softplus,
        "pow": lambda a: a**n,
    }[name]


# (op, data at compile time, data of the replay): branch ops switch branch on the replay.
UNARY_CASES = [
    ("neg", 0.7, -1.3),
    ("exp", 0.3, 2.1),
    ("log", 0.5, 3.0),
    ("sqrt", 2.0, 0.3),
    ("tanh", -0.4, 1.7),
    ("sigmoid", 2.0, -3.0),  # σ's two formulas: z ≥ 0, then z < 0
    ("sigmoid", -1.0, 40.0),
    ("relu", 1.5, -0.5),  # active → dead
    ("relu", -1.5, 0.25),  # dead → active
    ("abs", 2.0, -3.0),
    ("abs", -2.0, 0.0),  # abs'(0) = 0
    ("softplus", 1.0, -2.0),
    ("softplus", -1.0, 30.0),
]


@pytest.mark.parametrize("op,x0,x1", UNARY_CASES)
def test_each_unary_op_follows_new_data(op, x0, x1):
    x = Value(x0, "x")
    y = -x if op == "neg" else getattr(x, op)()
    out = y * 3.0
    step = microgrid.compile(out)
    x.data = x1
    got = step()
    # the interpreter on the new data
    x2 = Value(x1)
    y2 = (-x2 if op == "neg" else getattr(x2, op)()) * 3.0
    y2.backward()
    assert close(got, y2.data) and close(x.grad, x2.grad)
    # and PyTorch float64
    t = torch.tensor(x1, dtype=torch.float64, requires_grad=True)
    r = _torch_op(op)(t) * 3.0
    r.backward()
    assert close(got, r.item()) and close(x.grad, t.grad.item())


@pytest.mark.parametrize("n,x0,x1", [(2.0, 1.5, -0.7), (3.0, 2.0, -1.1), (-1.0, 2.0, 0.4),
                                     (0.5, 4.0, 0.09), (1.5, 0.5, 2.5), (0.0, 3.0, -2.0),
                                     (-2.0, 1.0, -3.0)])
def test_power_with_a_number_exponent(n, x0, x1):
    x = Value(x0, "x")
    step = microgrid.compile(x**n + x)
    x.data = x1
    got = step()
    t = torch.tensor(x1, dtype=torch.float64, requires_grad=True)
    r = t**n + t
    r.backward()
    assert close(got, r.item()) and close(x.grad, t.grad.item())


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("form", ["node-node", "node-number", "number-node", "same-node"])
def test_each_binary_op(op, form):
    f = BINARY_OPS[op]
    a, b = Value(1.3, "a"), Value(0.6, "b")
    if form == "node-node":
        args = (a, b)
    elif form == "node-number":
        args = (a, 0.75)
    elif form == "number-node":
        args = (1.75, b)
    else:
        args = (a, a)
    step = microgrid.compile(f(*args))
    a.data, b.data = 2.2, 1.4
    got = step()
    ta = torch.tensor(2.2, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(1.4, dtype=torch.float64, requires_grad=True)
    targs = {"node-node": (ta, tb), "node-number": (ta, 0.75), "number-node": (1.75, tb),
             "same-node": (ta, ta)}[form]
    r = f(*targs)
    r.backward()
    assert close(got, r.item())
    for v, t in ((a, ta), (b, tb)):
        assert close(v.grad, 0.0 if t.grad is None else t.grad.item())


@pytest.mark.parametrize("bias", [False, True])
def test_fused_dot_and_sum(bias):
    ws = [Value(v, f"w^2_{{1{k}}}") for k, v in enumerate([0.5, -1.0, 2.0], 1)]
    xs = [Value(v, f"a^1_{k}") for k, v in enumerate([1.0, 0.25, -0.5], 1)]
    b = Value(0.1, "b^2_1")
    z = microgrid.dot(ws, xs, b if bias else None)
    out = microgrid.sum([z, z * z, 2.0])
    step = microgrid.compile(out)
    new = [1.5, -0.5, 0.25, 2.0, -1.0, 0.5, 0.3]
    for v, d in zip([*ws, *xs, b], new, strict=True):
        v.data = d
    got = step()
    ts = [torch.tensor(d, dtype=torch.float64, requires_grad=True) for d in new]
    tz = sum(w * x for w, x in zip(ts[:3], ts[3:6], strict=True)) + (ts[6] if bias else 0.0)
    r = tz + tz * tz + 2.0
    r.backward()
    assert close(got, r.item())
    for v, t in zip([*ws, *xs, b], ts, strict=True):
        assert close(v.grad, 0.0 if t.grad is None else t.grad.item())


# ------------------------------------------------------------------ accumulation, leaves
def test_two_steps_double_the_gradients():
    x, y = Value(0.3, "x"), Value(-1.2, "y")
    step = microgrid.compile((x * y).tanh() + x.exp() * y)
    step()
    g1 = (x.grad, y.grad)
    step()
    assert (x.grad, y.grad) == (2 * g1[0], 2 * g1[1])
    assert g1 != (0.0, 0.0)


def test_gradients_add_to_what_the_leaves_hold():
    x = Value(2.0, "x")
    step = microgrid.compile(x * x)
    x.grad = 10.0
    assert step() == 4.0
    assert x.grad == 14.0


def test_consts_are_baked_and_interior_nodes_untouched_until_sync():
    x = Value(1.0, "x")
    h = (x * 2.0).tanh()
    h.label = "h"
    out = h * h
    step = microgrid.compile(out)
    assert all(type(leaf) is not Const for leaf in step.leaves)
    x.data = -0.5
    assert step() != out.data  # the graph still holds the build's numbers
    stale = h.data
    value = step.sync()
    assert h.data != stale and out.data == value
    fresh = Value(-0.5)
    fh = (fresh * 2.0).tanh()
    (fh * fh).backward()
    assert h.data == fh.data and h.grad == fh.grad
    # after sync the graph's local gradients are current too: backward() on it is right
    x.grad = 0.0
    out.backward()
    assert x.grad == fresh.grad


def test_a_leaf_root_and_a_root_of_constants():
    x = Value(3.0, "x")
    step = microgrid.compile(x)
    assert step() == 3.0 and x.grad == 1.0
    c = Const(2.0) * 3.0
    assert microgrid.compile(c)() == 6.0


def test_keep_writes_the_outputs_each_step():
    model = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=2)
    xs = [[0.5, -1.0], [1.0, 0.25]]
    outs = [model(x) for x in xs]
    step = microgrid.compile(microgrid.sum([o * o for o in outs]), keep=outs)
    for p in model.parameters():
        p.data += 0.1
    step()
    assert [o.data for o in outs] == [model(x).data for x in xs]
    with pytest.raises(ValueError, match="not in the graph"):
        microgrid.compile(outs[0], keep=[outs[1]])


# ------------------------------------------------------------------ errors, as the interpreter
def _error_of(build, data):
    leaves = [Value(d) for d in data]
    try:
        build(*leaves).backward()
    except (ArithmeticError, ValueError) as e:
        return e
    raise AssertionError("the interpreter did not raise")


ERROR_CASES = [
    ("log of 0", lambda x: x.log(), [1.0], [0.0]),
    ("log of x < 0", lambda x: x.log(), [1.0], [-2.0]),
    ("division by zero", lambda x, y: x / y, [1.0, 2.0], [1.0, 0.0]),
    ("sqrt of 0", lambda x: x.sqrt(), [1.0], [0.0]),
    ("sqrt of x < 0", lambda x: x.sqrt(), [1.0], [-1.0]),
    ("exp overflow", lambda x: x.exp(), [1.0], [710.0]),
    ("power: negative base", lambda x: x**0.5, [1.0], [-4.0]),
    ("power: 0 ** 0.5", lambda x: x**0.5, [1.0], [0.0]),
    ("power: 0 ** -1", lambda x: x**-1, [1.0], [0.0]),
    ("power overflow", lambda x: x**3, [1.0], [1e200]),
    ("power: Value exponent, base ≤ 0", lambda x, y: x**y, [2.0, 2.0], [-2.0, 2.0]),
    ("power: Value exponent, base 0", lambda x, y: x**y, [2.0, 2.0], [0.0, 2.0]),
    ("power: Value exponent, overflow", lambda x, y: x**y, [2.0, 2.0], [10.0, 400.0]),
    ("root not finite", lambda x, y: x * y, [1.0, 1.0], [1e200, 1e200]),
    ("error under a dead relu", lambda x: x.log().relu() * 0.0, [2.0], [-1.0]),
    # Python's own ** returns 0.0 here without a word, and no gradient line that would raise is
    # run: the relu is dead, so the chain rule stops at it
    ("power: 0 ** Value under a dead relu", lambda x: x.relu() ** x.relu(), [1.0], [0.0]),
    ("power: 0 ** 0.5 under a dead relu", lambda x: x.relu() ** 0.5, [1.0], [0.0]),
    ("power: -1 ** 0.5 under abs", lambda x: (x**0.5).abs(), [1.0], [-1.0]),
    # math.sqrt(0.0) is 0.0, and the gradient line that would divide by it is not run: the
    # relu below it is dead (found by hypothesis)
    ("sqrt of 0 over a dead relu", lambda x: x.relu().sqrt(), [1.0], [0.0]),
    # the interpreter computes a node's local gradients as it makes the node: d(x⁻¹)/dx =
    # −x⁻² overflows there, before the log below is reached
    ("a local gradient's overflow before a later error", lambda x, y: x**-1 * y.log(),
     [1.0, 2.0], [1e-200, -1.0]),
]


@pytest.mark.parametrize("what,build,data0,data1", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_domain_errors_at_replay_are_the_interpreters(what, build, data0, data1):
    leaves = [Value(d, f"x{k}") for k, d in enumerate(data0)]
    step = microgrid.compile(build(*leaves))
    for leaf, d in zip(leaves, data1, strict=True):
        leaf.data = d
    want = _error_of(build, data1)
    with pytest.raises(type(want)) as info:
        step()
    assert str(info.value) == str(want)
    assert any("compiled step" in note for note in getattr(info.value, "__notes__", [])) or (
        what == "root not finite"
    )
    assert all(leaf.grad == 0.0 for leaf in leaves)
    # the step works again once the data is valid
    for leaf, d in zip(leaves, data0, strict=True):
        leaf.data = d
    step()


def test_nonfinite_gradient_under_a_zero_gradient_is_the_interpreters():
    # 1/x at a subnormal x is inf; the node's gradient is 0 (times 0.0), so the interpreter
    # skips it and x's gradient is a plain number, never 0·∞ = NaN.
    x, y = Value(1.0, "x"), Value(1.0, "y")
    out = (y / x) * 0.0 + y
    step = microgrid.compile(out)
    x.data, y.data = 5e-324, 1e-300
    step()
    x2, y2 = Value(5e-324), Value(1e-300)
    ((y2 / x2) * 0.0 + y2).backward()
    assert close(x.grad, x2.grad) and close(y.grad, y2.grad)


def test_bad_arguments_and_unknown_ops():
    with pytest.raises(TypeError, match="expected a Value"):
        microgrid.compile(3.0)
    x = Value(1.0)
    odd = x * 2.0
    odd.op = "cube"
    with pytest.raises(ValueError, match="unknown op 'cube'"):
        microgrid.compile(odd)
    # the op text says what a node computes (it is the op table's key): an exponent edited by
    # hand is replayed as written, as the interpreter's own replay (sync) reads it, and a text
    # the table does not know is refused, never guessed
    cube_root = Value(2.0) ** (1 / 3)
    cube_root.op = "**0.333333"
    step = microgrid.compile(cube_root)
    assert step() == 2.0**0.333333 == step.sync()
    cube_root.op = "**x"
    with pytest.raises(ValueError, match=r"unknown op '\*\*x'"):
        microgrid.compile(cube_root)


def test_any_float_exponent_compiles_exactly():
    x = Value(2.0)
    root = x ** (1 / 3)
    step = microgrid.compile(root)
    assert step() == root.data
    assert x.grad == root.local_grads[0]


# ------------------------------------------------------------------ training
def _loss(model, xs, ys):
    return microgrid.sum(
        [(model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True)]
    ) * (1.0 / len(xs))


def test_sgd_trajectory_rebuilt_vs_compiled():
    rng = random.Random(5)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(8)]
    ys = [math.sin(2 * a) * b for a, b in xs]
    rebuilt = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=3)
    compiled = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=3)
    step = microgrid.compile(_loss(compiled, xs, ys))
    # Today the two are bit-identical (the compiled code adds in backward()'s order); the
    # tolerance leaves room for an interpreter that orders its additions differently.
    for _ in range(100):
        rebuilt.zero_grad()
        loss = _loss(rebuilt, xs, ys)
        loss.backward()
        compiled.zero_grad()
        assert close(step(), loss.data)
        for p, q in zip(rebuilt.parameters(), compiled.parameters(), strict=True):
            assert close(p.grad, q.grad)
            p.data -= 0.2 * p.grad
            q.data -= 0.2 * q.grad
            assert close(p.data, q.data)
    assert loss.data < 0.5 * _loss(MLP(2, [4, 1], "tanh", "linear", seed=3), xs, ys).data


def test_new_batch_in_the_input_leaves():
    model = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=1)
    xs = [[Value(0.5, "a^1_1"), Value(-0.5, "a^1_2")] for _ in range(4)]
    ys = [Value(0.0, "y") for _ in range(4)]
    step = microgrid.compile(
        microgrid.sum([(model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True)])
    )
    rng = random.Random(2)
    batch = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(4)]
    targets = [rng.uniform(-1, 1) for _ in range(4)]
    for x, row, y, t in zip(xs, batch, ys, targets, strict=True):
        x[0].data, x[1].data, y.data = row[0], row[1], t
    model.zero_grad()
    got = step()
    model2 = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=1)
    want = microgrid.sum([(model2(r) - t) ** 2 for r, t in zip(batch, targets, strict=True)])
    want.backward()
    assert close(got, want.data)
    for p, q in zip(model.parameters(), model2.parameters(), strict=True):
        assert close(p.grad, q.grad)


# ------------------------------------------------------------------ the source, for people
def _net_2_2_1():
    model = MLP(2, [2, 1], activation="sigmoid", seed=4)
    t = model.trace([0.3, -0.8])
    cost = 0.5 * (t.output - 1.0) ** 2
    cost.label = "C"
    return model, t, cost


def test_source_reads_like_the_equations():
    model, t, cost = _net_2_2_1()
    step = microgrid.compile(cost)
    src = step.source
    for line in ("z2_1 = w2_11 * a1_1 + w2_12 * a1_2 + b2_1", "a2_1 = σ(z2_1)",
                 "z3_1 = w3_11 * a2_1 + w3_12 * a2_2 + b3_1"):
        assert line in src
    lines = src.splitlines()

    def line_of(start):
        return next(k for k, s in enumerate(lines) if s.strip().startswith(start))

    assert "# BP1" in lines[line_of("δ3_1 =")]
    assert "# BP2" in lines[line_of("δ2_1 =")]
    assert "# BP3" in lines[line_of("dC_db2_1 =")]
    assert "# BP4" in lines[line_of("dC_dw2_11 =")]
    # chain-rule order: the output's δ before the hidden ones, and each before its use
    assert line_of("δ3_1 =") < line_of("δ2_1 =") < line_of("dC_dw2_11 =")
    assert "docs/backprop.md" in src
    assert max(len(s) for s in lines) <= 100


def test_compiled_221_net_equals_the_closed_form():
    model, t, cost = _net_2_2_1()
    step = microgrid.compile(cost)
    model.zero_grad()
    c = step()
    r = backprop(model.weights(), model.biases(), x=[0.3, -0.8], y=[1.0])
    assert close(c, r.cost)
    for layer, gw, gb in zip(model.layers, r.grad_w, r.grad_b, strict=True):
        for neuron, row, b in zip(layer.neurons, gw, gb, strict=True):
            assert close(neuron.b.grad, b)  # BP3
            assert all(close(w.grad, g) for w, g in zip(neuron.w, row, strict=True))  # BP4
    step.sync()  # δ^l_j = ∂C/∂z^l_j written into the z nodes
    for zs, deltas in zip(t.z, r.delta, strict=True):
        assert all(close(z.grad, d) for z, d in zip(zs, deltas, strict=True))  # BP1, BP2


def test_names_are_valid_unique_identifiers():
    a = Value(1.0, "lambda")
    b = Value(2.0, "x y+z")
    c = Value(3.0, "9lives")
    d = Value(4.0, "ﬁ")  # NFKC makes this "fi": it must not clash with the next one
    e = Value(5.0, "fi")
    f = Value(6.0, "step")
    out = (a * b + c * d + e * f).tanh() + (a - 1.0).exp()
    step = microgrid.compile(out)
    assert step() == out.data
    head = step.source.split("= [leaf.data", 1)[0].split("def step(leaves, kept):", 1)[1]
    names = [n.strip(" (),\n") for n in head.split(",") if n.strip(" (),\n")]
    assert len(names) == len(set(names)) == 6
    assert all(n.isidentifier() for n in names)


@pytest.mark.parametrize("uses", [3, 100])  # ∂C/∂a as one line, and as a long block
def test_a_relu_that_dies_or_wakes_passes_the_right_gradient(uses):
    x = Value(1.0, "x")
    a = (x * 2.0 - 1.0).relu()
    out = microgrid.sum([a * float(k) + x for k in range(uses)])
    step = microgrid.compile(out)
    for new in (-1.0, 0.5, 0.0, 2.0, 0.25):  # dead, alive, at the kink (relu'(0) = 0), …
        x.data, x.grad = new, 0.0
        got = step()
        x2 = Value(new)
        a2 = (x2 * 2.0 - 1.0).relu()
        want = microgrid.sum([a2 * float(k) + x2 for k in range(uses)])
        want.backward()
        assert close(got, want.data) and close(x.grad, x2.grad), new


# ------------------------------------------------------------------ big graphs
def test_a_million_node_chain_is_refused_at_once():
    # The refusal counts nodes only up to the limit: no code is generated for such a graph.
    x = Value(0.5, "x")
    y = x
    for _ in range(1_000_000):
        y = y + x
    with pytest.raises(ValueError, match=f"more than {MAX_NODES:,} nodes.*backward"):
        microgrid.compile(y)
    y.backward()  # the graph is untouched and the interpreter still handles it
    assert x.grad == 1_000_001.0
    with pytest.raises(ValueError, match="more than 5 nodes"):
        microgrid.compile(x * 2.0 + 1.0 + x + x + x, max_nodes=5)


def test_long_sums_and_a_node_feeding_thousands_compile():
    x = Value(0.5, "x")
    y = x
    for _ in range(3000):
        y = y + x  # x feeds 3,000 nodes: its gradient is a 3,000-term sum
    big = microgrid.sum([x * float(k) for k in range(5000)])  # a 5,000-term Σ node
    out = y + big
    step = microgrid.compile(out)
    got = step()
    x2 = Value(0.5)
    y2 = x2
    for _ in range(3000):
        y2 = y2 + x2
    out2 = y2 + microgrid.sum([x2 * float(k) for k in range(5000)])
    out2.backward()
    assert close(got, out2.data) and close(x.grad, x2.grad)
    assert isinstance(step, CompiledStep)
