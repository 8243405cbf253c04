"""The op table (microgrid/ops.py): every entry, and a user's op, against PyTorch float64.

One list of test points, keyed by the table: a built-in op without points fails the first
test, so a new op cannot go untested.  For each op and point: the value, the gradient and the
second derivatives against torch; the drawing, the explorer and the compiled replay each know
it.  Then `microgrid.op`: a user's arctan and two-input hypotenuse work in backward, grad of second
order, hooks, no_grad, compile, draw_dot and explore, and bad rules are named.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re

import pytest
import torch

import microgrid as mg
from microgrid import Value, ops
from microgrid.drawing import draw_dot
from microgrid.engine import apply
from microgrid.explorer.formulas import write_op
from microgrid.explorer.page import read_data

F64 = torch.float64

# op name → operand points; the power family by three of its members
POINTS = {
    "+": [(0.7, -1.3)], "-": [(0.7, -1.3)], "*": [(0.7, -1.3)], "/": [(0.7, -1.3)],
    "neg": [(0.7,)], "**": [(1.7, -0.6)],
    "exp": [(0.4,)], "log": [(0.4,)], "sqrt": [(0.4,)], "sin": [(0.4,), (-2.1,)],
    "cos": [(0.4,), (-2.1,)], "tanh": [(0.4,)], "σ": [(0.4,), (-3.1,)],
    "ReLU": [(0.4,), (-0.4,)], "abs": [(0.4,), (-0.4,)], "softplus": [(0.4,), (-2.4,)],
    "Σ": [(0.3, -1.2, 2.0)], "·": [(0.3, -1.2, 2.0, 0.5)], "·+": [(0.3, -1.2, 2.0, 0.5, -0.9)],
    "**3": [(-0.7,)], "**0.5": [(1.7,)], "**-1.5": [(1.7,)],
}
BUILT_IN = sorted(name for name, entry in ops.table.items() if not entry.user_defined)
CASES = [(name, p) for name, points in POINTS.items() for p in points]
IDS = [f"{name}@{p}" for name, p in CASES]


def _torch_op(name: str):
    """The op on tensors: the entry's own torch equivalent; the n-ary ones composed."""
    entry = ops.get(name)
    if entry.torch is not None:
        if name.startswith("**") and name != "**":
            n = float(name[2:])
            return lambda x: entry.torch(x, n)
        return entry.torch
    if name == "Σ":
        return lambda *ts: sum(ts[1:], ts[0])
    n = (len(POINTS[name][0]) - (name == "·+")) // 2
    return lambda *ts: sum((w * x for w, x in zip(ts[:n], ts[n : 2 * n])), ts[-1] * 0) + (
        ts[-1] if name == "·+" else 0)


def _ours(name: str, point: tuple) -> tuple[list[Value], Value]:
    xs = [Value(p, f"x{i}") for i, p in enumerate(point)]
    return xs, apply(name, xs)


def test_every_built_in_op_has_test_points():
    assert set(BUILT_IN) == {n for n in POINTS if not n.startswith("**") or n == "**"}


def test_every_entry_says_how_it_is_drawn_and_written():
    for name in BUILT_IN:
        entry = ops.get(name)
        assert entry.symbol and entry.name == name
        assert entry.formula is not None or entry.arity is None
        assert entry.torch is not None or entry.arity is None


@pytest.mark.parametrize(("name", "point"), CASES, ids=IDS)
def test_value_and_gradient_match_torch(name, point):
    xs, y = _ours(name, point)
    y.backward()
    ts = [torch.tensor(p, dtype=F64, requires_grad=True) for p in point]
    ty = _torch_op(name)(*ts)
    grads = torch.autograd.grad(ty, ts, allow_unused=True)
    assert y.data == pytest.approx(float(ty.detach()), rel=1e-13, abs=1e-15)
    for x, g in zip(xs, grads, strict=True):
        assert x.grad == pytest.approx(0.0 if g is None else float(g), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("name", "point"), CASES, ids=IDS)
def test_second_derivatives_match_torch(name, point):
    xs = [Value(p) for p in point]
    first = mg.grad(apply(name, xs), xs, create_graph=True)
    ours = [mg.grad(g, xs, allow_unused=True) for g in first]
    h = torch.autograd.functional.hessian(
        _torch_op(name), tuple(torch.tensor(p, dtype=F64) for p in point))
    for i in range(len(point)):
        for j in range(len(point)):
            assert ours[i][j] == pytest.approx(float(h[i][j]), rel=1e-10, abs=1e-12), (i, j)


@pytest.mark.parametrize(("name", "point"), CASES, ids=IDS)
def test_the_forward_pass_stores_the_rule_on_floats(name, point):
    _, y = _ours(name, point)
    local = ops.get(name).derivative(*point, y.data)
    assert y.local_grads == (local if isinstance(local, tuple) else (local,))


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_op_is_drawn_with_its_table_symbol(name):
    _, y = _ours(name, POINTS[name][0])
    source = draw_dot(y).source.replace("label=<", "label=")  # the labels' text, untagged
    shown = html.unescape(re.sub(r"<[^>]+>", "", source))
    assert ops.get(name).symbol.replace("^", "") in shown


@pytest.mark.parametrize("name", BUILT_IN)
def test_the_explorer_writes_every_op_by_its_formula_not_by_its_name(name):
    terms = [(f"x{i}", 5) for i in range(len(POINTS[name][0]))]
    text, _ = write_op(name, terms)
    assert not text.startswith(f"{name}(") or ops.get(name).formula.startswith(name)
    assert all(t in text for t, _ in terms)


@pytest.mark.parametrize(("name", "point"), CASES, ids=IDS)
def test_every_op_compiles_to_the_interpreters_numbers(name, point):
    xs, y = _ours(name, point)
    y.backward()
    want = [x.grad for x in xs]
    for x in xs:
        x.grad = 0.0
    step = mg.compile(y)
    assert step() == y.data
    assert [x.grad for x in xs] == want


def test_a_wrong_rule_in_the_table_is_caught_against_torch(monkeypatch):
    # the planted bug the tests above exist for: σ' = σ(1 + σ)
    wrong = dataclasses.replace(ops.sigmoid, derivative=lambda z, out: out * (1.0 + out))
    monkeypatch.setattr(ops, "sigmoid", wrong)
    monkeypatch.setitem(ops.table, "σ", wrong)
    with pytest.raises(AssertionError):
        test_value_and_gradient_match_torch("σ", (0.4,))


@pytest.mark.parametrize(
    ("f", "error", "match"),
    [
        (lambda: mg.log(0.0), ValueError, r"log\(0\.0\): log is defined only for x > 0"),
        (lambda: Value(-1.0).log(), ValueError, r"log\(-1\.0\)"),
        (lambda: Value(0.0).sqrt(), ValueError, r"sqrt\(0\.0\)"),
        (lambda: mg.exp(710.0), OverflowError, r"exp\(710\.0\) overflows"),
        (lambda: Value(800.0).exp(), OverflowError, "overflows"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
        (lambda: Value(-2.0) ** 0.5, ValueError, "not real"),
        (lambda: mg.sin("x"), TypeError, r"sin: expected a real number or a Value, got str"),
        (lambda: mg.tanh(math.nan), ValueError, "tanh: got nan"),
    ],
)
def test_a_domain_error_names_the_op_and_the_value(f, error, match):
    with pytest.raises(error, match=match):
        f()


def test_the_functions_take_floats_or_values():
    x = Value(0.3)
    assert mg.sin(0.3) == math.sin(0.3) and isinstance(mg.sin(0.3), float)
    assert mg.sin(x).op == "sin" and mg.sin(x).parents == (x,)
    assert mg.sigmoid(x).op == x.sigmoid().op == "σ"
    assert x.cos().data == math.cos(0.3)


# ------------------------------------------------------------------ a user's op
arctan = mg.op("arctan", derivative=lambda x, out: 1 / (1 + x * x))(math.atan)
hypotenuse = mg.op("hypotenuse", derivative=lambda x, y, out: (x / out, y / out),
                   arity=2)(math.hypot)


def _user_graph(x: Value, y: Value) -> Value:
    return hypotenuse(arctan(x * 2), y) * x


def _torch_user_graph(x, y):
    return torch.hypot(torch.atan(x * 2), y) * x


def test_a_users_op_is_an_entry_of_the_table():
    assert ops.get("arctan") is arctan and arctan.arity == 1 and hypotenuse.arity == 2
    assert arctan(0.5) == math.atan(0.5)


def test_a_users_op_backward_matches_torch():
    x, y = Value(0.5), Value(-1.5)
    _user_graph(x, y).backward()
    tx, ty = (torch.tensor(v, dtype=F64, requires_grad=True) for v in (0.5, -1.5))
    gx, gy = torch.autograd.grad(_torch_user_graph(tx, ty), (tx, ty))
    assert x.grad == pytest.approx(float(gx), rel=1e-13)
    assert y.grad == pytest.approx(float(gy), rel=1e-13)


def test_a_users_op_has_second_derivatives_that_match_torch():
    xs = [Value(0.5), Value(-1.5)]
    first = mg.grad(_user_graph(*xs), xs, create_graph=True)
    ours = [mg.grad(g, xs) for g in first]
    h = torch.autograd.functional.hessian(
        _torch_user_graph, (torch.tensor(0.5, dtype=F64), torch.tensor(-1.5, dtype=F64)))
    for i in range(2):
        for j in range(2):
            assert ours[i][j] == pytest.approx(float(h[i][j]), rel=1e-10)


def test_a_hook_on_a_users_op_sees_and_replaces_its_gradient():
    x = Value(0.5)
    u = arctan(x)
    seen = []
    handle = u.register_hook(lambda g: seen.append(g) or 2 * g)
    (u * 3).backward()
    handle.remove()
    assert seen == [3.0] and x.grad == pytest.approx(6 / (1 + 0.25))


def test_a_users_op_under_no_grad_records_nothing():
    x = Value(0.5)
    with mg.no_grad():
        u = hypotenuse(x, 1.0)
    assert u.parents == () and u.data == math.hypot(0.5, 1.0)


def test_a_users_op_compiles_and_replays_the_interpreter():
    x, y = Value(0.5), Value(-1.5)
    root = _user_graph(x, y)
    step = mg.compile(root)
    x.data, y.data = 0.8, 2.0
    value = step()
    fx, fy = Value(0.8), Value(2.0)
    fresh = _user_graph(fx, fy)
    fresh.backward()
    assert value == fresh.data and (x.grad, y.grad) == (fx.grad, fy.grad)


def test_a_users_op_is_drawn_and_explored_by_its_name():
    x = Value(0.5, "x")
    root = hypotenuse(arctan(x), 2.0)
    assert "arctan" in draw_dot(root).source and "hypotenuse" in draw_dot(root).source
    steps = json.dumps(read_data(mg.explore(root).html), ensure_ascii=False)
    assert "arctan(" in steps and "hypotenuse(" in steps


def test_a_rule_that_returns_the_wrong_count_is_named():
    bad = mg.op("bad_count", derivative=lambda x, y, out: 1.0, arity=2)(math.hypot)
    with pytest.raises(ValueError, match="'bad_count': its derivative returned 1 value"):
        bad(Value(1.0), Value(2.0))


def test_a_rule_that_returns_a_non_finite_number_is_named():
    bad = mg.op("bad_slope", derivative=lambda x, out: math.inf)(math.atan)
    with pytest.raises(ValueError, match=r"'bad_slope': ∂out/∂x1: got inf"):
        bad(Value(1.0))


def test_a_users_functions_own_error_reaches_the_user_with_the_ops_name():
    acosh = mg.op("acosh", derivative=lambda x, out: 1 / mg.sqrt(x * x - 1))(math.acosh)
    with pytest.raises(ValueError, match=r"operation 'acosh' on 0\.5: math domain error"):
        acosh(Value(0.5))


def test_a_built_in_op_cannot_be_redefined():
    with pytest.raises(ValueError, match="'exp' is a built-in operation"):
        mg.op("exp", derivative=lambda x, out: out)(math.exp)
