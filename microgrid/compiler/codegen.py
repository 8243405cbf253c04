"""What `microgrid.compile` writes, piece by piece: each op's lines (from the op table, by
`microgrid.compiler.tracing`), readable names, and statements wrapped for reading.

`OpCode` is one entry of the op table at one number of operands, as templates in which
``{0}``, ``{1}``, … stand for the operands and ``{out}`` for the node's own value:

* ``forward``: the entry's forward pass, traced (``{0} if {0} > 0.0 else 0.0``), or a call of
  the entry's own function (``σ({0})``) where it is not plain arithmetic;
* ``local[i]``: ∂out/∂operand i, traced from the entry's derivative rule
  (``{out} * (1.0 - {out})``), or one call of the rule for all of them.

A local gradient that can raise (a division, a call) is computed in the forward pass, as the
interpreter computes it, so a replay raises what the interpreter raises, in the same order.
"""

from __future__ import annotations

import functools
import keyword
import re
import unicodedata
from collections.abc import Callable

from .. import ops
from ..notation import parse_label
from .tracing import Call, Sym, branches, guard, is_literal, render, risky, terms, trace

# A sum with more terms than this is split over several statements: CPython's compiler
# recurses once per `+` of an expression, and a 10⁵-term sum would overflow its stack.
TERMS_PER_LINE = 64
WIDTH = 95  # + 4 of indentation inside `def step`


def width(depth: int) -> int:
    """How wide a statement at ``depth`` (1 in ``def step``, 2 in a loop's body) may be: the
    page's width less its indentation."""
    return WIDTH - 4 * (depth - 1)

# names the generated code uses for itself
RESERVED = {"step", "leaves", "leaf", "grads", "g", "kept", "node", "v", "sum", "abs", "zip",
            "isfinite", "check", "root_error", "Redo", "iter", "reversed", "len", "range"}


# ------------------------------------------------------------------ one op as templates
class OpCode:
    """One entry of the op table applied to ``n`` operands, as templates (see the module)."""

    __slots__ = ("n", "forward", "forward_call", "local", "raises", "step", "guard", "one",
                 "calls_rule")

    def __init__(self, entry: ops.Op, n: int, fns: Functions) -> None:
        self.n = n
        xs = tuple(Sym.var(f"{{{i}}}") for i in range(n))
        out = Sym.var("{out}")
        fns.add(entry.forward, fn_base(entry))
        f = trace(entry.forward, xs)
        name = fns.name
        # the entry's own function, for a call of it on a list (a Σ over the copies of a
        # repeated sub-graph); a user's op's result is checked, below, so it is written out
        self.forward_call = None if entry.user_defined else name(entry.forward)
        if entry.user_defined:  # a user's op: its result is checked as the interpreter checks it
            where = repr(f"operation {entry.name!r} returned")
            self.forward = [f"check({render(f, name)}, {where})"]
        else:
            self.forward = terms(f, name)
        d = trace(entry.derivative, (*xs, out))
        d = d if type(d) is tuple or isinstance(d, Call) else (d,)
        self.calls_rule = isinstance(d, Call) or len(d) != n
        if self.calls_rule:  # the rule itself, called once for all operands
            fns.add(_Rule(entry), f"{fn_base(entry)}_rule")
            args = ", ".join([*(f"{{{i}}}" for i in range(n)), "{out}"])
            self.local = [f"{fns.name(fns.rules[entry])}({args})"] * n
            self.raises = [True] * n
            self.step = self.one = [False] * n
            self.guard = self.local
            return
        self.local = [render(e, name) for e in d]
        # the interpreter computes every local gradient in its forward pass: one that can
        # raise is computed there too, and a user's one is checked there, as it is checked
        self.raises = [entry.user_defined or risky(e) for e in d]
        if entry.user_defined:
            self.local = [f"check({t}, {repr(f'operation {entry.name!r}: ∂out/∂x{i + 1}')})"
                          for i, t in enumerate(self.local)]
        self.step = [branches(e) and not r for e, r in zip(d, self.raises)]
        self.guard = [guard(e, name) for e in d]
        self.one = [is_literal(e, 1.0) for e in d]


class _Rule:
    """A derivative rule the tracer cannot follow, called as the interpreter calls it."""

    __slots__ = ("entry",)

    def __init__(self, entry: ops.Op) -> None:
        self.entry = entry

    def __call__(self, *xs_out: float) -> tuple:
        local = self.entry.derivative(*xs_out)  # a user's rule checks what it returns
        return local if type(local) is tuple else (local,)


class Functions:
    """The functions the generated code calls, each under a readable global name."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {id(abs): "abs"}
        self.namespace: dict[str, object] = {}
        self.rules: dict[ops.Op, _Rule] = {}
        self._keep: list[object] = []  # the objects named, alive as long as their ids are used

    def add(self, fn: object, base: str) -> None:
        if id(fn) in self.names:
            return
        if isinstance(fn, _Rule):
            self.rules[fn.entry] = fn
        name, k = base, 1
        while name in self.namespace or name in RESERVED or keyword.iskeyword(name):
            k += 1
            name = f"{base}_{k}"
        self.names[id(fn)] = name
        self.namespace[name] = fn
        self._keep.append(fn)

    def name(self, fn: object) -> str:
        if id(fn) not in self.names:  # an Op called inside a rule (softplus's σ): the Op
            base = _identifier(fn.name) if isinstance(fn, ops.Op) else None
            self.add(fn, f"op_{base}" if base else "f")
        return self.names[id(fn)]


def _identifier(text: str) -> str | None:
    name = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", text)).strip("_")
    return name if name.isidentifier() else None


def fn_base(entry: ops.Op) -> str:
    """The name of an entry's function in the generated code: its op's name where that is an
    identifier (``σ``, ``exp``), ``pow2`` for ``**2`` (`ops.power`'s names), else the
    function's own (``divide`` for ``/``)."""
    if entry.name.startswith("**"):
        return _identifier("pow" + entry.name[2:].replace("-", "m").replace(".", "_")) or "pow"
    qualname = getattr(entry.forward, "__qualname__", "").split(".")[0]
    return _identifier(entry.name) or _identifier(qualname.replace("<lambda>", "")) or "f"


def node_base(entry: ops.Op) -> str:
    """How an unlabelled node of this op is named: ``σ1``, ``add2``, ``Σ1`` …"""
    base = _identifier(entry.name)
    if base is None and entry.torch is not None:
        base = _identifier(entry.torch.__name__.rsplit(".", 1)[-1])
    return base or fn_base(entry)


# ------------------------------------------------------------------ names
@functools.lru_cache(maxsize=4096)
def parsed(label: str) -> tuple[str, int, tuple[int, ...]] | None:
    return parse_label(label) if label else None


@functools.lru_cache(maxsize=4096)
def label_name(label: str, fallback: str) -> str:
    """A Python identifier from a label: w^2_{13} → w2_13, z^3_1 → z3_1."""
    p = parsed(label)
    if p is not None:
        symbol, layer, idx = p
        sep = "" if all(i < 10 for i in idx) else "_"
        name = f"{symbol}{layer}_{sep.join(map(str, idx))}"
    else:
        name = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", label)).strip("_")
    name = unicodedata.normalize("NFKC", name)
    if not name or not name.isidentifier():
        name = f"v_{name}" if name and f"v_{name}".isidentifier() else fallback
    if keyword.iskeyword(name):
        name += "_"
    return name


class Names:
    """Unique identifiers: the first z^2_1 is ``z2_1``, the next ones ``z2_1__2``, …"""

    def __init__(self, reserved: set[str]) -> None:
        self.used: set[str] = set(reserved)
        self.count: dict[str, int] = {}

    def new(self, base: str, numbered: bool = False) -> str:
        """``base``, then ``base__2``, …; or ``base1``, ``base2``, … if ``numbered``."""
        k = self.count.get(base, 0)
        while True:
            k += 1
            sep = "_" if base[-1:].isdigit() else ""
            name = f"{base}{sep}{k}" if numbered else base if k == 1 else f"{base}__{k}"
            if name not in self.used:
                self.count[base] = k
                self.used.add(name)
                return name


def literal(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


# ------------------------------------------------------------------ statements
def assign(target: str, terms: list[str], comment: str = "", width: int = WIDTH) -> list[str]:
    """``target = t1 + t2 + …`` (left to right, as the engine adds), wrapped for reading and
    split into several statements when long."""
    out: list[str] = []
    for i in range(0, len(terms), TERMS_PER_LINE):
        chunk = terms[i : i + TERMS_PER_LINE]
        if i:
            chunk = [target, *chunk]  # target = target + … keeps the left-to-right order
        out += wrap(f"{target} = ", chunk, " + ", "(", ")", width)
    if comment:
        if len(out) == 1 and len(out[0]) + len(comment) < width + 10:
            out[0] += f"  # {comment}"
        else:
            out.insert(0, f"# {comment}")
    return out


def wrap(head: str, terms: list[str], sep: str, opening: str, closing: str,
         width: int = WIDTH) -> list[str]:
    """``head`` + the terms joined by ``sep``, broken over lines inside brackets when the
    statement is wider than the page (or always bracketed if ``opening`` is a call)."""
    one = head + sep.join(terms)
    if len(one) <= width and (opening, closing) == ("(", ")"):
        return [one]
    lines, line = [], head + opening + terms[0]
    indent = " " * (len(head) + len(opening))
    glue, lead = (sep, "") if sep != " + " else (" + ", "+ ")
    for k, t in enumerate(terms[1:], 2):
        tail = len(closing) if k == len(terms) else 0
        if len(line) + len(glue) + len(t) + tail > width:
            lines.append(line + glue.rstrip() if not lead else line)
            line = indent + lead + t
        else:
            line += glue + t
    lines.append(line + closing)
    return lines


_SLOT = re.compile(r"\{(\d+|out)\}")


def fill(template: str, operands: list[str], out: str) -> str:
    """A template with ``{i}`` → operand i and ``{out}`` → the node's value (in time linear in
    the template: a Σ of 10,000 operands has 10,000 one-slot templates)."""
    return _SLOT.sub(lambda m: out if m.group(1) == "out" else operands[int(m.group(1))],
                     template)


def product(local: str, one: bool, g: str) -> str:
    """local · g as code: the interpreter's ``local * g`` (g itself when local is 1.0, which
    is the same float)."""
    if one:
        return g
    if " " in local:
        return f"({local}) * {g}"
    return f"{local} * {g}"


def unpack(names: list[str], source: str) -> list[str]:
    """``(a, b, …) = source``, wrapped."""
    comma = "," if len(names) == 1 else ""
    return wrap("", names, ", ", "(", f"{comma}) = {source}")


def reading_order(leaves: list) -> Callable[[object], tuple]:
    """Sort key for the leaves: inputs a^1 first, then layer by layer w before b, by index;
    leaves without such a label after them, in the order the graph meets them."""
    position = {leaf: k for k, leaf in enumerate(leaves)}
    rank = {"a": 0, "x": 0, "w": 1, "b": 2}

    def key(leaf: object) -> tuple:
        p = parsed(leaf.label)
        if p and p[0] in rank:
            symbol, layer, idx = p
            return (0, layer, rank[symbol], idx, position[leaf])
        return (1, 0, 0, (), position[leaf])

    return key
