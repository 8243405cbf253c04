"""The text of a compiled step: a graph's forward and backward passes as one Python function.

Straight-line code, one statement per node in the order ``backward()`` applies the chain rule,
except where the graph repeats (`microgrid.compiler.repeats`): one copy of the repeated
sub-graph — an example of L(θ) = Σ_n C^n(θ), docs/backprop.md §3 — is written once, as the body
of a loop over the copies in the forward pass, and again in reverse in the backward pass
(`microgrid.compiler.loops`).  The names are decided first (`microgrid.compiler.naming`); each
line is made from the op table's entry for its node (`microgrid.compiler.codegen.OpCode`).
A statement's depth (1 in ``def step``, 2 in a loop's body) says both its indentation and its
width (`microgrid.compiler.codegen.width`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine import Const, Value
from . import loops
from .codegen import (
    Functions,
    OpCode,
    assign,
    fill,
    literal,
    product,
    reading_order,
    unpack,
    width,
    wrap,
)
from .naming import name_nodes
from .repeats import Group
from .view import View

__all__ = ["Generated", "Generator"]


@dataclass
class Generated:
    """What `Generator.build` returns."""

    source: str
    namespace: dict[str, object]
    leaves: list[Value]  # read through step(leaves, kept)
    kept: list[Value]  # written through step(leaves, kept)
    group_leaves: list[Value] = field(default_factory=list)  # the copies' own, read by loops
    lines: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # line → node, op, group
    node_lines: dict[Value, tuple[int, str]] = field(default_factory=dict)


class Generator:
    """Writes one compiled step (`build`): the names of `microgrid.compiler.naming`, the lines
    of `microgrid.compiler.codegen`, the loops of `microgrid.compiler.loops`."""

    def __init__(self, root: Value, view: View, keep: tuple[Value, ...],
                 groups: list[Group], codes: dict[Value, OpCode], fns: Functions) -> None:
        self.root, self.order, self.keep, self.groups = root, view.order, keep, groups
        self.operands = view.operands
        self.interior = [n for n in self.order if n.parents]
        self.code_of, self.fns = codes, fns
        self.n = name_nodes(root, view, groups, fns)
        self.local: dict[tuple[Value, int], str] = {}  # (node, i) → a local gradient's name
        self.saved: dict[int, list[str]] = {}  # group → the names its backward loop reads
        self.ns: dict[str, object] = {}
        self.out = Generated("", self.ns, [], [])
        self.last: int | None = None  # the output layer L, for the BP1/BP2 comments

    def _operands(self, node: Value) -> list[str]:
        outside = node not in self.n.group_of
        return [(self.n.heads[x] if outside and x in self.n.heads else self.n.value[x])
                if isinstance(x, Value) else self.n.number.get((node, i)) or literal(x)
                for i, x in enumerate(self.operands(node))]

    # ------------------------------------------------------------ the whole function
    def build(self) -> Generated:
        C = self.n.value[self.root]
        leaves = [n for n in self.order if not n.parents and n not in self.n.per_copy
                  and (type(n) is not Const or n is self.root)]
        leaves.sort(key=reading_order(leaves))
        self.out.leaves = leaves
        self.out.kept = [n for n in self.keep if n not in self.n.group_of]
        code: list[str] = []
        self._header(code, leaves)
        code.append("    # forward pass: one line per node (docs/backprop.md §2)")
        done: set[int] = set()
        for node in self.interior:
            where = self.n.group_of.get(node)
            if where is None:
                self.emit(code, self.forward(node, 1), node, 1)
            elif where[0] not in done:
                done.add(where[0])
                loops.forward_loop(self, code, where[0])
        code.append(f"    if not isfinite({C}):")
        code.append(f"        root_error({C})")
        self._backward(code, leaves)
        self.out.source = "\n".join(code) + "\n"
        return self.out

    def emit(self, code: list[str], lines: list[str], node: Value | None, depth: int,
              group: int = 0) -> None:
        for s in lines:
            code.append("    " * depth + s)
            if node is not None:
                self.out.lines[len(code)] = (self.n.value[node], node.op, group)
                self.out.node_lines.setdefault(node, (len(code), self.n.value[node]))

    def _header(self, code: list[str], leaves: list[Value]) -> None:
        C = self.n.value[self.root]
        code += [
            f"# The forward and backward pass of {C} ({len(self.order):,} nodes), compiled by",
            "# microgrid.compile.  Names come from the nodes' labels: z2_1 is z^2_1,",
            f"# δ2_1 = ∂{C}/∂z^2_1, d{C}_dw2_11 = ∂{C}/∂w^2_{{11}}; a label met again gets a",
            "# suffix (z2_1__2).  In an MLP the backward lines instance the equations of",
            "# docs/backprop.md: BP1 δ^L at the output (§5), BP2 δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙",
            "# σ'(z^l) (§6), BP3 ∂C/∂b^l_j = δ^l_j and BP4 ∂C/∂w^l_jk = a^{l-1}_k δ^l_j (§7),",
            "# each summed over the examples in the graph.",
            "def step(leaves, kept):",
        ]
        if leaves:
            names = [self.n.value[n] for n in leaves]
            code += ["    " + s for s in unpack(names, "[leaf.data for leaf in leaves]")]

    # ------------------------------------------------------------ forward
    def forward(self, node: Value, depth: int) -> list[str]:
        """The node's value, and those of its local gradients that can raise (computed in
        the forward pass, as the interpreter computes them)."""
        oc, ps, name = self.code_of[node], self._operands(node), self.n.value[node]
        comment = node.label if node.label and node.label != name else ""
        terms = None
        if ps and ps[0].startswith("outs") and node not in self.n.group_of:
            terms = self._over_copies(oc, ps)
        terms = terms or [fill(t, ps, name) for t in oc.forward]
        lines = assign(name, terms, comment, width(depth))
        if oc.calls_rule:
            names = [self.n.names.new(f"d{name}_d{i + 1}") for i in range(oc.n)]
            self.local.update(((node, i), n) for i, n in enumerate(names))
            lines += unpack(names, fill(oc.local[0], ps, name))
            return lines
        for i, raises in enumerate(oc.raises):
            if raises:  # e.g. ∂x⁻¹/∂x = −x⁻², which can overflow: raised here, as it is there
                local = self.local[(node, i)] = self.n.names.new(f"d{name}_d{i + 1}")
                line, comment = f"{local} = {fill(oc.local[i], ps, name)}", f"  # ∂{name}/∂{ps[i]}"
                lines.append(line + comment if len(line + comment) <= width(depth) else line)
        return lines

    def _over_copies(self, oc: OpCode, ps: list[str]) -> list[str] | None:
        """The op of a node whose operands are the copies' heads (the Σ_n of L = Σ_n C^n), in
        order, numbers among them (the 0 Python's sum() starts from), as a call of the op's own
        function on their list: ``Σ(*outs1)``, ``Σ(outs1[0], 0.0, *outs1[1:])``, adding left
        to right as the interpreter does (`microgrid.ops.add_up`)."""
        outs = ps[0].split("[")[0]
        m = self.n.lists.get(outs)
        if m is None or oc.forward_call is None:
            return None
        args: list = []  # an operand's text, or [start, stop) of a run of the list
        c = 0
        for p in ps:
            if p == f"{outs}[{c}]":
                if args and type(args[-1]) is list:
                    args[-1][1] = c + 1
                else:
                    args.append([c, c + 1])
                c += 1
            elif p.startswith(f"{outs}["):
                return None
            else:
                args.append(p)
        if c != m:
            return None
        text = [a if type(a) is str else f"{outs}[{a[0]}]" if a[1] == a[0] + 1 else
                f"*{outs}[{a[0] or ''}:{'' if a[1] == m else a[1]}]".replace("[:]", "")
                for a in args]
        return [f"{oc.forward_call}({', '.join(text)})"]

    # ------------------------------------------------------------ backward
    def _backward(self, code: list[str], leaves: list[Value]) -> None:
        C, root, needs = self.n.value[self.root], self.root, self.n.needs
        code.append(f"    # backward pass: the chain rule from {C} down, in the order backward() "
                    "applies it")
        code.append("    # (docs/backprop.md §4); each ∂/∂node is the sum over the nodes it feeds")
        incoming: dict[Value, list[str]] = {}
        zs = [layer for node, (sym, layer) in self.n.layers.items() if sym == "z" and node.parents]
        self.last = max(zs) if zs else None
        if needs[root]:
            code.append(f"    {self.n.grad[root]} = 1.0")
        finals: list[str] = []
        for node in reversed(self.interior):
            where = self.n.group_of.get(node)
            if where is not None:
                group = self.groups[where[0]]
                if node is group.copies[-1][-1] and needs[node]:
                    finals += loops.backward_loop(self, code, where[0], incoming)
                continue
            if needs[node]:
                self.node_backward(code, node, incoming, 1, None)
        grads = []
        for leaf in leaves:
            if not needs[leaf]:
                continue
            grads.append(self.n.grad[leaf])
            if leaf is not root:
                terms = incoming.pop(leaf)
                if terms != [self.n.grad[leaf]]:
                    code += ["    " + s for s in assign(self.n.grad[leaf], terms,
                                                        self.mark(leaf))]
        if grads:
            code += ["    " + s for s in wrap("grads = ", grads, ", ", "(",
                                              ",)" if len(grads) == 1 else ")")]
        total = " + ".join([C] + (["sum(grads)"] if grads else []) + [f"sum({f})" for f, _ in
                                                                      finals])
        code += [
            "    # every gradient finite, or the interpreter redoes this step (see compile)",
            f"    if not isfinite({total}):",
            "        raise Redo",
        ]
        if grads:
            code += ["    for leaf, g in zip(leaves, grads):", "        leaf.grad += g"]
        for gl, rinputs in finals:
            code += [f"    for leaf, g in zip({rinputs}, {gl}):", "        leaf.grad += g"]
        if self.out.kept:
            kept = [self.n.value[n] for n in self.out.kept]
            code += ["    " + s for s in wrap("for node, v in zip(kept, ", kept, ", ", "(",
                                              ",)):" if len(kept) == 1 else ")):")]
            code.append("        node.data = v")
        for g in range(len(self.groups)):
            if f"keep{g + 1}" in self.ns:
                code += [f"    for node, v in zip(keep{g + 1}, kept{g + 1}):",
                         "        node.data = v"]
        code.append(f"    return {C}")

    def _contributions(self, node: Value) -> list[tuple[Value, str]]:
        """(operand, local · g as code) for each operand of ``node`` that needs a gradient."""
        needs = self.n.needs
        oc, ps, g = self.code_of[node], self._operands(node), self.n.grad[node]
        name = self.n.value[node]
        out = []
        for i, x in enumerate(self.operands(node)):
            if isinstance(x, Value) and needs[x]:
                local = self.local.get((node, i)) or fill(oc.local[i], ps, name)
                out.append((x, product(local, oc.one[i] and (node, i) not in self.local, g)))
        return out

    def node_backward(self, code: list[str], node: Value, incoming: dict, depth: int,
                       shared: set[Value] | None) -> None:
        """∂C/∂node from what it feeds, then what it passes on to its operands.  In a copy
        (``shared`` given), a contribution to a shared node is added to its sum at once, in
        the order the interpreter adds it."""
        pad = "    " * depth
        if node is not self.root:
            terms = incoming.pop(node)
            if terms != [self.n.grad[node]]:
                code += [pad + s for s in self._grad_sum(node, terms, depth)]
        adds = []
        for p, term in self._contributions(node):
            if shared is not None and p in shared:
                adds.append(f"{self.n.grad[p]} += {term}")
            else:
                incoming.setdefault(p, []).append(term)
        if len(adds) < 2:
            code += [pad + s for s in adds]
        elif adds:
            # as in backward(), a node whose gradient is 0 passes nothing on (a dead ReLU's
            # δ, an inactive hinge): its weights' sums are not touched
            code.append(f"{pad}if {self.n.grad[node]}:  # 0 passes nothing on")
            code += [pad + "    " + s for s in adds]

    def _grad_sum(self, node: Value, terms: list[str], depth: int) -> list[str]:
        """``g = t1 + t2 + …``; for a node whose one local gradient is a step (relu, abs), the
        sum only where the step is not 0 (a dead ReLU passes 0 · (∂C/∂a) = 0 back whatever
        ∂C/∂a is: often half a hidden layer's BP2 work)."""
        g = self.n.grad[node]
        lines = assign(g, terms, self.mark(node), width(depth))
        oc = self.code_of[node]
        if oc.n != 1 or not oc.step[0] or not isinstance(node.operands[0], Value):
            return lines
        step = fill(oc.guard[0], self._operands(node), self.n.value[node])
        body = [s for s in lines if not s.startswith("#")]
        if len(body) > 1:  # written inside the `if`: 4 more of indentation
            body = assign(g, terms, "", width(depth + 1))
        if len(body) == 1:
            text, _, comment = body[0].partition("  # ")
            return [f"{text} if {step} else 0.0" + (f"  # {comment}" if comment else "")]
        return [*[s for s in lines if s.startswith("#")],
                f"{g} = 0.0  # where not {step}, the step passes nothing back",
                f"if {step}:", *["    " + s for s in body]]

    def mark(self, node: Value) -> str:
        """The equation a line instances, for the nodes of an MLP."""
        sym, layer = self.n.layers.get(node, ("", 0))
        last = self.last
        if sym == "z" and node.parents:
            return "BP1" if layer == last else "BP2"
        if sym == "a" and node.parents and last is not None:
            return "BP1: ∇_a C" if layer == last else "BP2: (w^{l+1})ᵀ δ^{l+1}"
        if sym == "b" and not node.parents:
            return "BP3"
        if sym == "w" and not node.parents:
            return "BP4"
        return ""
