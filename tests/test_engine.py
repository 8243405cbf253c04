"""Specification of microgrid.engine: every operation's value and gradient, backward() semantics,
the shape of the graph, and the errors bad input must raise.

Oracles: the same formula on plain floats (closed form), central finite differences of that
formula, and PyTorch in float64.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import micrograd.engine
import numpy as np
import pytest
import torch

import microgrid as mg
from microgrid import Value


def _softplus_torch(x):
    return torch.nn.functional.softplus(x)


def _stack_sum(*xs):
    return torch.stack(xs).sum()


def _stack_dot(*args, bias=None):
    n = len(args) // 2
    z = torch.dot(torch.stack(args[:n]), torch.stack(args[n:]))
    return z if bias is None else z + bias


@dataclass(frozen=True)
class Op:
    """One operation: ``f`` on Values, ``ref`` on floats (default: f), ``th`` on torch tensors
    (default: f), and the points (away from kinks) to check it at."""

    name: str
    f: Callable
    points: tuple
    ref: Callable | None = None
    th: Callable | None = None


OPS = [
    Op("x + y", lambda x, y: x + y, ((0.3, -1.2), (2.0, 5.5))),
    Op("x - y", lambda x, y: x - y, ((0.3, -1.2), (2.0, 5.5))),
    Op("x * y", lambda x, y: x * y, ((0.3, -1.2), (2.0, 5.5))),
    Op("x / y", lambda x, y: x / y, ((1.5, -0.4), (-2.0, 3.0))),
    Op("x ** 3", lambda x: x**3, ((-1.3,), (0.7,))),
    Op("x ** -2", lambda x: x**-2, ((-1.3,), (0.7,))),
    Op("x ** 0.5", lambda x: x**0.5, ((0.7,), (4.0,))),
    Op("x ** 2.5", lambda x: x**2.5, ((1.3,), (0.2,))),
    Op("x ** 0", lambda x: x**0, ((1.3,), (-0.2,))),
    Op("x ** y (Value exponent)", lambda x, y: x**y, ((1.7, 2.3), (0.4, -1.5))),
    Op("-x", lambda x: -x, ((0.8,), (-2.5,))),
    Op("x + 2", lambda x: x + 2, ((0.8,), (-2.5,))),
    Op("2 + x", lambda x: 2 + x, ((0.8,), (-2.5,))),
    Op("x - 2", lambda x: x - 2, ((0.8,), (-2.5,))),
    Op("2 - x", lambda x: 2 - x, ((0.8,), (-2.5,))),
    Op("x * 3", lambda x: x * 3, ((0.8,), (-2.5,))),
    Op("3 * x", lambda x: 3 * x, ((0.8,), (-2.5,))),
    Op("x / 4", lambda x: x / 4, ((0.8,), (-2.5,))),
    Op("2 / x", lambda x: 2 / x, ((0.8,), (-2.5,))),
    Op("2 ** x", lambda x: 2**x, ((0.8,), (-2.5,))),
    Op("2.5 * x - x / 3 + 1", lambda x: 2.5 * x - x / 3 + 1, ((0.8,), (-2.5,))),
    Op("exp", lambda x: x.exp(), ((0.8,), (-2.5,), (10.0,)), ref=math.exp),
    Op("log", lambda x: x.log(), ((0.8,), (2.5,), (1e-3,)), ref=math.log),
    Op("sqrt", lambda x: x.sqrt(), ((0.8,), (2.5,)), ref=math.sqrt),
    Op("tanh", lambda x: x.tanh(), ((0.8,), (-2.5,)), ref=math.tanh),
    Op("sigmoid", lambda x: x.sigmoid(), ((0.8,), (-2.5,), (7.0,)),
       ref=lambda x: 1.0 / (1.0 + math.exp(-x))),
    Op("relu", lambda x: x.relu(), ((0.8,), (-2.5,)), ref=lambda x: max(x, 0.0)),
    Op("abs", lambda x: x.abs(), ((0.8,), (-2.5,)), ref=abs),
    Op("abs()", abs, ((0.8,), (-2.5,))),
    Op("softplus", lambda x: x.softplus(), ((0.8,), (-2.5,), (30.0,), (-30.0,)),
       ref=lambda x: math.log1p(math.exp(x)), th=_softplus_torch),
    Op("microgrid.sum", lambda a, b, c: mg.sum([a, b, c]), ((0.3, -1.2, 4.0),),
       ref=lambda a, b, c: a + b + c, th=_stack_sum),
    Op("microgrid.dot", lambda w1, w2, x1, x2: mg.dot([w1, w2], [x1, x2]),
       ((0.3, -1.2, 0.5, 2.0), (1.5, 0.25, -0.7, 0.1)),
       ref=lambda w1, w2, x1, x2: w1 * x1 + w2 * x2, th=_stack_dot),
    Op("microgrid.dot with bias", lambda w1, w2, x1, x2, b: mg.dot([w1, w2], [x1, x2], b),
       ((0.3, -1.2, 0.5, 2.0, -0.4), (1.5, 0.25, -0.7, 0.1, 3.0)),
       ref=lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
       th=lambda w1, w2, x1, x2, b: _stack_dot(w1, w2, x1, x2, bias=b)),
]

CASES = [pytest.param(op, point, id=f"{op.name} at {point}") for op in OPS for point in op.points]


def _ref(op: Op) -> Callable:
    return op.ref or op.f


def _central_difference(f: Callable, point: tuple, i: int, h: float = 1e-6) -> float:
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


# ---------------------------------------------------------------- values and gradients


@pytest.mark.parametrize("op, point", CASES)
def test_value_matches_the_formula_on_floats(op, point):
    out = op.f(*map(Value, point))
    assert isinstance(out, Value)
    assert out.data == pytest.approx(_ref(op)(*point), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("op, point", CASES)
def test_gradient_matches_central_finite_differences(op, point):
    xs = [Value(p) for p in point]
    op.f(*xs).backward()
    for i, x in enumerate(xs):
        expected = _central_difference(_ref(op), point, i)
        assert x.grad == pytest.approx(expected, rel=1e-6, abs=1e-7), f"input {i}"


@pytest.mark.parametrize("op, point", CASES)
def test_value_and_gradient_match_pytorch_float64(op, point):
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    out_t = (op.th or op.f)(*ts)
    out_t.backward()
    xs = [Value(p) for p in point]
    out = op.f(*xs)
    out.backward()
    assert out.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-300)
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        assert x.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15), f"input {i}"


@pytest.mark.parametrize("op, point", CASES)
def test_local_grads_exist_right_after_the_forward_pass(op, point):
    out = op.f(*map(Value, point))
    assert out.grad == 0.0
    assert isinstance(out.parents, tuple)
    assert isinstance(out.local_grads, tuple)
    assert len(out.local_grads) == len(out.parents) > 0
    assert all(type(g) is float for g in out.local_grads)
    assert out.op != ""


def _is_one_node(param) -> bool:
    op, point = param.values
    return not any(p.parents for p in op.f(*map(Value, point)).parents)


@pytest.mark.parametrize("op, point", [c for c in CASES if _is_one_node(c)])
def test_local_grads_are_the_partial_derivatives_before_any_backward(op, point):
    xs = [Value(p) for p in point]
    out = op.f(*xs)
    for i, x in enumerate(xs):
        local = sum(g for p, g in zip(out.parents, out.local_grads, strict=True) if p is x)
        expected = _central_difference(_ref(op), point, i)
        assert local == pytest.approx(expected, rel=1e-6, abs=1e-7), f"input {i}"
    assert all(x.grad == 0.0 for x in xs)


def test_local_grads_of_a_product_are_the_other_operands():
    x, y = Value(2.0), Value(-3.0)
    z = x * y
    assert z.parents == (x, y)
    assert z.local_grads == (-3.0, 2.0)


def test_relu_gradient_at_zero_is_zero_as_in_pytorch():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


# ---------------------------------------------------------------- graph structure


def test_a_leaf_has_empty_op_parents_and_local_grads():
    x = Value(1.5, label="x")
    assert (x.op, x.parents, x.local_grads, x.grad, x.label) == ("", (), (), 0.0, "x")


def test_value_stores_data_as_float():
    assert type(Value(3).data) is float
    assert Value(3).data == 3.0


def test_value_has_slots_and_no_instance_dict():
    x = Value(1.0)
    y = x * 2 + 1
    assert hasattr(Value, "__slots__")
    for node in (x, y):
        assert not hasattr(node, "__dict__")


def test_a_node_holds_no_callables():
    y = (Value(1.0) * Value(2.0)).tanh()
    for name in ("data", "grad", "label", "op", "parents", "local_grads"):
        assert not callable(getattr(y, name))
    assert not hasattr(y, "_backward")


def test_repr_shows_label_data_and_grad():
    r = repr(Value(2.5, label="w^2_{13}"))
    assert "w^2_{13}" in r and "2.5" in r and "grad" in r


def test_dot_is_one_node_with_parents_w_x_b_and_local_grads_x_w_1():
    ws = [Value(0.5), Value(-1.0), Value(2.0)]
    xs = [Value(3.0), Value(0.25), Value(-4.0)]
    b = Value(0.1)
    z = mg.dot(ws, xs, b)
    assert z.parents == (*ws, *xs, b)
    assert all(p is q for p, q in zip(z.parents, (*ws, *xs, b), strict=True))
    assert z.local_grads == (3.0, 0.25, -4.0, 0.5, -1.0, 2.0, 1.0)
    assert z.data == pytest.approx(1.5 - 0.25 - 8.0 + 0.1)


def test_dot_without_bias_has_parents_w_x_only():
    ws, xs = [Value(0.5), Value(-1.0)], [Value(3.0), Value(0.25)]
    z = mg.dot(ws, xs)
    assert z.parents == (*ws, *xs)
    assert z.local_grads == (3.0, 0.25, 0.5, -1.0)


def test_dot_accepts_plain_numbers():
    w = Value(2.0)
    z = mg.dot([w, 3.0], [4.0, 5.0], 1.0)
    z.backward()
    assert z.data == 24.0
    assert w.grad == 4.0


def test_dot_with_mismatched_lengths_is_a_value_error():
    with pytest.raises(ValueError, match="2.*3"):
        mg.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


def test_sum_is_one_node_with_unit_local_grads():
    xs = [Value(float(i)) for i in range(5)]
    s = mg.sum(xs)
    assert s.parents == tuple(xs)
    assert s.local_grads == (1.0,) * 5
    assert s.data == 10.0


def test_sum_accepts_plain_numbers_among_values():
    x = Value(1.5)
    s = mg.sum([x, 2.0, 3])
    s.backward()
    assert (s.data, x.grad) == (6.5, 1.0)


def test_sum_of_nothing_is_a_value_error():
    with pytest.raises(ValueError):
        mg.sum([])


# ---------------------------------------------------------------- backward semantics


def _tanh_of_product():
    x, y = Value(0.4), Value(-0.7)
    z = x * y
    out = z.tanh()
    return x, y, z, out


def test_second_backward_doubles_leaf_grads_and_keeps_interior_grads():
    x, y, z, out = _tanh_of_product()
    out.backward()
    first = (x.grad, y.grad, z.grad, out.grad)
    out.backward()
    assert (x.grad, y.grad) == (2 * first[0], 2 * first[1])
    assert z.grad == first[2]
    assert out.grad == first[3] == 1.0


def test_micrograd_doubles_interior_grads_where_microgrid_does_not():
    engine = micrograd.engine
    x, y = engine.Value(2.0), engine.Value(3.0)
    z = x * y
    out = z.relu()
    out.backward()
    out.backward()
    # micrograd: the interior grad accumulates too, so the second pass sends 2 (not 1) down
    # to the leaves: x.grad = 3 + 6 = 9 instead of 2·3.
    assert (z.grad, x.grad) == (2.0, 9.0)
    x2, y2 = Value(2.0), Value(3.0)
    z2 = x2 * y2
    out2 = z2.relu()
    out2.backward()
    out2.backward()
    assert z2.grad == 1.0
    assert x2.grad == 6.0


def test_zero_grad_resets_every_node_of_the_graph():
    x, y, z, out = _tanh_of_product()
    out.backward()
    out.zero_grad()
    assert (x.grad, y.grad, z.grad, out.grad) == (0.0, 0.0, 0.0, 0.0)


def test_backward_after_zero_grad_repeats_the_first_pass():
    x, y, z, out = _tanh_of_product()
    out.backward()
    first = (x.grad, y.grad, z.grad)
    out.backward()
    out.zero_grad()
    out.backward()
    assert (x.grad, y.grad, z.grad) == first


def test_interior_grad_is_of_the_latest_pass_only():
    x = Value(0.3)
    z = x * 2.0
    z.exp().backward()
    (z * 5.0).backward()
    assert z.grad == 5.0
    assert x.grad == pytest.approx(2.0 * math.exp(0.6) + 10.0)


def test_x_times_x_times_x_gets_the_summed_gradient():
    x = Value(1.7)
    (x * x * x).backward()
    assert x.grad == pytest.approx(3 * 1.7**2, rel=1e-15)


def test_x_plus_x_gets_gradient_two():
    x = Value(-0.3)
    (x + x).backward()
    assert x.grad == 2.0


def test_shared_subexpression_gets_the_summed_gradient():
    x, y = Value(0.5), Value(-1.5)
    s = x * y  # used three times below
    out = s * s + s
    out.backward()
    sv = 0.5 * -1.5
    assert s.grad == pytest.approx(2 * sv + 1)
    assert x.grad == pytest.approx((2 * sv + 1) * -1.5)
    assert y.grad == pytest.approx((2 * sv + 1) * 0.5)


@pytest.mark.parametrize("b_first", [True, False], ids=["b+tanh", "tanh+b"])
@pytest.mark.parametrize("a_first", [True, False], ids=["a*b", "b*a"])
def test_a_node_passes_its_grad_on_only_after_all_its_consumers(a_first, b_first):
    # a feeds b and the product; b (an interior node) feeds the product and the sum: b must
    # collect both paths before passing its gradient on to a, whatever order the operands
    # of the product and of the sum are listed in.
    a = Value(0.9)
    b = a.exp()
    t = ((a * b) if a_first else (b * a)).tanh()
    c = (b + t) if b_first else (t + b)
    c.backward()
    e = math.exp(0.9)
    th = math.tanh(0.9 * e)
    db = (1 - th * th) * 0.9 + 1  # ∂c/∂b: through the product, and directly
    assert b.grad == pytest.approx(db, rel=1e-12)
    assert a.grad == pytest.approx((1 - th * th) * e + db * e, rel=1e-12)


def _shared_deep(x, y, depth: int, shared_first: bool):
    """A node b shared by the root and by a chain `depth` steps deep, in either operand order."""
    b = x * y + 0.3  # interior, so its place in the backward order matters
    a = y.tanh()
    c = (a * b).tanh() if shared_first else (b * a).tanh()
    for _ in range(depth):
        c = (c * b + a).tanh() if shared_first else (a + b * c).tanh()
    return b, (b + c) if shared_first else (c + b)


@pytest.mark.parametrize("shared_first", [True, False], ids=["b+chain", "chain+b"])
@pytest.mark.parametrize("depth", [0, 1, 5, 20])
def test_a_node_shared_deep_in_the_graph_gets_pytorchs_gradient_in_either_order(
    depth, shared_first
):
    point = (0.7, -1.2)
    xs = [Value(p) for p in point]
    b, out = _shared_deep(*xs, depth, shared_first)
    out.backward()
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    tb, tout = _shared_deep(*ts, depth, shared_first)
    tb.retain_grad()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-10, abs=1e-12)
    for x, t in zip(xs, ts, strict=True):
        assert x.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)

    def f(px, py):
        return _shared_deep(Value(px), Value(py), depth, shared_first)[1].data

    for i, x in enumerate(xs):
        assert x.grad == pytest.approx(_central_difference(f, point, i), rel=1e-6, abs=1e-8)


def test_the_walk_orders_every_node_after_its_parents_and_can_leave_the_leaves_out():
    from microgrid.engine import topological

    x, y = Value(2.0, "x"), Value(3.0, "y")
    h = x * y
    s = h + x
    t = s.tanh()
    out = t + h
    full = topological(out)
    assert sorted(map(id, full)) == sorted(map(id, [x, y, h, s, t, out]))
    assert all(full.index(p) < full.index(n) for n in full for p in n.parents)
    interior = topological(out, leaves=False)
    assert interior == [n for n in full if n.parents]  # the same order, leaves dropped
    assert topological(x, leaves=False) == [x]  # a leaf root stays: backward seeds it


def test_backward_on_a_leaf_gives_it_gradient_one_and_accumulates():
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0
    x.backward()
    assert x.grad == 2.0


def test_backward_with_grad_argument_scales_every_gradient():
    x1, y1, z1, out1 = _tanh_of_product()
    out1.backward()
    x2, y2, z2, out2 = _tanh_of_product()
    out2.backward(grad=2.0)
    assert (x2.grad, y2.grad, z2.grad, out2.grad) == (2 * x1.grad, 2 * y1.grad, 2 * z1.grad, 2.0)


def test_a_million_node_chain_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert y.data == 0.5
    assert x.grad == 1.0
    assert sys.getrecursionlimit() == limit
    y.zero_grad()
    assert x.grad == 0.0
    del y  # freeing a deep chain must not crash either


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "bad, type_name",
    [("1.0", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex"), ({1: 2}, "dict")],
)
def test_non_real_data_is_a_type_error_naming_the_type(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


@pytest.mark.parametrize("bad", ["2", None, 1j])
def test_non_real_operand_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(1.0) + bad


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.nan])
def test_non_finite_data_is_a_value_error(bad):
    with pytest.raises(ValueError):
        Value(bad)


@pytest.mark.parametrize("x", [0.0, -1.5])
def test_log_of_a_non_positive_number_names_log_and_the_value(x):
    with pytest.raises(ValueError, match=rf"log.*{x}"):
        Value(x).log()


@pytest.mark.parametrize(
    "expr",
    [lambda: Value(1.5) / 0, lambda: Value(1.5) / Value(0.0), lambda: 1.5 / Value(0.0)],
    ids=["x / 0", "x / Value(0)", "1.5 / Value(0)"],
)
def test_division_by_zero_names_division_and_the_values(expr):
    with pytest.raises(ZeroDivisionError, match=r"division.*1\.5.*0"):
        expr()


def test_non_integer_power_of_a_negative_base_names_power_and_the_values():
    with pytest.raises(ValueError, match=r"power.*-8\.0.*0\.5"):
        Value(-8.0) ** 0.5


def test_value_power_of_a_non_positive_base_names_power_and_the_base():
    with pytest.raises(ValueError, match=r"power.*-2\.0"):
        Value(-2.0) ** Value(0.5)


def test_integer_power_of_a_negative_base_is_fine():
    x = Value(-2.0)
    (x**3).backward()
    assert x.grad == 12.0


def test_negative_power_of_zero_is_a_zero_division_error():
    with pytest.raises(ZeroDivisionError, match=r"0\.0"):
        Value(0.0) ** -1


def test_exp_overflow_is_an_overflow_error_naming_exp_and_the_value():
    with pytest.raises(OverflowError, match=r"exp.*1000"):
        Value(1000.0).exp()


def test_exp_just_below_overflow_is_finite():
    assert math.isfinite(Value(709.0).exp().data)


def test_power_overflow_is_an_overflow_error_naming_power():
    with pytest.raises(OverflowError, match="power"):
        Value(1e200) ** 2


@pytest.mark.parametrize("z", [1e300, -1e300, 1e10, -1e10, 800.0, -800.0, 40.0, -40.0])
@pytest.mark.parametrize("fn", ["sigmoid", "tanh", "softplus"])
def test_saturating_functions_stay_finite_and_equal_pytorch_float64(fn, z):
    # Finite is not enough: value and gradient must also be right (PyTorch float64 as the
    # oracle, relative error only, so a tiny σ(−40) ≈ 4e−18 is compared digit by digit).
    x = Value(z)
    out = getattr(x, fn)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(x.grad)
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    out_t = torch.nn.functional.softplus(t) if fn == "softplus" else getattr(torch, fn)(t)
    out_t.backward()
    assert out.data == pytest.approx(out_t.item(), rel=1e-12, abs=0.0)
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=0.0)


def test_sigmoid_of_large_arguments_saturates_to_0_and_1():
    assert Value(1e300).sigmoid().data == 1.0
    assert Value(-1e300).sigmoid().data == 0.0


@pytest.mark.parametrize("n", [np.float64(1.5), np.float32(1.5), np.int64(3), np.int32(-2)])
def test_numpy_scalars_are_accepted_and_stored_as_float(n):
    v = Value(n)
    assert type(v.data) is float
    assert v.data == float(n)


@pytest.mark.parametrize("n", [np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numpy_scalars_work_as_operands_on_either_side(n):
    x = Value(3.0)
    y = x * n + n - (n * x + n) + n / x
    y.backward()
    assert isinstance(y, Value)
    assert y.data == pytest.approx(2.0 / 3.0)
    assert x.grad == pytest.approx(-2.0 / 9.0)


def test_backward_refuses_a_root_that_overflowed_to_inf():
    y = Value(1e200) * Value(1e200)
    with pytest.raises(ValueError, match="inf"):
        y.backward()


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="int"):
        Value(1.0, label=3)


def test_backward_grad_must_be_a_real_number():
    with pytest.raises(TypeError, match="str"):
        Value(1.0).backward("1")
