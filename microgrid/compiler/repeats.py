"""Sub-graphs that repeat, found in the graph itself: the examples of L(θ) = Σ_n C^n(θ).

A loss over a data set is one example's graph built again for every example
(docs/backprop.md §3): the same operations on the same parameters, each copy on its own
inputs.  `find` spots such copies among the operands of one node (a Σ, usually; a chain of
``+`` from Python's ``sum`` counts as one, see `microgrid.compiler.view`) without knowing
anything about networks, so that `microgrid.compile` can write one copy's forward and backward
pass once and run it over the copies, their inputs as data, instead of writing every copy out.

A set of operands qualifies when, for each of them, its *copy* — the operand and every node
below it used only inside it — has the same structure as the others' (same ops, the same
wiring, the same kind of input in each place), reads the same node in a place where one copy
does (a parameter: *shared*), and otherwise only leaves and numbers of its own (the example's
inputs: *per copy*).  One more condition keeps a replay bit for bit equal to ``backward()``:
the copies must lie one after the other in the graph's topological order, with nothing in
between, so that the chain rule, which walks that order backwards, adds each parameter's
contributions copy by copy, last copy first — the order a loop over the copies in reverse
also adds them in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..engine import Const, Value
from .view import View

__all__ = ["Group", "find", "MIN_COPIES", "MIN_NODES"]

MIN_COPIES = 2  # copies worth a loop …
MIN_NODES = 3  # … of at least this many nodes each


@dataclass
class Group:
    """Copies of one sub-graph, in topological order.

    Attributes:
        copies: each copy's nodes in topological order (its head, the operand, last).
        slots: per copy, the nodes outside it that it reads, in order of first use.
        shared: per slot, whether every copy reads the same node there.
        numbers: per copy, the plain numbers folded into its nodes, in order.
        fixed: per number, whether it is the same in every copy.
    """

    copies: list[list[Value]]
    slots: list[list[Value]]
    shared: list[bool]
    numbers: list[list[float]]
    fixed: list[bool]


def find(view: View, keep: set[Value]) -> list[Group]:
    """The groups of copies among the operands of the graph's nodes (a chain of ``+`` read as
    one Σ: `View`), outermost first; no node is in two groups."""
    interior = [n for n in view.order if n.parents]
    pos = {n: i for i, n in enumerate(interior)}
    parents = view.parents
    uses: Counter[Value] = Counter()
    for n in interior:
        uses.update(parents(n))
    claimed: set[Value] = set()
    groups: list[Group] = []
    budget = [8 * len(interior) + 1000]  # region walks, so that the search stays linear
    for s in reversed(interior):
        if s in claimed:
            continue
        heads = [p for p in dict.fromkeys(parents(s))
                 if p.parents and uses[p] == 1 and p not in claimed]
        if len(heads) < MIN_COPIES:
            continue
        # cheap keys first: only heads of the same op, with regions of the same size and in
        # one piece of the order, can be copies of each other
        by_op: dict[tuple, list[Value]] = {}
        for h in heads:
            by_op.setdefault((h.op, len(parents(h))), []).append(h)
        by_shape: dict[tuple, list[tuple]] = {}
        for same_op in by_op.values():
            if len(same_op) < MIN_COPIES:
                continue
            by_size: dict[int, list[list[Value]]] = {}
            for h in same_op:
                region = _region(h, parents, uses, pos, budget)
                if region is None:
                    return groups
                if (len(region) >= MIN_NODES
                        and pos[region[-1]] - pos[region[0]] + 1 == len(region)):
                    by_size.setdefault(len(region), []).append(region)
            for regions in by_size.values():
                if len(regions) < MIN_COPIES:
                    continue
                for region in regions:
                    shape, slots, numbers = _shape(region, keep, pos, view.operands)
                    by_shape.setdefault(shape, []).append((region, slots, numbers, shape))
        for members in by_shape.values():
            group = _group(members, pos, uses) if len(members) >= MIN_COPIES else None
            if group is not None:
                groups.append(group)
                claimed.update(n for copy in group.copies for n in copy)
    return groups


def _region(head: Value, parents: Callable, uses: Counter, pos: dict, budget: list[int]
            ) -> list[Value] | None:
    """``head`` and every interior node below it whose every use is inside (topological)."""
    region, stack, inside = {head}, [head], Counter()
    while stack:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        for p in parents(stack.pop()):
            if p.parents:
                inside[p] += 1
                if inside[p] == uses[p]:
                    region.add(p)
                    stack.append(p)
    return sorted(region, key=pos.__getitem__)


def _kind(x: Value) -> str:
    return "interior" if x.parents else "const" if type(x) is Const else "leaf"


def _shape(region: list[Value], keep: set[Value], pos: dict[Value, int], operands: Callable
           ) -> tuple[tuple, list[Value], list[float]]:
    """The structure of a copy (what two copies must share), its slots and its numbers.  The
    region is one piece of the order, so a node's place in it is its position minus the
    first's."""
    start, size, get = pos[region[0]], len(region), pos.get
    slot_of: dict[Value, int] = {}
    slots: list[Value] = []
    numbers: list[float] = []
    shape = []
    for n in region:
        refs = []
        for x in operands(n):
            if type(x) is float:
                numbers.append(x)
                refs.append(None)
                continue
            i = get(x, -1) - start
            if 0 <= i < size:
                refs.append(i)
                continue
            k = slot_of.get(x)
            if k is None:
                k = slot_of[x] = len(slots)
                slots.append(x)
            refs.append(-1 - k)
        shape.append((n.op, tuple(refs), n in keep))
    return (tuple(shape), tuple(map(_kind, slots))), slots, numbers


def _group(members: list[tuple], pos: dict, uses: Counter) -> Group | None:
    members.sort(key=lambda m: pos[m[0][0]])
    expected = pos[members[0][0][0]]
    for region, *_ in members:  # one after the other, nothing in between (see the module)
        if pos[region[0]] != expected or pos[region[-1]] != expected + len(region) - 1:
            return None
        expected += len(region)
    shape = members[0][3][0]
    reads = Counter(-1 - r for _, refs, _ in shape for r in refs if r is not None and r < 0)
    shared = []
    for k in range(len(members[0][1])):
        nodes = [m[1][k] for m in members]
        same = all(x is nodes[0] for x in nodes)
        if not same:
            # an example's own input: a leaf, read by its copy alone (its gradient then
            # comes from its copy only, in the copy's order)
            if any(x.parents for x in nodes) or len(set(nodes)) != len(nodes):
                return None
            if any(type(x) is not Const and uses[x] != reads[k] for x in nodes):
                return None
        shared.append(same)
    numbers = [m[2] for m in members]
    fixed = [all(repr(c[j]) == repr(numbers[0][j]) for c in numbers)
             for j in range(len(numbers[0]))]
    return Group([m[0] for m in members], [m[1] for m in members], shared, numbers, fixed)
