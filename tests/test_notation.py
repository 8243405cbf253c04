"""microgrid.notation: the derivation's labels (w^l_jk, b^l_j, z^l_j, a^l_j, δ^l_j; input = layer 1,
docs/backprop.md §1) and the activations' names, written once and read by nn, backprop, graph
and the PyTorch bridge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgrid
import microgrid.backprop as backprop
import microgrid.nn as nn
import microgrid.ops as ops
import microgrid.torch_bridge as mg_torch
from microgrid.notation import ACTIVATIONS, check_activation, index, label, parse_label, sup

PACKAGE = Path(microgrid.__file__).parent


@pytest.mark.parametrize(
    "args, text",
    [
        (("w", 2, 1, 3), "w^2_{13}"),
        (("b", 2, 1), "b^2_1"),
        (("z", 3, 2), "z^3_2"),
        (("a", 1, 2), "a^1_2"),
        (("δ", 4, 1), "δ^4_1"),
        (("w", 12, 1, 3), "w^{12}_{13}"),
        (("w", 2, 12, 3), "w^2_{12,3}"),
        (("z", 2, 10), "z^2_{10}"),
        (("a", 3, 12), "a^3_{12}"),
        (("w", 2, 10, 1), "w^2_{10,1}"),
    ],
)
def test_label_writes_the_notation_and_parse_label_reads_it_back(args, text):
    assert label(*args) == text
    assert parse_label(text) == (args[0], args[1], args[2:])


@given(st.sampled_from("wbzaδ"), st.integers(1, 120), st.integers(1, 120), st.integers(1, 120))
def test_parse_label_inverts_label_for_any_layer_and_indices(symbol, layer, j, k):
    indices = (j, k) if symbol == "w" else (j,)  # w^l_jk has two indices, b, z, a, δ one
    assert parse_label(label(symbol, layer, *indices)) == (symbol, layer, indices)


@pytest.mark.parametrize("text", ["", "x", "w^2", "w_13", "w^2_13 ", "loss", "w^{2_1", "y^2_"])
def test_parse_label_is_none_for_other_text(text):
    assert parse_label(text) is None


def test_sup_and_index_brace_what_is_longer_than_one_character():
    assert (sup(2), sup(10)) == ("2", "{10}")
    assert (index(1), index(1, 3), index(12, 3), index(10)) == ("1", "{13}", "{12,3}", "{10}")


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_check_activation_returns_a_known_name(name):
    assert check_activation(name) == name


@pytest.mark.parametrize("bad", ["softmax", "Sigmoid", None, 3])
def test_check_activation_lists_the_valid_names(bad):
    valid = r"unknown activation .*'sigmoid', 'tanh', 'relu', 'linear'"
    with pytest.raises(ValueError, match=valid):
        check_activation(bad)


def test_every_module_implements_exactly_the_listed_activations():
    # the names are listed once; the op table maps each to its op (nn and the torch bridge
    # read that map), and backprop keeps its own formula for each, as the independent oracle
    assert tuple(ops.ACTIVATIONS) == ACTIVATIONS
    assert set(mg_torch._NAMES.values()) == set(ACTIVATIONS)
    assert nn.ACTIVATIONS is ACTIVATIONS and backprop.ACTIVATIONS is ACTIVATIONS
    assert backprop.COSTS is microgrid.notation.COSTS  # the cost names, listed once too
    for name in ACTIVATIONS:  # backprop's σ and σ' have a formula for each name
        backprop.sigma(0.5, name)
        backprop.sigma_prime(0.5, name)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MLP(2, [1], activation="gelu"),
        lambda: backprop.backprop([[[1.0]]], [[0.0]], [1.0], [1.0], activation="gelu"),
        lambda: backprop.sigma(0.0, "gelu"),
        lambda: backprop.sigma_prime(0.0, "gelu"),
    ],
    ids=["nn", "backprop", "sigma", "sigma_prime"],
)
def test_nn_and_backprop_say_the_same_thing_about_an_unknown_activation(make):
    with pytest.raises(ValueError) as info:
        make()
    with pytest.raises(ValueError) as expected:
        check_activation("gelu")
    assert str(info.value) == str(expected.value)


def test_mlp_labels_are_the_notation_modules_labels():
    mlp = nn.MLP(2, [3, 1], seed=0)
    t = mlp.trace([0.5, -1.0])
    assert [v.label for v in t.x] == [label("a", 1, 1), label("a", 1, 2)]
    n = mlp.layers[0].neurons[2]
    assert [w.label for w in n.w] == [label("w", 2, 3, 1), label("w", 2, 3, 2)]
    assert (n.b.label, t.z[0][2].label, t.a[0][2].label) == (
        label("b", 2, 3), label("z", 2, 3), label("a", 2, 3))


def test_mlp_input_labels_are_made_once_not_on_every_call():
    mlp = nn.MLP(2, [1], seed=0)
    first = mlp.trace([0.5, -1.0]).x
    second = mlp.trace([0.1, 0.2]).x
    # the same label strings (not equal copies): built in __init__, reused by every call
    assert all(a.label is b.label for a, b in zip(first, second, strict=True))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in a source file: level 1 is ``from .x``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
        elif isinstance(node, ast.Import):
            out += [(0, alias.name) for alias in node.names]
    return out


def test_notation_imports_nothing_from_microgrid_and_backprop_only_notation():
    def from_package(name):
        return [m for level, m in _imports(PACKAGE / name) if level or "microgrid" in m]

    assert from_package("notation.py") == []
    assert from_package("backprop.py") == ["notation"]


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                offenders += [f"{path.name}: {a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
    assert offenders == []
