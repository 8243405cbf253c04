"""A plain number in an expression (the 2 in ``2 - x``) is folded into its operation: the result
has the Value operands as parents, and ``operands`` gives the number back on its side.

Oracles: PyTorch 2.13.0 float64 (first and second derivatives) and central finite
differences; values are compared with the same operation written with a Value for the number.
"""

from __future__ import annotations

import math

import pytest
import torch

import microgrid as mg
from microgrid import Value
from microgrid.drawing import draw_dot

# (name, microgrid/torch function of x, point x): the number on each side of every binary op
CASES = [
    ("x + 2", lambda x: x + 2, 0.7),
    ("2 + x", lambda x: 2 + x, 0.7),
    ("x - 2", lambda x: x - 2, 0.7),
    ("2 - x", lambda x: 2 - x, 0.7),
    ("x * 2.5", lambda x: x * 2.5, 0.7),
    ("2.5 * x", lambda x: 2.5 * x, 0.7),
    ("x / 3", lambda x: x / 3, 0.7),
    ("3 / x", lambda x: 3 / x, 0.7),
    ("x ** 3", lambda x: x**3, 0.7),
    ("2 ** x", lambda x: 2**x, 0.7),
    ("0.5 ** x", lambda x: 0.5**x, -1.3),
    ("x * x - 3 / x", lambda x: x * x - 3 / x, -1.3),  # folded and Value-Value nodes mixed
    ("(1 - x) ** 2 / 4", lambda x: (1 - x) ** 2 / 4, 0.3),
]
IDS = [c[0] for c in CASES]


def fd(f, x: float, eps: float = 1e-6) -> float:
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@pytest.mark.parametrize(("name", "f", "x0"), CASES, ids=IDS)
def test_gradient_matches_torch_and_finite_differences(name, f, x0):
    x = Value(x0)
    y = f(x)
    y.backward()
    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    f(tx).backward()
    assert y.data == pytest.approx(float(f(torch.tensor(x0, dtype=torch.float64))), rel=1e-14)
    assert x.grad == pytest.approx(float(tx.grad), rel=1e-12)
    assert x.grad == pytest.approx(fd(lambda v: f(v), x0), rel=1e-6)


@pytest.mark.parametrize(("name", "f", "x0"), CASES, ids=IDS)
def test_second_derivative_matches_torch(name, f, x0):
    x = Value(x0)
    (g,) = mg.grad(f(x), [x], create_graph=True)
    (h,) = mg.grad(g, [x], allow_unused=True)
    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(f(tx), [tx], create_graph=True)
    th = torch.autograd.grad(tg, [tx])[0] if tg.requires_grad else torch.tensor(0.0)
    assert g.data == pytest.approx(tg.item(), rel=1e-12)
    assert h == pytest.approx(float(th), rel=1e-10, abs=1e-14)


# number c, Value x: the folded node, and the same operation with c as a Value
SIDES = [
    ("+", lambda c, x: x + c, lambda c, x: c + x, (1, 0)),
    ("-", lambda c, x: x - c, lambda c, x: c - x, (1, 0)),
    ("*", lambda c, x: x * c, lambda c, x: c * x, (1, 0)),
    ("/", lambda c, x: x / c, lambda c, x: c / x, (1, 0)),
]


@pytest.mark.parametrize(("op", "right", "left", "_"), SIDES, ids=[s[0] for s in SIDES])
def test_a_folded_number_keeps_its_side_and_its_value(op, right, left, _):
    x, c = Value(0.7, "x"), 2.5
    for f, operands in ((right, (x, c)), (left, (c, x))):
        y = f(c, x)
        assert y.op == op and y.parents == (x,) and len(y.local_grads) == 1
        if op in "+*":  # commutative: the number is written on the right, as a drawing shows it
            operands = (x, c)
        assert y.operands == operands
        # bit for bit what the same operation on two Values gives, value and local gradient
        both = f(Value(c), x)
        assert y.data == both.data
        assert y.local_grads[0] == both.local_grads[both.parents.index(x)]


def test_a_folded_int_comes_back_as_a_float():
    x = Value(0.5)
    assert [type(c) for c in ((1 - x).operands[0], (x * 3).operands[1])] == [float, float]


def test_two_to_the_x_is_one_node_with_the_base_on_the_left():
    x = Value(1.5)
    y = 2**x
    assert (y.op, y.parents, y.operands) == ("**", (x,), (2.0, x))
    assert y.local_grads == (y.data * math.log(2.0),)


def test_a_number_exponent_stays_in_the_op():
    x = Value(1.5)
    assert ((x**2).op, (x**2).operands) == ("**2", (x,))


def test_operands_of_leaves_and_of_value_value_nodes_are_the_parents():
    x, y = Value(1.0), Value(2.0)
    assert x.operands == () and (x * y).operands == (x, y) and x.exp().operands == (x,)


@pytest.mark.parametrize(
    ("f", "error", "match"),
    [
        (lambda x: 2 / x, ZeroDivisionError, r"division by zero: 2\.0 / 0\.0"),
        (lambda x: x / 0, ZeroDivisionError, r"division by zero: 0\.0 / 0\.0"),
        (lambda x: (-2) ** x, ValueError, "base > 0"),
        (lambda x: 0 ** x, ValueError, "base > 0"),
        (lambda x: x + "2", TypeError, "expected a real number"),
        (lambda x: "2" - x, TypeError, "expected a real number"),
        (lambda x: x * math.nan, ValueError, "finite"),
        (lambda x: 1e300 ** (x + 2), OverflowError, "overflows"),
    ],
)
def test_bad_numbers_are_refused_with_the_same_errors(f, error, match):
    with pytest.raises(error, match=match):
        f(Value(0.0))


def test_no_grad_folds_nothing_and_records_nothing():
    x = Value(2.0)
    with mg.no_grad():
        y = 3 - x
    assert (y.data, y.parents, y.operands, y.op) == (1.0, (), (), "")


def test_drawings_show_the_folded_number_where_it_was_written():
    x = Value(3.0, "x")
    assert "2 −" in draw_dot(2 - x).source and "− 2" in draw_dot(x - 2).source
    assert "× 2" in draw_dot(2 * x).source
    # without hiding, the number is drawn as a constant of its own, as a Const leaf was
    assert 'COLOR="#777777">const' in draw_dot(x / 4, hide_constants=False).source


def test_setting_local_grads_by_hand_on_a_one_parent_node_is_used_by_backward():
    # gradcheck's own tests and notebook 01 plant a bug this way
    x = Value(0.7)
    y = x.exp()
    y.local_grads = (2 * y.data,)
    y.backward()
    assert x.grad == 2 * y.data
    z = x * 3
    z.parents, z.local_grads = (x, x), (1.0, 2.0)
    x.grad = 0.0
    z.backward()
    assert x.grad == 3.0


def test_a_chain_node_costs_at_most_300_bytes():
    # Value (7 plain slots) 88 + data 24 + grad 24 + its parents' tuple (y,), its local
    # gradient's (c,) and its operands (y, c): 288, no Const leaf per number (micrograd: 1,168
    # per step).  tracemalloc counts the same allocations every run, so this cannot flake;
    # bench W3 reports the same figure on a bigger chain.
    from bench.w3_memory import target_chain

    assert target_chain(20_000) <= 300


@pytest.mark.parametrize(("name", "f", "x0"), CASES, ids=IDS)
def test_a_compiled_replay_bakes_the_folded_number_in(name, f, x0):
    # the compiler reads the number through Value.operands: same value and gradient, bit for
    # bit, on new data
    x = Value(x0)
    step = mg.compile(f(x))
    x.data = x0 + 0.25
    value = step()
    fresh = Value(x0 + 0.25)
    y = f(fresh)
    y.backward()
    assert value == y.data and x.grad == fresh.grad
