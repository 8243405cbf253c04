"""The engine's public contract, one claim a test, for
the behaviours a mutation run found unpinned: `apply` with several Values and folded numbers,
a leaf's hook under ``create_graph``, ``Value.sin``, comparisons at their boundaries, reprs
and labels, the edges of ``exp`` and the power family, and every error text.

Only public names are used (`Value`, `microgrid.engine.apply`, ``operands``/``parents``/
``local_grads``, `microgrid.grad`, hooks, `microgrid.ops`), so the tests hold for any engine
that keeps the contract.  Gradients are checked against closed forms.
"""

from __future__ import annotations

import math

import pytest

import microgrid as mg
from microgrid import Value, ops
from microgrid.engine import apply


# ------------------------------------------------------------------ apply with folded numbers
def test_apply_of_two_values_and_a_number_gives_each_value_its_gradient():
    x, y = Value(0.5), Value(-1.5)
    apply("Σ", [x, y, 2.0]).backward()
    assert (x.grad, y.grad) == (1.0, 1.0)


def test_apply_of_two_values_and_a_number_keeps_the_operands_in_order():
    x, y = Value(0.5), Value(-1.5)
    assert apply("Σ", [x, y, 2.0]).operands == (x, y, 2.0)


def test_apply_of_a_value_and_two_numbers_keeps_the_operands_in_order():
    x = Value(0.5)
    assert apply("Σ", [x, 1.0, 2.0]).operands == (x, 1.0, 2.0)


def test_apply_of_a_value_and_two_numbers_has_the_value_as_its_only_parent():
    x = Value(0.5)
    node = apply("Σ", [x, 1.0, 2.0])
    assert node.parents == (x,) and node.local_grads == (1.0,)


def test_apply_with_a_number_between_values_keeps_each_values_own_local_gradient():
    # z = w1·a1 + w2·a2 with a1 = 3 folded: ∂z/∂w1 = 3, ∂z/∂w2 = a2, ∂z/∂a2 = w2
    w1, w2, a2 = Value(0.5), Value(-2.0), Value(0.25)
    z = apply("·", [w1, w2, 3.0, a2])
    assert z.data == 0.5 * 3.0 + -2.0 * 0.25
    assert z.parents == (w1, w2, a2) and z.local_grads == (3.0, 0.25, -2.0)


def test_apply_with_a_number_between_values_gives_the_closed_form_gradients():
    w1, w2, a2 = Value(0.5), Value(-2.0), Value(0.25)
    apply("·", [w1, w2, 3.0, a2]).backward()
    assert (w1.grad, w2.grad, a2.grad) == (3.0, 0.25, -2.0)


def test_apply_of_a_number_first_keeps_it_first():
    x = Value(0.5)
    assert apply("-", [2.0, x]).operands == (2.0, x)


def test_apply_by_an_unknown_name_says_it_is_not_in_the_table():
    with pytest.raises(ValueError, match=r"apply\(\): the operation 'nope' cannot be replayed "
                                         r"\(not in the op table, microgrid.ops.table\)"):
        apply("nope", [Value(1.0)])


def test_apply_with_the_wrong_number_of_operands_says_both_counts():
    with pytest.raises(TypeError, match=r"exp: takes 1 operand\(s\), got 2"):
        apply("exp", [Value(1.0), Value(2.0)])


def test_apply_of_a_non_number_names_the_operand():
    with pytest.raises(TypeError, match="operand: expected a real number .*got str 'a'"):
        apply("Σ", [Value(1.0), "a"])


# ------------------------------------------------------------------ hooks under create_graph
def test_a_leafs_hook_that_returns_a_value_keeps_its_graph_under_create_graph():
    x = Value(2.0)
    handle = x.register_hook(lambda g: g * x)  # ∂(3x)/∂x · x = 3x
    try:
        (gx,) = mg.grad(x * 3.0, [x], create_graph=True)
    finally:
        handle.remove()
    assert gx.data == 6.0 and mg.grad(gx, [x]) == [3.0]  # d(3x)/dx


def test_a_leafs_hook_that_returns_a_value_gives_its_number_without_create_graph():
    x = Value(2.0)
    handle = x.register_hook(lambda g: g * x)
    try:
        assert mg.grad(x * 3.0, [x]) == [6.0]
    finally:
        handle.remove()


def test_a_hook_that_returns_a_non_number_is_named():
    x = Value(2.0)

    def bad_hook(g):
        return "a"

    handle = x.register_hook(bad_hook)
    try:
        with pytest.raises(TypeError, match=r"hook .*bad_hook registered on Value\(data=2"):
            (x * 3.0).backward()
    finally:
        handle.remove()


def test_register_hook_refuses_what_is_not_callable():
    with pytest.raises(TypeError, match="register_hook: expected a callable, got int 3"):
        Value(1.0).register_hook(3)


# ------------------------------------------------------------------ methods
def test_value_sin_is_sine_with_cosine_as_its_gradient():
    x = Value(0.3)
    y = x.sin()
    y.backward()
    assert (y.op, y.data, x.grad) == ("sin", math.sin(0.3), math.cos(0.3))


# ------------------------------------------------------------------ comparisons
def test_less_than_is_false_at_equality():
    assert not Value(1.0) < Value(1.0) and not Value(1.0) < 1.0


def test_greater_than_is_false_at_equality():
    assert not Value(1.0) > Value(1.0) and not Value(1.0) > 1.0


def test_less_or_equal_is_true_at_equality_and_below():
    assert Value(1.0) <= Value(1.0) and Value(1.0) <= 1.0 and Value(0.5) <= 1.0


def test_less_or_equal_is_false_above():
    assert not Value(1.5) <= Value(1.0) and not Value(1.5) <= 1.0


def test_greater_or_equal_is_true_at_equality_and_above():
    assert Value(1.0) >= Value(1.0) and Value(1.0) >= 1.0 and Value(1.5) >= 1.0


def test_greater_or_equal_is_false_below():
    assert not Value(0.5) >= Value(1.0) and not Value(0.5) >= 1.0


def test_less_and_greater_than_compare_the_data():
    assert Value(0.5) < Value(1.0) and Value(1.0) > 0.5 and not Value(1.0) < 0.5


# ------------------------------------------------------------------ repr and labels
def test_a_values_repr_shows_data_and_grad():
    assert repr(Value(2.5)) == "Value(data=2.5, grad=0)"


def test_a_labelled_values_repr_starts_with_its_label():
    assert repr(Value(2.5, "w^2_{11}")) == "Value(w^2_{11}, data=2.5, grad=0)"


def test_a_values_repr_rounds_to_six_significant_digits():
    x = Value(1 / 3)
    x.grad = 2 / 3
    assert repr(x) == "Value(data=0.333333, grad=0.666667)"


def test_a_node_made_by_an_operation_has_an_empty_label():
    x = Value(2.0, "x")
    assert (x * 3.0).label == "" and (x + x).label == "" and x.exp().label == ""


def test_an_operation_under_no_grad_gives_an_unlabelled_leaf():
    x = Value(2.0, "x")
    with mg.no_grad():
        y = x * 3.0
    assert (y.label, y.op, y.parents, y.data) == ("", "", (), 6.0)


def test_a_leaf_has_an_empty_label_by_default():
    assert Value(2.0).label == "" and Value(2.0).op == ""


# ------------------------------------------------------------------ edges of the table
def test_exp_of_an_int_is_the_float_exp():
    assert ops.exp(1) == math.exp(1.0) and type(ops.exp(1)) is float


def test_exp_at_the_largest_finite_argument_is_finite():
    y = Value(ops.EXP_MAX).exp()
    assert math.isfinite(y.data) and y.data == math.exp(ops.EXP_MAX)


def test_exp_just_above_the_largest_finite_argument_is_an_overflow_error():
    with pytest.raises(OverflowError, match=r"exp\(709\.79\) overflows a float"):
        Value(709.79).exp()


@pytest.mark.parametrize("name", ["**2.0", "**inf", "**nan", "**two"])
def test_find_knows_no_power_under_a_name_it_would_not_give(name):
    assert ops.find(name) is None


def test_find_gives_the_power_entry_under_its_own_name():
    assert ops.find("**2") is ops.power(2.0) and ops.find("**0.5") is ops.power(0.5)


def test_get_of_an_unknown_name_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match=r"no operation 'nope' in microgrid's op table"):
        ops.get("nope")


# ------------------------------------------------------------------ error texts
def test_value_of_a_non_number_is_a_type_error_naming_value():
    with pytest.raises(TypeError, match=r"Value\(\): expected a real number \(int or float\), "
                                        r"got str 'a'"):
        Value("a")


def test_value_of_nan_is_a_value_error_naming_value():
    with pytest.raises(ValueError, match=r"Value\(\): got nan; microgrid values must be finite "
                                         r"real numbers \(NaN and ±inf are rejected so they "
                                         r"cannot silently spread through a graph\)"):
        Value(math.nan)


def test_value_of_a_huge_int_is_an_overflow_error_naming_value():
    with pytest.raises(OverflowError, match=r"Value\(\): 10{400} is too large for a float"):
        Value(10**400)


def test_a_label_that_is_not_a_str_is_refused():
    with pytest.raises(TypeError, match=r"Value\(\): label must be a str, got int"):
        Value(1.0, 3)


def test_backward_of_a_non_finite_seed_names_backward():
    with pytest.raises(ValueError, match=r"backward\(grad\): got inf"):
        Value(1.0).backward(math.inf)


def test_backward_of_an_overflowed_root_says_so():
    y = Value(1e308) * 10.0
    with pytest.raises(ValueError, match=r"backward\(\): the root's value is inf; the forward "
                                         "pass overflowed"):
        y.backward()


def test_grad_of_a_list_says_to_sum_the_outputs():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"grad\(\): root must be one Value \(microgrid is "
                                        r"scalar: sum several outputs into one\), got a list"):
        mg.grad([x * 2.0, x * 3.0], [x])


def test_grad_of_a_non_value_root_names_its_type():
    with pytest.raises(TypeError, match=r"grad\(\): root must be one Value .*got float"):
        mg.grad(1.0, [Value(1.0)])


def test_a_power_by_a_non_number_names_x_to_the_n():
    with pytest.raises(TypeError, match=r"x \*\* n: expected a real number .*got str 'a'"):
        Value(2.0) ** "a"


def test_an_operator_with_a_non_number_names_the_operand():
    with pytest.raises(TypeError, match=r"operand: expected a real number .*got str 'a'"):
        Value(2.0) * "a"


def test_dot_of_no_weights_says_so():
    with pytest.raises(ValueError, match=r"^dot\(\): got no weights and no inputs$"):
        mg.dot([], [])


def test_dot_of_unequal_lengths_says_both():
    with pytest.raises(ValueError, match=r"^dot\(\): 2 weights but 1 inputs; they must match$"):
        mg.dot([Value(1.0), Value(2.0)], [Value(3.0)])


def test_sum_of_nothing_says_so():
    with pytest.raises(ValueError, match=r"^microgrid\.sum\(\): got no values$"):
        mg.sum([])


def test_a_const_of_a_non_number_names_the_operand():
    with pytest.raises(TypeError, match=r"^operand: expected a real number \(int or float\), "
                                        r"got str 'a'$"):
        mg.Const("a")


def test_an_op_on_a_non_number_names_the_op():
    with pytest.raises(TypeError, match=r"exp: expected a real number or a Value, got list"):
        ops.exp([1.0])
