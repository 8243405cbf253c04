"""The text of a compiled step: a graph's forward and backward passes as one Python function.

Straight-line code, one statement per node in the order ``backward()`` applies the chain rule,
except where the graph repeats (`microgrid.compiler.repeats`): one copy of the repeated
sub-graph — an
example of L(θ) = Σ_n C^n(θ), docs/backprop.md §3 — is written once, as the body of a loop over
the copies in the forward pass, and again in reverse in the backward pass.  Each line is made
from the op table's entry for its node (`microgrid.compiler.codegen.OpCode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ops
from ..engine import Const, Value
from .codegen import (
    RESERVED,
    WIDTH,
    Functions,
    Names,
    OpCode,
    assign,
    fill,
    label_name,
    literal,
    node_base,
    parsed,
    product,
    reading_order,
    unpack,
    wrap,
)
from .repeats import Group
from .view import View

__all__ = ["Generated", "Generator"]

# what the loop over group g calls its lists and data: outs1, saved1, …
_GROUP_NAMES = ("outs", "saved", "gouts", "gl", "d", "k", "inputs", "consts", "rinputs",
                "keep", "kept")


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
    def __init__(self, root: Value, view: View, keep: tuple[Value, ...],
                 groups: list[Group], codes: dict[Value, OpCode], fns: Functions) -> None:
        self.root, self.order, self.keep, self.groups = root, view.order, keep, groups
        self.operands, self.parents = view.operands, view.parents
        self.interior = [n for n in self.order if n.parents]
        self.code_of, self.fns = codes, fns
        self.value: dict[Value, str] = {}  # node → its value as code
        self.grad: dict[Value, str] = {}  # node → the name of ∂C/∂node
        self.local: dict[tuple[Value, int], str] = {}  # (node, i) → a local gradient's name
        self.number: dict[tuple[Value, int], str] = {}  # (node, i) → a per-copy number's name
        self.layers: dict[Value, tuple[str, int]] = {}  # labelled z/a/w/b → (symbol, layer)
        self.group_of: dict[Value, tuple[int, int]] = {}  # node of a copy → (group, copy)
        self.per_copy: set[Value] = set()  # the copies' own leaves (all copies)
        for g, group in enumerate(groups):
            for c, copy in enumerate(group.copies):
                self.group_of.update((n, (g, c)) for n in copy)
                self.per_copy.update(x for x, s in zip(group.slots[c], group.shared) if not s)
        self.heads: dict[Value, str] = {}  # a copy's last node → its value after the loop
        self.saved: dict[int, list[str]] = {}  # group → the names its backward loop reads
        self.lists: dict[str, int] = {}  # outs1 → how many copies
        own = {f"{base}{g + 1}" for g in range(len(groups)) for base in _GROUP_NAMES}
        self.names = Names(RESERVED | set(fns.namespace) | own)
        self.ns: dict[str, object] = {}
        self.out = Generated("", self.ns, [], [])
        self.width = WIDTH  # of a statement at the current depth (a loop's body: 4 less)

    # ------------------------------------------------------------ names
    def _name(self, node: Value) -> str:
        if not node.parents:
            fallback = "x"
        else:
            fallback = node_base(ops.get(node.op))
        base = label_name(node.label, fallback) if node.label else fallback
        return self.names.new(base, numbered=not node.label)

    def _name_all(self) -> None:
        root = self.root
        c_name = label_name(root.label, "C") if root.label else "C"
        for node in self.order:
            where = self.group_of.get(node)
            if node in self.per_copy or (where is not None and where[1] > 0):
                continue  # only copy 0 is written out; see _name_group
            if not node.parents and type(node) is Const and node is not root:
                self.value[node] = literal(node.data)
            elif node is root:
                self.value[node] = self.names.new(c_name)
            else:
                self.value[node] = self._name(node)
            p = parsed(node.label)
            if p and p[0] in "zawb":
                self.layers[node] = (p[0], p[1])
        for g, group in enumerate(self.groups):
            self._name_group(g, group)

    def _name_group(self, g: int, group: Group) -> None:
        """Copy 0's nodes stand for every copy; its own inputs become the loop's variables."""
        first = group.copies[0]
        for slot, x in enumerate(group.slots[0]):
            if group.shared[slot]:
                continue
            if type(x) is Const:
                self.value[x] = self.names.new("c", numbered=True)
            else:
                self.value[x] = self._name(x)
                p = parsed(x.label)
                if p and p[0] in "zawb":
                    self.layers[x] = (p[0], p[1])
        j = 0
        for node in first:
            for i, x in enumerate(self.operands(node)):
                if not isinstance(x, Value):
                    if not group.fixed[j]:
                        self.number[(node, i)] = self.names.new("c", numbered=True)
                    j += 1
        self.lists[f"outs{g + 1}"] = len(group.copies)
        for c, copy in enumerate(group.copies):  # what the nodes after the loop read
            self.heads[copy[-1]] = f"outs{g + 1}[{c}]"

    def _operands(self, node: Value) -> list[str]:
        outside = node not in self.group_of
        return [(self.heads[x] if outside and x in self.heads else self.value[x])
                if isinstance(x, Value) else self.number.get((node, i)) or literal(x)
                for i, x in enumerate(self.operands(node))]

    # ------------------------------------------------------------ gradients' names
    def _needs(self) -> dict[Value, bool]:
        """A node needs a gradient if a leaf that gets one lies beneath it (Consts don't)."""
        needs: dict[Value, bool] = {}
        for node in self.order:
            if not node.parents:
                needs[node] = type(node) is not Const or node is self.root
            else:
                needs[node] = any(needs[p] for p in self.parents(node))
        return needs

    def _grad_names(self, needs: dict[Value, bool]) -> None:
        C = self.value[self.root]
        for node in self.order:
            v = self.value.get(node)
            if not needs[node] or v is None or node in self.grad:
                continue
            if self.layers.get(node, ("",))[0] == "z" and node.parents:
                self.grad[node] = self.names.new("δ" + v[1:])
            else:
                self.grad[node] = self.names.new(f"d{C}_d{v}")

    # ------------------------------------------------------------ the whole function
    def build(self) -> Generated:
        self._name_all()
        needs = self._needs()
        self._grad_names(needs)
        C = self.value[self.root]
        leaves = [n for n in self.order if not n.parents and n not in self.per_copy
                  and (type(n) is not Const or n is self.root)]
        leaves.sort(key=reading_order(leaves))
        self.out.leaves = leaves
        self.out.kept = [n for n in self.keep if n not in self.group_of]
        code: list[str] = []
        self._header(code, leaves)
        code.append("    # forward pass: one line per node (docs/backprop.md §2)")
        done: set[int] = set()
        for node in self.interior:
            where = self.group_of.get(node)
            if where is None:
                self._emit(code, self._forward(node), node, 1)
            elif where[0] not in done:
                done.add(where[0])
                self._forward_loop(code, where[0])
        code.append(f"    if not isfinite({C}):")
        code.append(f"        root_error({C})")
        self._backward(code, needs, leaves)
        self.out.source = "\n".join(code) + "\n"
        return self.out

    def _emit(self, code: list[str], lines: list[str], node: Value | None, depth: int,
              group: int = 0) -> None:
        for s in lines:
            code.append("    " * depth + s)
            if node is not None:
                self.out.lines[len(code)] = (self.value[node], node.op, group)
                self.out.node_lines.setdefault(node, (len(code), self.value[node]))

    def _header(self, code: list[str], leaves: list[Value]) -> None:
        C = self.value[self.root]
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
            names = [self.value[n] for n in leaves]
            code += ["    " + s for s in unpack(names, "[leaf.data for leaf in leaves]")]

    # ------------------------------------------------------------ forward
    def _forward(self, node: Value) -> list[str]:
        """The node's value, and those of its local gradients that can raise (computed in
        the forward pass, as the interpreter computes them)."""
        oc, ps, name = self.code_of[node], self._operands(node), self.value[node]
        comment = node.label if node.label and node.label != name else ""
        terms = None
        if ps and ps[0].startswith("outs") and node not in self.group_of:
            terms = self._over_copies(oc, ps)
        terms = terms or [fill(t, ps, name) for t in oc.forward]
        lines = assign(name, terms, comment, self.width)
        if oc.calls_rule:
            names = [self.names.new(f"d{name}_d{i + 1}") for i in range(oc.n)]
            self.local.update(((node, i), n) for i, n in enumerate(names))
            lines += unpack(names, fill(oc.local[0], ps, name))
            return lines
        for i, raises in enumerate(oc.raises):
            if raises:  # e.g. ∂x⁻¹/∂x = −x⁻², which can overflow: raised here, as it is there
                local = self.local[(node, i)] = self.names.new(f"d{name}_d{i + 1}")
                line, comment = f"{local} = {fill(oc.local[i], ps, name)}", f"  # ∂{name}/∂{ps[i]}"
                lines.append(line + comment if len(line + comment) <= WIDTH else line)
        return lines

    def _over_copies(self, oc: OpCode, ps: list[str]) -> list[str] | None:
        """The op of a node whose operands are the copies' heads (the Σ_n of L = Σ_n C^n), in
        order, numbers among them (the 0 Python's sum() starts from), as a call of the op's own
        function on their list: ``Σ(*outs1)``, ``Σ(outs1[0], 0.0, *outs1[1:])``, adding left
        to right as the interpreter does (`microgrid.ops.add_up`)."""
        outs = ps[0].split("[")[0]
        m = self.lists.get(outs)
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

    def _forward_loop(self, code: list[str], g: int) -> None:
        """Copy 0's forward pass as the body of a loop over the copies, each copy's inputs
        (its own leaves' current data, its numbers) as the loop's variables."""
        group = self.groups[g]
        first, m, n = group.copies[0], len(group.copies), g + 1
        own = [not s for s in group.shared]
        leaves = [self.value[x] for x, o in zip(group.slots[0], own) if o and type(x) is not Const]
        consts = [self.value[x] for x, o in zip(group.slots[0], own) if o and type(x) is Const]
        numbers = [name for (node, _), name in self.number.items() if node in first]
        data = [x for c in range(m) for x, o in zip(group.slots[c], own)
                if o and type(x) is not Const]
        varying = [j for j, f in enumerate(group.fixed) if not f]
        values = [v for c in range(m) for v in (
            [x.data for x, o in zip(group.slots[c], own) if o and type(x) is Const]
            + [group.numbers[c][j] for j in varying])]
        code.append(f"    # {m:,} copies of one sub-graph (the examples n of L = Σ_n C^n, "
                    "docs/backprop.md §3):")
        code.append("    # one copy, written out once, runs for each with its own inputs")
        code.append(f"    outs{n}, saved{n} = [], []")
        kept_nodes = [x for x in first if x in self.keep]
        if kept_nodes:
            code.append(f"    kept{n} = []")
            self.ns[f"keep{n}"] = tuple(copy[i] for copy in group.copies
                                        for i, x in enumerate(first) if x in self.keep)
        sources = []
        if data:
            self.ns[f"inputs{n}"] = tuple(data)
            self.out.group_leaves += data
            code.append(f"    d{n} = iter([leaf.data for leaf in inputs{n}])")
            sources += [f"d{n}"] * len(leaves)
        if values:
            self.ns[f"consts{n}"] = tuple(values)
            code.append(f"    k{n} = iter(consts{n})")
            sources += [f"k{n}"] * (len(consts) + len(numbers))
        loop_vars = leaves + consts + numbers
        if loop_vars:
            comma = "," if len(loop_vars) == 1 else ""
            code += ["    " + s for s in wrap("for (", loop_vars, ", ", "",
                                              f"{comma}) in zip({', '.join(sources)}):")]
        else:
            code.append(f"    for _ in range({m}):")
        self.width = WIDTH - 4
        for node in first:
            self._emit(code, self._forward(node), node, 2, n)
        self.width = WIDTH
        locals_ = [name for (node, _), name in self.local.items() if node in self.group_of
                   and self.group_of[node][0] == g]
        self.saved[g] = loop_vars + [self.value[x] for x in first] + locals_
        code.append(f"        outs{n}.append({self.value[first[-1]]})")
        code += ["        " + s for s in wrap(f"saved{n}.append(", self.saved[g], ", ", "(", "))",
                                                WIDTH - 4)]
        if kept_nodes:
            names = [self.value[x] for x in kept_nodes]
            code.append(f"        kept{n} += ({', '.join(names)}{',' if len(names) == 1 else ''})")

    # ------------------------------------------------------------ backward
    def _backward(self, code: list[str], needs: dict[Value, bool], leaves: list[Value]) -> None:
        C, root = self.value[self.root], self.root
        code.append(f"    # backward pass: the chain rule from {C} down, in the order backward() "
                    "applies it")
        code.append("    # (docs/backprop.md §4); each ∂/∂node is the sum over the nodes it feeds")
        incoming: dict[Value, list[str]] = {}
        zs = [layer for node, (sym, layer) in self.layers.items() if sym == "z" and node.parents]
        self.last = max(zs) if zs else None
        if needs[root]:
            code.append(f"    {self.grad[root]} = 1.0")
        finals: list[str] = []
        for node in reversed(self.interior):
            where = self.group_of.get(node)
            if where is not None:
                group = self.groups[where[0]]
                if node is group.copies[-1][-1] and needs[node]:
                    finals += self._backward_loop(code, where[0], needs, incoming)
                continue
            if needs[node]:
                self._node_backward(code, node, needs, incoming, 1, None)
        grads = []
        for leaf in leaves:
            if not needs[leaf]:
                continue
            grads.append(self.grad[leaf])
            if leaf is not root:
                terms = incoming.pop(leaf)
                if terms != [self.grad[leaf]]:
                    code += ["    " + s for s in assign(self.grad[leaf], terms,
                                                        self._mark(leaf))]
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
            kept = [self.value[n] for n in self.out.kept]
            code += ["    " + s for s in wrap("for node, v in zip(kept, ", kept, ", ", "(",
                                              ",)):" if len(kept) == 1 else ")):")]
            code.append("        node.data = v")
        for g in range(len(self.groups)):
            if f"keep{g + 1}" in self.ns:
                code += [f"    for node, v in zip(keep{g + 1}, kept{g + 1}):",
                         "        node.data = v"]
        code.append(f"    return {C}")

    def _contributions(self, node: Value, needs: dict[Value, bool]) -> list[tuple[Value, str]]:
        """(operand, local · g as code) for each operand of ``node`` that needs a gradient."""
        oc, ps, g = self.code_of[node], self._operands(node), self.grad[node]
        name = self.value[node]
        out = []
        for i, x in enumerate(self.operands(node)):
            if isinstance(x, Value) and needs[x]:
                local = self.local.get((node, i)) or fill(oc.local[i], ps, name)
                out.append((x, product(local, oc.one[i] and (node, i) not in self.local, g)))
        return out

    def _node_backward(self, code: list[str], node: Value, needs: dict, incoming: dict,
                       depth: int, shared: set[Value] | None) -> None:
        """∂C/∂node from what it feeds, then what it passes on to its operands.  In a copy
        (``shared`` given), a contribution to a shared node is added to its sum at once, in
        the order the interpreter adds it."""
        pad = "    " * depth
        if node is not self.root:
            terms = incoming.pop(node)
            if terms != [self.grad[node]]:
                code += [pad + s for s in self._grad_sum(node, terms)]
        adds = []
        for p, term in self._contributions(node, needs):
            if shared is not None and p in shared:
                adds.append(f"{self.grad[p]} += {term}")
            else:
                incoming.setdefault(p, []).append(term)
        if len(adds) < 2:
            code += [pad + s for s in adds]
        elif adds:
            # as in backward(), a node whose gradient is 0 passes nothing on (a dead ReLU's
            # δ, an inactive hinge): its weights' sums are not touched
            code.append(f"{pad}if {self.grad[node]}:  # 0 passes nothing on")
            code += [pad + "    " + s for s in adds]

    def _grad_sum(self, node: Value, terms: list[str]) -> list[str]:
        """``g = t1 + t2 + …``; for a node whose one local gradient is a step (relu, abs), the
        sum only where the step is not 0 (a dead ReLU passes 0 · (∂C/∂a) = 0 back whatever
        ∂C/∂a is: often half a hidden layer's BP2 work)."""
        g = self.grad[node]
        lines = assign(g, terms, self._mark(node), self.width)
        oc = self.code_of[node]
        if oc.n != 1 or not oc.step[0] or not isinstance(node.operands[0], Value):
            return lines
        step = fill(oc.guard[0], self._operands(node), self.value[node])
        body = [s for s in lines if not s.startswith("#")]
        if len(body) > 1:  # written inside the `if`: 4 more of indentation
            body = [s for s in assign(g, terms, "", self.width - 4)]
        if len(body) == 1:
            text, _, comment = body[0].partition("  # ")
            return [f"{text} if {step} else 0.0" + (f"  # {comment}" if comment else "")]
        return [*[s for s in lines if s.startswith("#")],
                f"{g} = 0.0  # where not {step}, the step passes nothing back",
                f"if {step}:", *["    " + s for s in body]]

    def _backward_loop(self, code: list[str], g: int, needs: dict, incoming: dict
                       ) -> list[tuple[str, str]]:
        """The copies' backward passes, last copy first (the interpreter's order)."""
        group = self.groups[g]
        first, m = group.copies[0], len(group.copies)
        heads = [incoming.pop(copy[-1]) for copy in group.copies]
        gouts = f"gouts{g + 1}"
        terms = [t[0] if len(t) == 1 else "(" + " + ".join(t) + ")" for t in heads]
        if all(t == terms[0] for t in terms):
            code.append(f"    {gouts} = [{terms[0]}] * {m}")
        else:
            code += ["    " + s for s in wrap(f"{gouts} = ", terms, ", ", "[", "]")]
        shared = {x for x, s in zip(group.slots[0], group.shared) if s and needs[x]}
        for x in dict.fromkeys(x for x in group.slots[0] if x in shared):
            terms = incoming.get(x, [])
            if terms and terms != [self.grad[x]]:
                code += ["    " + s for s in assign(self.grad[x], terms)]
        zeros = [self.grad[x] for x in dict.fromkeys(x for x in group.slots[0] if x in shared)
                 if x not in incoming]
        if len(zeros) == 1:  # the sums the loop adds to, from 0.0 as .grad starts
            code.append(f"    {zeros[0]} = 0.0")
        elif zeros:
            code += ["    " + s for s in unpack(zeros, f"(0.0,) * {len(zeros)}")]
        own = [x for x, s in zip(group.slots[0], group.shared) if not s and needs[x]]
        gl = f"gl{g + 1}"
        if own:
            code.append(f"    {gl} = []")
        head_grad = self.grad[first[-1]]
        code += ["    " + s for s in wrap("for (", self.saved[g], ", ", "",
                                          f"), {head_grad} in zip(reversed(saved{g + 1}), "
                                          f"reversed({gouts})):")]
        local: dict[Value, list[str]] = {first[-1]: [head_grad]}
        self.width = WIDTH - 4
        for node in reversed(first):
            if needs[node]:
                self._node_backward(code, node, needs, local, 2, shared)
        self.width = WIDTH
        for x in own:
            code += ["        " + s for s in assign(self.grad[x], local.pop(x), self._mark(x),
                                                  WIDTH - 4)]
        if own:
            names = [self.grad[x] for x in own]
            code.append(f"        {gl} += ({', '.join(names)}{',' if len(names) == 1 else ''})")
        for x in shared:
            incoming[x] = [self.grad[x]]
        if not own:
            return []
        rin = [x for copy in reversed(range(m)) for x, s in zip(group.slots[copy], group.shared)
               if not s and needs[x]]
        self.ns[f"rinputs{g + 1}"] = tuple(rin)
        return [(gl, f"rinputs{g + 1}")]

    def _mark(self, node: Value) -> str:
        """The equation a line instances, for the nodes of an MLP."""
        sym, layer = self.layers.get(node, ("", 0))
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
