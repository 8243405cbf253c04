"""What a group of copies (`microgrid.compiler.repeats`) becomes in a compiled step: two loops.

The copies are the examples of L(θ) = Σ_n C^n(θ) (docs/backprop.md §3).  Copy 0's forward pass
is the body of a loop over the copies, each copy's own inputs (its leaves' current data, its
numbers) as the loop's variables; it saves what its backward pass reads.  The backward loop
runs the copies last first, the order in which ``backward()`` adds each shared parameter's
contributions, so the sums are the interpreter's bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine import Const, Value
from .codegen import assign, unpack, width, wrap

if TYPE_CHECKING:
    from .generator import Generator

__all__ = ["forward_loop", "backward_loop"]


def forward_loop(gen: Generator, code: list[str], g: int) -> None:
    """Copy 0's forward pass as the body of a loop over the copies, each copy's inputs
    (its own leaves' current data, its numbers) as the loop's variables."""
    group = gen.groups[g]
    first, m, n = group.copies[0], len(group.copies), g + 1
    own = [not s for s in group.shared]
    leaves = [gen.n.value[x] for x, o in zip(group.slots[0], own) if o and type(x) is not Const]
    consts = [gen.n.value[x] for x, o in zip(group.slots[0], own) if o and type(x) is Const]
    numbers = [name for (node, _), name in gen.n.number.items() if node in first]
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
    kept_nodes = [x for x in first if x in gen.keep]
    if kept_nodes:
        code.append(f"    kept{n} = []")
        gen.ns[f"keep{n}"] = tuple(copy[i] for copy in group.copies
                                    for i, x in enumerate(first) if x in gen.keep)
    sources = []
    if data:
        gen.ns[f"inputs{n}"] = tuple(data)
        gen.out.group_leaves += data
        code.append(f"    d{n} = iter([leaf.data for leaf in inputs{n}])")
        sources += [f"d{n}"] * len(leaves)
    if values:
        gen.ns[f"consts{n}"] = tuple(values)
        code.append(f"    k{n} = iter(consts{n})")
        sources += [f"k{n}"] * (len(consts) + len(numbers))
    loop_vars = leaves + consts + numbers
    if loop_vars:
        comma = "," if len(loop_vars) == 1 else ""
        code += ["    " + s for s in wrap("for (", loop_vars, ", ", "",
                                          f"{comma}) in zip({', '.join(sources)}):")]
    else:
        code.append(f"    for _ in range({m}):")
    for node in first:
        gen.emit(code, gen.forward(node, 2), node, 2, n)
    locals_ = [name for (node, _), name in gen.local.items() if node in gen.n.group_of
               and gen.n.group_of[node][0] == g]
    gen.saved[g] = loop_vars + [gen.n.value[x] for x in first] + locals_
    code.append(f"        outs{n}.append({gen.n.value[first[-1]]})")
    code += ["        " + s for s in wrap(f"saved{n}.append(", gen.saved[g], ", ", "(", "))",
                                            width(2))]
    if kept_nodes:
        names = [gen.n.value[x] for x in kept_nodes]
        code.append(f"        kept{n} += ({', '.join(names)}{',' if len(names) == 1 else ''})")


def backward_loop(gen: Generator, code: list[str], g: int, incoming: dict
              ) -> list[tuple[str, str]]:
    """The copies' backward passes, last copy first (the interpreter's order)."""
    group, needs = gen.groups[g], gen.n.needs
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
        if terms and terms != [gen.n.grad[x]]:
            code += ["    " + s for s in assign(gen.n.grad[x], terms)]
    zeros = [gen.n.grad[x] for x in dict.fromkeys(x for x in group.slots[0] if x in shared)
             if x not in incoming]
    if len(zeros) == 1:  # the sums the loop adds to, from 0.0 as .grad starts
        code.append(f"    {zeros[0]} = 0.0")
    elif zeros:
        code += ["    " + s for s in unpack(zeros, f"(0.0,) * {len(zeros)}")]
    own = [x for x, s in zip(group.slots[0], group.shared) if not s and needs[x]]
    gl = f"gl{g + 1}"
    if own:
        code.append(f"    {gl} = []")
    head_grad = gen.n.grad[first[-1]]
    code += ["    " + s for s in wrap("for (", gen.saved[g], ", ", "",
                                      f"), {head_grad} in zip(reversed(saved{g + 1}), "
                                      f"reversed({gouts})):")]
    local: dict[Value, list[str]] = {first[-1]: [head_grad]}
    for node in reversed(first):
        if needs[node]:
            gen.node_backward(code, node, local, 2, shared)
    for x in own:
        code += ["        " + s for s in assign(gen.n.grad[x], local.pop(x), gen.mark(x),
                                              width(2))]
    if own:
        names = [gen.n.grad[x] for x in own]
        code.append(f"        {gl} += ({', '.join(names)}{',' if len(names) == 1 else ''})")
    for x in shared:
        incoming[x] = [gen.n.grad[x]]
    if not own:
        return []
    rin = [x for copy in reversed(range(m)) for x, s in zip(group.slots[copy], group.shared)
           if not s and needs[x]]
    gen.ns[f"rinputs{g + 1}"] = tuple(rin)
    return [(gl, f"rinputs{g + 1}")]
