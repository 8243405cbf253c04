"""Σ has one summation, strictly left to right, on every Python.

docs/backprop.md writes z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j as a sum of terms in order; the
engine (`microgrid.dot`, `microgrid.sum`), the closed form (`microgrid.backprop`) and the code
`microgrid.compile` writes all add ((t_1 + t_2) + t_3) + … .  Built-in ``sum()`` of floats
compensates rounding from Python 3.12 on, so a summation that leaned on it gave other numbers
on other Pythons.  The oracle here is the left fold written out in the test.  This file needs
no torch: it runs on every supported Python.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import add

from hypothesis import given
from hypothesis import strategies as st

import microgrid
from microgrid import Value, backprop

# floats whose left-to-right sum is not the correctly rounded one
finite = st.floats(min_value=-1e17, max_value=1e17, allow_nan=False, allow_infinity=False)


def left_to_right(terms):
    return reduce(add, terms)


def test_dot_adds_its_products_left_to_right():
    # (0.1 + 0.2) + 0.3 = 0.6000000000000001; a compensated sum gives 0.6
    assert microgrid.dot([0.1, 0.2, 0.3], [1, 1, 1]).data == 0.6000000000000001


def test_sum_node_adds_left_to_right():
    # (1e16 + 1.0) rounds to 1e16, so the left fold gives 0.0; a compensated sum gives 1.0
    assert microgrid.sum([1e16, 1.0, -1e16]).data == 0.0


def test_dot_with_bias_adds_the_bias_last():
    z = microgrid.dot([1e16, 1.0], [1.0, 1.0], -1e16)
    assert z.data == (1e16 + 1.0) + -1e16 == 0.0


def test_closed_form_weighted_input_adds_left_to_right():
    assert backprop.weighted_input([[0.1, 0.2, 0.3]], [1.0, 1.0, 1.0], [0.0]) == [
        0.6000000000000001]


def test_closed_form_cost_adds_left_to_right():
    a, y = [1.0, 1e-8, 1e-8], [0.0, 0.0, 0.0]
    squares = [(0.0 - a_j) ** 2 for a_j in a]
    assert left_to_right(squares) != math.fsum(squares)  # the example tells them apart
    assert backprop.cost_value(a, y) == 0.5 * left_to_right(squares)


def test_compiled_dot_and_sum_give_the_interpreters_left_to_right_numbers():
    xs = [Value(v, f"x_{k}") for k, v in enumerate((0.1, 0.2, 0.3, 1e16, 1.0, -1e16))]
    z = microgrid.dot(xs[:3], [1.0, 1.0, 1.0])
    s = microgrid.sum([*xs[3:], z])
    step = microgrid.compile(s)
    assert step() == s.data == left_to_right([0.0, 0.6000000000000001])


def test_compiled_source_writes_the_dot_product_inline():
    w = [Value(0.5, "w^2_{11}"), Value(-0.25, "w^2_{12}")]
    a = [Value(1.0, "a^1_1"), Value(2.0, "a^1_2")]
    z = microgrid.dot(w, a, Value(0.125, "b^2_1"))
    z.label = "z^2_1"
    step = microgrid.compile(z)
    assert "z2_1 = w2_11 * a1_1 + w2_12 * a1_2 + b2_1" in step.source


@given(st.lists(finite, min_size=1, max_size=12))
def test_sum_node_is_the_left_fold_on_any_terms(terms):
    assert microgrid.sum(terms).data == left_to_right(terms)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=8), finite)
def test_dot_compiled_and_interpreted_are_the_left_fold(pairs, b):
    ws = [Value(w) for w, _ in pairs]
    xs = [Value(x) for _, x in pairs]
    want = left_to_right([w * x for w, x in pairs]) + b
    z = microgrid.dot(ws, xs, Value(b))
    assert z.data == want
    assert microgrid.compile(z)() == want
