"""The op table's display fields (``symbol``, ``formula``, ``precedence``, ``note``), pinned
where a person sees them: the op node of a drawing (`draw_dot`) and the explorer's formulas
(`microgrid.explorer.formulas`).  One table of what each built-in op looks like; one claim a
test, for every op.
"""

from __future__ import annotations

import pytest

from microgrid import Value, ops
from microgrid.drawing import draw_dot
from microgrid.engine import apply
from microgrid.explorer.formulas import slope_note, write_op

# op → the op node's text in a drawing (Graphviz HTML-like label; two operands that cannot be
# swapped are drawn as the formula in x and y)
DRAWN = {
    "+": "+", "-": "<I>x</I> − <I>y</I>", "*": "×", "/": "<I>x</I> ÷ <I>y</I>",
    "**": '<I>x</I><SUP><FONT POINT-SIZE="9"><I>y</I></FONT></SUP>', "neg": "−( )",
    "exp": "exp", "log": "ln", "sqrt": "√", "sin": "sin", "cos": "cos", "tanh": "tanh",
    "σ": "<I>σ</I>", "ReLU": "ReLU", "abs": "|·|", "softplus": "softplus", "Σ": "Σ",
    "·": "Σ <I>w</I>·<I>a</I>", "·+": "Σ <I>w</I>·<I>a</I> + <I>b</I>",
    "**2": '( )<SUP><FONT POINT-SIZE="9">2</FONT></SUP>',
}
# op → (how the explorer writes it on the operands x, y, z, w, v, how tightly that binds)
WRITTEN = {
    "+": ("x + y", 1), "-": ("x − y", 1), "*": ("x·y", 2), "/": ("x/y", 2), "neg": ("−x", 3),
    "**": ("x<sup>y</sup>", 4), "exp": ("exp(x)", 5), "log": ("ln(x)", 5), "sqrt": ("√(x)", 5),
    "sin": ("sin(x)", 5), "cos": ("cos(x)", 5), "tanh": ("tanh(x)", 5),
    "σ": ("<i>σ</i>(x)", 5), "ReLU": ("ReLU(x)", 5), "abs": ("|x|", 5),
    "softplus": ("softplus(x)", 5), "Σ": ("x + y + z + w", 1), "·": ("x·z + y·w", 1),
    "·+": ("x·z + y·w + v", 1), "**2": ("x<sup>2</sup>", 4),
}
# op → its derivative in words, as the explorer shows it beside an activation's step
NOTES = {
    "exp": "exp′(x) = exp(x)", "log": "ln′(x) = 1/x", "sqrt": "√′(x) = 1/(2√x)",
    "sin": "sin′(x) = cos(x)", "cos": "cos′(x) = −sin(x)", "tanh": "tanh′(z) = 1 − tanh²(z)",
    "σ": "<i>σ</i>′(z) = <i>σ</i>(z)(1 − <i>σ</i>(z)) (docs/backprop.md §8)",
    "ReLU": "ReLU′(z) = 1 for z &gt; 0, else 0", "abs": "|x|′ = the sign of x (0 at 0)",
    "softplus": "softplus′(x) = <i>σ</i>(x)", "**2": "d/dx xⁿ = n·x^(n−1)",
    "**": "",  # a step of two operands: the explorer shows its two local gradients instead
    "·": "∂z/∂w_k = a_k, ∂z/∂a_k = w_k (docs/backprop.md §6–§7)",
    "·+": "∂z/∂w_k = a_k, ∂z/∂a_k = w_k, ∂z/∂b = 1 (docs/backprop.md §6–§7)",
    "+": "", "-": "", "*": "", "/": "", "neg": "", "Σ": "",
}


def _operands(entry: ops.Op) -> int:
    return entry.arity or (5 if entry.name == "·+" else 4)


def test_every_built_in_op_has_a_pinned_look():
    built_in = {name for name, entry in ops.table.items() if not entry.user_defined}
    assert built_in | {"**2"} == set(DRAWN) == set(WRITTEN) == set(NOTES)


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_a_drawing_writes_each_op_node_as_the_table_says(name):
    entry = ops.get(name)
    node = apply(entry, [Value(0.5 + i, f"v{i}") for i in range(_operands(entry))])
    assert f"label=<{DRAWN[name]}>" in draw_dot(node).source


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_the_explorer_writes_each_op_as_the_table_says(name):
    terms = [(t, 5) for t in "xyzwv"[: _operands(ops.get(name))]]
    assert write_op(name, terms) == WRITTEN[name]


@pytest.mark.parametrize("name", sorted(NOTES))
def test_the_explorer_gives_each_ops_derivative_in_words(name):
    assert slope_note(name, "a") == NOTES[name]


@pytest.mark.parametrize("name", ["*", "/", "**", "neg"])
def test_the_explorer_brackets_a_sum_inside_a_tighter_op(name):
    terms = [("a + b", 1), ("c", 5)][: _operands(ops.get(name))]
    assert "(a + b)" in write_op(name, terms)[0]


@pytest.mark.parametrize("name", ["+", "Σ"])
def test_the_explorer_does_not_bracket_a_product_inside_a_sum(name):
    assert write_op(name, [("a·b", 2), ("c·d", 2)])[0] == "a·b + c·d"


def test_the_explorer_brackets_the_right_side_of_a_difference_that_is_a_sum():
    assert write_op("-", [("a + b", 1), ("c + d", 1)])[0] == "a + b − (c + d)"


def test_the_explorer_brackets_a_power_of_a_power_in_the_base():
    assert write_op("**2", [("x<sup>y</sup>", 4)])[0] == "(x<sup>y</sup>)<sup>2</sup>"
