"""The names of a compiled step, decided before any line is written: what each node's value and
gradient are called in the code, and what the repeated copies (`microgrid.compiler.repeats`)
read and write.

Names come from the nodes' labels in docs/backprop.md's notation (`microgrid.notation`): the
value z^2_1 is ``z2_1`` and its gradient ∂C/∂z^2_1 = δ^2_1 is ``δ2_1``; ∂C/∂w^2_{11} is
``dC_dw2_11``; a node without a label is named after its op (``σ1``, ``add2``).  Only the first
copy of a repeated sub-graph is named: it stands for every copy in the loop over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ops
from ..engine import Const, Value
from .codegen import RESERVED, Functions, Names, label_name, literal, node_base, parsed
from .repeats import Group
from .view import View

__all__ = ["Naming", "name_nodes", "GROUP_NAMES"]

# what the loop over group g calls its lists and data: outs1, saved1, …
GROUP_NAMES = ("outs", "saved", "gouts", "gl", "d", "k", "inputs", "consts", "rinputs", "keep",
               "kept")


@dataclass
class Naming:
    """What the naming pre-pass decides (see the module).

    Attributes:
        names: the identifiers taken so far (the writing takes more: local gradients).
        value: node → its value as code (a name, or a Const's literal).
        grad: node → the name of ∂C/∂node, for each node that needs a gradient.
        needs: node → whether a leaf that gets a gradient lies beneath it (Consts get none).
        number: (node, i) → the name of operand i, a number that differs from copy to copy.
        layers: labelled z, a, w, b nodes → (symbol, layer), for the BP1–BP4 comments.
        group_of: node of a copy → (its group, its copy).
        per_copy: the copies' own leaves (an example's inputs), in every copy.
        heads: a copy's last node → its value after the loop (``outs1[3]``).
        lists: ``outs1`` → how many copies it holds.
    """

    names: Names
    value: dict[Value, str] = field(default_factory=dict)
    grad: dict[Value, str] = field(default_factory=dict)
    needs: dict[Value, bool] = field(default_factory=dict)
    number: dict[tuple[Value, int], str] = field(default_factory=dict)
    layers: dict[Value, tuple[str, int]] = field(default_factory=dict)
    group_of: dict[Value, tuple[int, int]] = field(default_factory=dict)
    per_copy: set[Value] = field(default_factory=set)
    heads: dict[Value, str] = field(default_factory=dict)
    lists: dict[str, int] = field(default_factory=dict)

    def new_name(self, node: Value) -> str:
        """A fresh name for ``node``: from its label, else from its op (numbered)."""
        fallback = "x" if not node.parents else node_base(ops.get(node.op))
        base = label_name(node.label, fallback) if node.label else fallback
        return self.names.new(base, numbered=not node.label)

    def note_layer(self, node: Value) -> None:
        p = parsed(node.label)
        if p and p[0] in "zawb":
            self.layers[node] = (p[0], p[1])


def name_nodes(root: Value, view: View, groups: list[Group], fns: Functions) -> Naming:
    """Name every node of ``view`` that the code writes, and every gradient it needs."""
    own = {f"{base}{g + 1}" for g in range(len(groups)) for base in GROUP_NAMES}
    n = Naming(Names(RESERVED | set(fns.namespace) | own))
    for g, group in enumerate(groups):
        for c, copy in enumerate(group.copies):
            n.group_of.update((node, (g, c)) for node in copy)
            n.per_copy.update(x for x, s in zip(group.slots[c], group.shared) if not s)
    c_name = label_name(root.label, "C") if root.label else "C"
    for node in view.order:
        where = n.group_of.get(node)
        if node in n.per_copy or (where is not None and where[1] > 0):
            continue  # only copy 0 is written out; see _name_group
        if not node.parents and type(node) is Const and node is not root:
            n.value[node] = literal(node.data)
        elif node is root:
            n.value[node] = n.names.new(c_name)
        else:
            n.value[node] = n.new_name(node)
        n.note_layer(node)
    for g, group in enumerate(groups):
        _name_group(n, g, group, view)
    _name_gradients(n, root, view)
    return n


def _name_group(n: Naming, g: int, group: Group, view: View) -> None:
    """Copy 0's nodes stand for every copy; its own inputs become the loop's variables."""
    for slot, x in enumerate(group.slots[0]):
        if group.shared[slot]:
            continue
        if type(x) is Const:
            n.value[x] = n.names.new("c", numbered=True)
        else:
            n.value[x] = n.new_name(x)
            n.note_layer(x)
    j = 0
    for node in group.copies[0]:
        for i, x in enumerate(view.operands(node)):
            if not isinstance(x, Value):
                if not group.fixed[j]:
                    n.number[(node, i)] = n.names.new("c", numbered=True)
                j += 1
    n.lists[f"outs{g + 1}"] = len(group.copies)
    for c, copy in enumerate(group.copies):  # what the nodes after the loop read
        n.heads[copy[-1]] = f"outs{g + 1}[{c}]"


def _name_gradients(n: Naming, root: Value, view: View) -> None:
    """Which nodes need a gradient, and its name: δ for a z node, else dC_dNAME."""
    for node in view.order:
        if not node.parents:
            n.needs[node] = type(node) is not Const or node is root
        else:
            n.needs[node] = any(n.needs[p] for p in view.parents(node))
    C = n.value[root]
    for node in view.order:
        v = n.value.get(node)
        if not n.needs[node] or v is None or node in n.grad:
            continue
        if n.layers.get(node, ("",))[0] == "z" and node.parents:
            n.grad[node] = n.names.new("δ" + v[1:])
        else:
            n.grad[node] = n.names.new(f"d{C}_d{v}")
