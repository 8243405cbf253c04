"""The graph as the compiler reads it: a chain of ``+`` that Python's ``sum`` built is one Σ.

``sum(losses)`` and ``sum(p * p for p in params)``, as micrograd's users write a loss, fold
left: ((0 + t_1) + t_2) + … + t_n, one ``+`` node per term, each feeding the next.  Each node
then has a single term of its own, so the copies of L(θ) = Σ_n C^n(θ) (docs/backprop.md §3)
are nowhere the operands of one node, and `microgrid.compiler.repeats` would find none.  The
compiler reads such a chain as the one node Σ(t_1, …, t_n) that ``microgrid.sum`` makes:

* forward, ``t_1 + t_2 + … + t_n`` left to right is what the chain computes, float for float
  (`microgrid.ops.add_up`);
* backward, every ``+`` passes its gradient on unchanged (∂(x + y)/∂x = 1), so each term gets
  the top's gradient, exactly as from a Σ.

A link is read into its chain only if nothing else sees it: used once (by the next link), not
labelled, not kept; and a chain is read as one only if each of its terms is used by the chain
alone, so that no other gradient is added to a term between two links' contributions: the
replay stays bit for bit equal to ``backward()``.
"""

from __future__ import annotations

from collections import Counter

from ..engine import Value

__all__ = ["View"]


class View:
    """The nodes of a graph in topological order, with the links inside each chain of ``+``
    left out and each chain's last link standing for the chain (see the module).

    Attributes:
        order: the topological order without the chains' inner links.
        terms: a chain's last link → its terms, numbers included, left to right.
    """

    __slots__ = ("order", "terms")

    def __init__(self, order: list[Value], keep: set[Value]) -> None:
        uses: Counter[Value] = Counter()
        for n in order:
            uses.update(n.parents)
        self.terms: dict[Value, tuple] = {}
        inner: set[Value] = set()
        for top in reversed(order):  # from the root down: a chain is met at its last link
            if top in inner or top.op != "+" or not top.parents:
                continue
            links, x = [top], top.operands[0]
            while (type(x) is not float and x.op == "+" and x.parents and uses[x] == 1
                   and not x.label and x not in keep):
                links.append(x)
                x = x.operands[0]
            if len(links) < 2:
                continue
            terms = [*links[-1].operands, *(link.operands[1] for link in reversed(links[:-1]))]
            if any(type(t) is not float and uses[t] != 1 for t in terms):
                continue  # a term seen elsewhere too: the chain stays as it is
            self.terms[top] = tuple(terms)
            inner.update(links[1:])
        self.order = [n for n in order if n not in inner] if inner else order

    def operands(self, node: Value) -> tuple:
        """The node's operands, a chain's terms for its last link."""
        return self.terms.get(node) or node.operands

    def parents(self, node: Value) -> tuple[Value, ...]:
        """The Values among `operands`."""
        terms = self.terms.get(node)
        return node.parents if terms is None else tuple(t for t in terms if type(t) is not float)
