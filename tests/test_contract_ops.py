"""`microgrid.op`'s contract: how many inputs a user's op
takes, and every input it refuses, each with the error that names the problem.

The number of inputs is the function's; where its signature does not say (``math.hypot`` has
none on 3.11, a function of ``*args``), the rule's, its parameters less ``out``; ``arity=`` may
state it.  When they disagree, or none says, the error names each: the count is never guessed.
Gradients are checked against closed forms: ∂/∂x hypot(x, y) = x / hypot(x, y).
"""

from __future__ import annotations

import html
import math

import pytest

import microgrid as mg
from microgrid import Value, ops
from microgrid.drawing import draw_dot
from microgrid.explorer.formulas import slope_note, write_op


@pytest.fixture(autouse=True)
def _users_ops_are_removed_afterwards():
    before = set(ops.table)
    yield
    for name in set(ops.table) - before:
        del ops.table[name]


def _hypot_rule(x, y, out):
    return x / out, y / out


# ------------------------------------------------------------------ how many inputs
def test_a_builtin_without_a_signature_takes_as_many_inputs_as_its_rule():
    hypot = mg.op("hypot_c", derivative=_hypot_rule)(math.hypot)
    assert hypot.arity == 2


def test_a_builtin_op_counted_from_its_rule_has_the_closed_form_gradient():
    hypot = mg.op("hypot_c", derivative=_hypot_rule)(math.hypot)
    x, y = Value(3.0), Value(4.0)
    out = hypot(x, y)
    out.backward()
    assert (out.data, x.grad, y.grad) == (5.0, 3.0 / 5.0, 4.0 / 5.0)


def test_a_function_of_rest_arguments_takes_as_many_inputs_as_its_rule():
    total3 = mg.op("total3_c", derivative=lambda x, y, z, out: (1.0, 1.0, 1.0))(
        lambda *xs: math.fsum(xs))
    assert total3.arity == 3 and total3(1.0, 2.0, 3.5) == 6.5


def test_a_function_and_a_rule_that_disagree_are_an_error_naming_both():
    with pytest.raises(ValueError, match=r"'two_c'\): the function takes 2 input\(s\) but the "
                                         r"derivative rule takes 1 input\(s\) \(its parameters "
                                         r"less out\); they must agree"):
        mg.op("two_c", derivative=lambda x, out: 1.0)(lambda x, y: x * y)


def test_arity_that_disagrees_with_the_rule_is_an_error_naming_both():
    with pytest.raises(ValueError, match=r"arity=3 but the derivative rule takes 2 input\(s\)"):
        mg.op("hypot_c", derivative=_hypot_rule, arity=3)(math.hypot)


def test_arity_that_disagrees_with_the_function_is_an_error_naming_both():
    with pytest.raises(ValueError, match=r"arity=2 but the function takes 1 input\(s\)"):
        mg.op("atan_c", derivative=lambda *xs_out: 1.0, arity=2)(math.atan)


def test_arity_states_the_count_when_neither_signature_does():
    hypot = mg.op("hypot_c", derivative=lambda *xs_out: (1.0, 1.0), arity=2)(math.hypot)
    assert hypot.arity == 2


def test_a_count_that_nothing_states_is_an_error_asking_for_arity():
    with pytest.raises(ValueError, match=r"'any_c'\): cannot tell how many inputs it takes: "
                                         r"the function takes 0 or more inputs; the derivative "
                                         r"rule takes 0 or more inputs .*Say it with arity="):
        mg.op("any_c", derivative=lambda *xs_out: 1.0)(lambda *xs: xs[0])


def test_a_defaulted_parameter_is_not_an_input_unless_the_rule_takes_it():
    def scaled_tanh(x, k=2.0):
        return math.tanh(k * x)

    f = mg.op("scaled_tanh_c", derivative=lambda x, out: 2.0 * (1.0 - out * out))(scaled_tanh)
    assert f.arity == 1


def test_a_defaulted_parameter_the_rule_takes_is_an_input():
    def scaled_tanh(x, k=2.0):
        return math.tanh(k * x)

    f = mg.op("scaled_tanh_c", derivative=lambda x, k, out: (k * (1 - out * out),
                                                              x * (1 - out * out)))(scaled_tanh)
    assert f.arity == 2


def test_a_rule_that_takes_more_than_the_function_can_is_an_error_naming_both():
    def scaled_tanh(x, k=2.0):
        return math.tanh(k * x)

    with pytest.raises(ValueError, match=r"the derivative rule takes 3 input\(s\) .* but the "
                                         r"function takes 1 to 2 inputs"):
        mg.op("scaled_tanh_c", derivative=lambda x, k, j, out: (1.0, 1.0, 1.0))(scaled_tanh)


def test_a_function_of_no_inputs_is_refused():
    with pytest.raises(ValueError, match=r"the function takes 0 input\(s\); an operation takes "
                                         "at least one input"):
        mg.op("none_c", derivative=lambda out: 0.0)(lambda: 1.0)


def test_a_rule_without_parameters_is_refused():
    with pytest.raises(TypeError, match=r"the derivative rule takes no parameters; it is called "
                                        r"as derivative\(\*xs, out\)"):
        mg.op("atan_c", derivative=lambda: 1.0)(math.atan)


def test_an_op_called_with_the_wrong_number_of_operands_says_both_counts():
    hypot = mg.op("hypot_c", derivative=_hypot_rule)(math.hypot)
    with pytest.raises(TypeError, match=r"hypot_c: takes 2 operand\(s\), got 3"):
        hypot(Value(1.0), 2.0, 3.0)


# ------------------------------------------------------------------ names, arity= and callables
@pytest.mark.parametrize("name", ["", "**x"])
def test_an_empty_or_power_like_name_is_refused(name):
    with pytest.raises(ValueError, match=r"microgrid.op: name must be non-empty and not start "
                                         r"with '\*\*'.*got " + repr(name).replace("*", r"\*")):
        mg.op(name, derivative=lambda x, out: 1.0)


def test_a_name_that_is_not_a_str_is_a_type_error():
    with pytest.raises(TypeError, match="microgrid.op: name must be a str, got int 3"):
        mg.op(3, derivative=lambda x, out: 1.0)


def test_arity_zero_is_refused():
    with pytest.raises(ValueError, match=r"'z_c'\): arity must be at least 1, got 0"):
        mg.op("z_c", derivative=lambda x, out: 1.0, arity=0)


@pytest.mark.parametrize("arity", [True, 2.0])
def test_arity_that_is_not_an_int_is_refused(arity):
    with pytest.raises(TypeError, match=rf"'z_c'\): arity must be an int, got "
                                        rf"{type(arity).__name__} {arity!r}"):
        mg.op("z_c", derivative=lambda x, out: 1.0, arity=arity)


def test_a_derivative_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match=r"'z_c'\): derivative must be callable, got float"):
        mg.op("z_c", derivative=1.0)


def test_a_function_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match=r"'z_c'\): expected a function of floats, got int"):
        mg.op("z_c", derivative=lambda x, out: 1.0)(7)


def test_a_users_op_may_be_redefined_under_its_name():
    first = mg.op("again_c", derivative=lambda x, out: 1.0)(lambda x: x)
    second = mg.op("again_c", derivative=lambda x, out: 2.0)(lambda x: 2 * x)
    assert ops.get("again_c") is second is not first


def test_a_users_function_that_returns_a_non_finite_number_is_named():
    f = mg.op("inf_c", derivative=lambda x, out: 1.0)(lambda x: math.inf)
    with pytest.raises(ValueError, match=r"operation 'inf_c' returned: got inf"):
        f(Value(1.0))


# ------------------------------------------------------------------ what the rule returns
def test_a_unary_rules_one_tuple_is_unwrapped_to_its_value():
    atan = mg.op("atan_c", derivative=lambda x, out: (1 / (1 + x * x),))(math.atan)
    assert atan.derivative(0.5, atan(0.5)) == 1 / 1.25


def test_a_unary_rules_one_tuple_gives_the_closed_form_gradient():
    atan = mg.op("atan_c", derivative=lambda x, out: (1 / (1 + x * x),))(math.atan)
    x = Value(0.5)
    atan(x).backward()
    assert x.grad == 1 / 1.25


def test_a_two_input_rules_tuple_is_kept_whole():
    hypot = mg.op("hypot_c", derivative=_hypot_rule)(math.hypot)
    assert hypot.derivative(3.0, 4.0, 5.0) == (0.6, 0.8)


def _finite_on_floats_only(x, out):
    """∂ = 1 on floats; on Values (create_graph) a number that overflowed to inf."""
    return 1.0 if isinstance(x, float) else x * 1e308 * 10.0


def test_a_rule_that_is_finite_on_floats_but_not_on_values_is_refused():
    f = mg.op("sly_c", derivative=_finite_on_floats_only)(lambda x: x)
    x = Value(0.5)
    y = f(x)  # the forward pass (the rule on floats) is fine
    with pytest.raises(ValueError, match=r"operation 'sly_c': ∂out/∂x1: got inf"):
        mg.grad(y, [x], create_graph=True)


# ------------------------------------------------------------------ the table's own edges
def test_an_ops_repr_gives_its_name():
    assert repr(ops.exp) == "<op 'exp'>" and repr(ops.power(2.0)) == "<op '**2'>"


def test_a_torch_counterpart_is_named_after_the_torch_function():
    assert ops.sigmoid.torch.__name__ == "torch.sigmoid"
    assert ops.softplus.torch.__name__ == "torch.nn.functional.softplus"


def test_a_power_whose_exponent_g_format_would_round_is_named_exactly():
    assert ops.power(0.1234567).name == "**0.1234567" and ops.power(1e-07).name == "**1e-07"


def test_a_power_is_found_again_by_its_exact_name():
    assert ops.find("**0.1234567") is ops.power(0.1234567)


def test_zero_to_the_first_power_is_zero_with_gradient_one():
    x = Value(0.0)
    y = x**1
    y.backward()
    assert (y.data, x.grad) == (0.0, 1.0)


def test_zero_to_the_power_zero_is_one():
    # 0⁰ = 1, as in Python and PyTorch: only a fractional or negative power of 0 is refused
    assert (Value(0.0) ** 0).data == 1.0


def test_x_to_the_power_zero_has_gradient_zero_even_at_zero():
    # d/dx x⁰ = 0 everywhere: n·x^(n−1) with n = 0 would be 0·0⁻¹ at x = 0
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


def test_a_value_power_of_a_zero_base_is_refused_naming_the_base():
    with pytest.raises(ValueError, match=r"power: 0\.0 \*\* Value is defined only for a base > 0"):
        Value(0.0) ** Value(2.0)


def test_a_value_power_that_overflows_names_both_numbers():
    with pytest.raises(OverflowError, match=r"power: 10\.0 \*\* 400\.0 overflows a float"):
        Value(10.0) ** Value(400.0)


def test_the_square_root_of_zero_is_refused_naming_the_infinite_derivative():
    with pytest.raises(ValueError, match=r"sqrt\(0\.0\): defined here only for x > 0 \(at 0 its "
                                         r"derivative is infinite\)"):
        Value(0.0).sqrt()


def test_the_log_of_zero_is_refused():
    with pytest.raises(ValueError, match=r"log\(0\.0\): log is defined only for x > 0"):
        Value(0.0).log()


def test_division_by_zero_names_both_numbers():
    with pytest.raises(ZeroDivisionError, match=r"division by zero: 1\.0 / 0\.0"):
        Value(1.0) / 0.0


def test_a_negative_base_to_a_fractional_power_names_both_numbers():
    with pytest.raises(ValueError, match=r"power: -2\.0 \*\* 0\.5 is not real \(negative base, "
                                         r"non-integer exponent\)"):
        Value(-2.0) ** 0.5


def test_zero_to_a_fractional_power_names_the_infinite_derivative():
    with pytest.raises(ZeroDivisionError, match=r"^power: 0\.0 \*\* 0\.5 has an infinite "
                                                r"derivative n·x\^\(n-1\) at x = 0$"):
        Value(0.0) ** 0.5


def test_a_number_power_that_overflows_names_both_numbers():
    with pytest.raises(OverflowError, match=r"power: 10\.0 \*\* 400\.0 overflows a float"):
        Value(10.0) ** 400


class _Unsigned:
    """A callable whose signature inspect cannot read (as math.hypot's on 3.11)."""

    __signature__ = "unknown"

    def __call__(self, *xs: float) -> float:
        return math.hypot(*xs)


def test_a_function_without_a_signature_is_said_to_take_an_unknown_number_of_inputs():
    with pytest.raises(ValueError, match=r"the function takes an unknown number of inputs \(no "
                                         r"signature\); the derivative rule takes 0 or more"):
        mg.op("unsigned_c", derivative=lambda *xs_out: 1.0)(_Unsigned())


def test_a_function_without_a_signature_takes_its_rules_count():
    assert mg.op("unsigned_c", derivative=_hypot_rule)(_Unsigned()).arity == 2


def test_an_error_of_a_two_input_function_lists_both_operands():
    def fails(x, y):
        raise ValueError("out of its domain")

    f = mg.op("fails_c", derivative=lambda x, y, out: (1.0, 1.0))(fails)
    with pytest.raises(ValueError, match=r"operation 'fails_c' on 1\.5, -2\.0: out of its domain"):
        f(Value(1.5), -2.0)


def test_arity_one_is_accepted():
    assert mg.op("one_c", derivative=lambda *xs_out: 1.0, arity=1)(lambda *xs: xs[0]).arity == 1


# ------------------------------------------------------------------ how a user's op is shown
def test_a_users_op_is_written_by_the_explorer_as_its_name_applied_to_its_operands():
    hypot = mg.op("hypot_c", derivative=_hypot_rule)(math.hypot)
    assert write_op(hypot.name, [("x", 5), ("y", 5)]) == ("hypot_c(x, y)", 5)


def test_a_users_op_node_is_drawn_with_its_name():
    atan = mg.op("atan_c", derivative=lambda x, out: 1 / (1 + x * x))(math.atan)
    assert "label=<atan_c>" in draw_dot(atan(Value(0.5, "x"))).source


def test_a_users_two_input_op_node_is_drawn_as_its_formula_in_x_and_y():
    hypot = mg.op("hypot_c", derivative=_hypot_rule)(math.hypot)
    drawn = draw_dot(hypot(Value(3.0, "a"), Value(4.0, "b"))).source
    assert "label=<hypot_c(<I>x</I>, <I>y</I>)>" in drawn


def test_the_explorer_says_a_users_op_is_a_users_op_beside_its_step():
    atan = mg.op("atan_c", derivative=lambda x, out: 1 / (1 + x * x))(math.atan)
    assert html.unescape(slope_note(atan.name, "a")) == "a user's op"
