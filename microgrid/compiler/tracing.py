"""The op table's rules as lines of Python: a symbolic tracer for `microgrid.compile`.

`Sym` is a number nobody knows yet.  Arithmetic on it records the expression instead of
computing it, so calling an entry of the op table on Syms writes out, operation for
operation, what the entry does on floats:

    >>> from microgrid import ops
    >>> render(ops.sigmoid.derivative(Sym.var("z"), Sym.var("out")))
    'out * (1.0 - out)'

A comparison is a Sym too, and an ``if`` on one is traced by running the function once per
branch (at most `MAX_RUNS` runs): `ops.relu`'s forward becomes ``x if x > 0.0 else 0.0``.  A
branch that raises, or uses anything a Sym cannot stand for (``math.exp(x)``, a try/except),
becomes a call of the function itself in that branch, and a function that cannot be traced at
all (a user's ``math.atan``) is called, never guessed: the compiled code then does exactly
what the interpreter does, by construction.  See `trace`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

__all__ = ["Sym", "Call", "trace", "render", "terms", "risky", "branches", "guard",
           "is_literal", "MAX_RUNS"]

#: How many runs tracing one function may take (each ``if`` on a Sym doubles them).
MAX_RUNS = 16

# Python's precedence levels, low to high (the ones the traced code can contain).
_IF, _CMP, _ADD, _MUL, _NEG, _POW, _ATOM = 1, 5, 10, 11, 12, 13, 14
_PREC = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "**": _POW,
         ">": _CMP, "<": _CMP, ">=": _CMP, "<=": _CMP, "==": _CMP, "!=": _CMP}

# builtin sum() of floats adds left to right (0 + x1 + x2 …) up to Python 3.11; from 3.12 it
# compensates rounding, which a traced chain of + would not reproduce: there a sum() in a
# function makes it untraceable (and so called).
_NAIVE_SUM = sum([1e16, 1.0, -1e16]) == 0.0


class _Untraceable(Exception):
    """What a Sym raises where it cannot stand for a float (``float(x)``, ``math.exp(x)``)."""


class Sym:
    """An expression: a variable, a literal, or an operation on Syms (``kind``, ``args``)."""

    __slots__ = ("kind", "args")

    def __init__(self, kind: str, args: tuple) -> None:
        self.kind, self.args = kind, args

    @staticmethod
    def var(name: str) -> Sym:
        return Sym("var", (name,))

    # arithmetic records itself
    def __add__(self, o: object) -> Sym: return _bin("+", self, o)
    def __sub__(self, o: object) -> Sym: return _bin("-", self, o)
    def __mul__(self, o: object) -> Sym: return _bin("*", self, o)
    def __truediv__(self, o: object) -> Sym: return _bin("/", self, o)
    def __pow__(self, o: object) -> Sym: return _bin("**", self, o)
    def __rsub__(self, o: object) -> Sym: return _bin("-", o, self)
    def __rmul__(self, o: object) -> Sym: return _bin("*", o, self)
    def __rtruediv__(self, o: object) -> Sym: return _bin("/", o, self)
    def __rpow__(self, o: object) -> Sym: return _bin("**", o, self)
    def __neg__(self) -> Sym: return Sym("neg", (self,))
    def __pos__(self) -> Sym: return self
    def __abs__(self) -> Sym: return Sym("call", (abs, (self,)))
    def __gt__(self, o: object) -> Sym: return _bin(">", self, o)
    def __lt__(self, o: object) -> Sym: return _bin("<", self, o)
    def __ge__(self, o: object) -> Sym: return _bin(">=", self, o)
    def __le__(self, o: object) -> Sym: return _bin("<=", self, o)
    def __eq__(self, o: object) -> Sym: return _bin("==", self, o)  # type: ignore[override]
    def __ne__(self, o: object) -> Sym: return _bin("!=", self, o)  # type: ignore[override]
    __hash__ = None  # type: ignore[assignment]

    def __radd__(self, o: object) -> Sym:
        if type(o) is int and o == 0:  # builtin sum() starts from the int 0: 0 + x is x
            if not _NAIVE_SUM:
                raise _Untraceable("sum() compensates rounding on this Python")
            return self
        return _bin("+", o, self)

    def __bool__(self) -> bool:
        """An ``if`` on a comparison: the branch the current run of `trace` takes."""
        path = _state.path
        if path is None:
            raise _Untraceable("a Sym has no truth value outside trace()")
        i = len(path.seen)
        path.seen.append(self)
        return path.forced[i] if i < len(path.forced) else True

    def __float__(self) -> float:
        raise _Untraceable("a Sym has no float value")

    __int__ = __index__ = __float__  # type: ignore[assignment]

    @staticmethod
    def apply_op(op: object, operands: Sequence) -> Sym:
        """What an `ops.Op` called on a Sym does (``ops.sigmoid(x)`` in softplus's rule): a
        call of the Op itself, which checks its operands as it does for the interpreter."""
        return Sym("call", (op, tuple(map(_sym, operands))))

    def __repr__(self) -> str:
        return f"Sym({render(self)!r})"


class Call:
    """A branch that the trace leaves to the function itself: ``fn(*args)`` on floats."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable, args: tuple) -> None:
        self.fn, self.args = fn, args


def _sym(x: object) -> Sym:
    if isinstance(x, Sym):
        return x
    if type(x) in (float, int, bool):
        if type(x) is int and abs(x) > 2**53:  # int → float would round or overflow
            raise _Untraceable("a large int")
        return Sym("lit", (x,))
    raise _Untraceable(f"a {type(x).__name__}")


def _bin(op: str, a: object, b: object) -> Sym:
    a, b = _sym(a), _sym(b)
    if op == "*":  # a step written as (x > 0.0) * 1.0: the same number, without bool × float
        for cmp, c in ((a, b), (b, a)):
            if _PREC.get(cmp.kind) == _CMP and c.kind == "lit" and type(c.args[0]) is not bool:
                v = c.args[0]
                yes, no = (True * v, False * v) if cmp is a else (v * True, v * False)
                return Sym("if", (cmp, Sym("lit", (yes,)), Sym("lit", (no,))))
    return Sym(op, (a, b))


class _Path:
    __slots__ = ("forced", "seen")

    def __init__(self, forced: list[bool]) -> None:
        self.forced, self.seen = forced, []


class _State(threading.local):
    path: _Path | None = None


_state = _State()


def _has_handlers(fn: Callable) -> bool:
    """Whether ``fn``'s own code catches exceptions: a traced run would skip its handler."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    table = getattr(code, "co_exceptiontable", None)
    if table is not None:
        return bool(table)
    import dis  # Python 3.10: no exception table, look for the setup opcode

    return any(i.opname in ("SETUP_FINALLY", "SETUP_WITH") for i in dis.get_instructions(code))


def trace(fn: Callable, args: tuple) -> object:
    """``fn(*args)`` on Syms: a Sym, a tuple of Syms (or numbers), or a `Call` of ``fn``.

    Every ``if`` on a Sym is explored both ways; a run that raises or cannot be traced ends
    in a `Call` of ``fn`` for that branch.  The result, evaluated on floats, does what
    ``fn`` does on them, operation for operation (and raises what it raises)."""
    call = Call(fn, args)
    if _has_handlers(fn):
        return call
    runs = [0]
    try:
        return _explore(fn, args, [], [], runs, call)
    except _Untraceable:
        return call


def _explore(fn: Callable, args: tuple, forced: list[bool], conds: list[str], runs: list[int],
             call: Call) -> object:
    runs[0] += 1
    if runs[0] > MAX_RUNS:
        raise _Untraceable("too many branches")
    path = _Path(forced)
    outer, _state.path = _state.path, path
    try:
        result = fn(*args)
        result = tuple(map(_sym, result)) if type(result) is tuple else _sym(result)
    except Exception:  # noqa: BLE001 - whatever it is, the function itself will redo it
        result = call
    finally:
        _state.path = outer
    seen = [render(c) for c in path.seen]
    if seen[: len(forced)] != conds[: len(forced)]:
        raise _Untraceable("the branches depend on more than the comparisons")
    if len(seen) == len(forced):
        return result
    cond = path.seen[len(forced)]
    known = [*conds[: len(forced)], seen[len(forced)]]
    yes = _explore(fn, args, [*forced, True], known, runs, call)
    no = _explore(fn, args, [*forced, False], known, runs, call)
    return _branch(cond, yes, no, call)


def _branch(cond: Sym, yes: object, no: object, call: Call) -> object:
    if type(yes) is tuple or type(no) is tuple:
        if type(yes) is not tuple or type(no) is not tuple or len(yes) != len(no):
            return call  # a different number of results per branch: let the function say
        return tuple(_branch(cond, y, n, call) for y, n in zip(yes, no))
    if yes is call and no is call:
        return call
    if yes is not call and no is not call and render(yes) == render(no):
        return yes
    return Sym("if", (cond, yes, no))


# ------------------------------------------------------------------ writing it out
def render(e: object, name: Callable[[object], str] = lambda f: getattr(f, "__name__", "?")
           ) -> str:
    """The Python text of a traced expression; ``name(fn)`` names a called function."""
    return _render(e, name)[0]


def _render(e: object, name: Callable) -> tuple[str, int]:
    if isinstance(e, Call):
        return f"{name(e.fn)}({', '.join(render(a, name) for a in e.args)})", _ATOM
    kind, args = e.kind, e.args
    if kind == "var":
        return args[0], _ATOM
    if kind == "lit":
        text = repr(args[0])
        return text, _NEG if text.startswith("-") else _ATOM
    if kind == "neg":
        text, p = _render(args[0], name)
        return "-" + (text if p > _NEG else f"({text})"), _NEG
    if kind == "call":
        fn, xs = args
        return f"{name(fn)}({', '.join(render(a, name) for a in xs)})", _ATOM
    if kind == "if":
        parts = [_wrap_if(_render(a, name), _IF) for a in args]
        return f"{parts[1]} if {parts[0]} else {parts[2]}", _IF
    p = _PREC[kind]
    if p == _ADD or p == _MUL:  # a left-deep chain (Σ of 10,000 terms): flattened, no recursion
        chain = []
        while e.kind in _PREC and _PREC[e.kind] == p:
            chain.append(e)
            e = e.args[0]
        text = _wrap_if(_render(e, name), p - 1)
        for link in reversed(chain):
            text += f" {link.kind} " + _wrap_if(_render(link.args[1], name), p)
        return text, p
    left, right = (_render(a, name) for a in args)
    if p == _POW:
        return f"{_wrap_if(left, _POW)} ** {_wrap_if(right, _NEG - 1)}", _POW
    return f"{_wrap_if(left, _CMP)} {kind} {_wrap_if(right, _CMP)}", _CMP


def _wrap_if(rendered: tuple[str, int], at_most: int) -> str:
    """The text, in brackets if its precedence is ``at_most`` or lower."""
    text, p = rendered
    return f"({text})" if p <= at_most else text


def terms(e: object, name: Callable[[object], str]) -> list[str]:
    """A top-level chain of ``+`` as its terms (each a valid operand of ``+``), left to right;
    any other expression as one term.  Long sums are split into statements from these."""
    if not isinstance(e, Sym) or e.kind != "+":
        return [render(e, name)]
    chain = []
    while isinstance(e, Sym) and e.kind == "+":
        chain.append(e.args[1])
        e = e.args[0]
    chain.append(e)
    out = [_wrap_if(_render(chain[-1], name), _ADD - 1)]
    out += [_wrap_if(_render(t, name), _ADD) for t in reversed(chain[:-1])]
    return out


def _walk(e: object):
    stack = [e]
    while stack:
        e = stack.pop()
        yield e
        if isinstance(e, Call):
            stack.extend(e.args)
        elif e.kind == "call":
            stack.extend(e.args[1])
        elif e.kind not in ("var", "lit"):
            stack.extend(e.args)


def risky(e: object) -> bool:
    """Whether evaluating ``e`` on floats can raise: a division, a power or a call."""
    return any(isinstance(x, Call) or x.kind in ("/", "**", "call") for x in _walk(e))


def branches(e: object) -> bool:
    """Whether ``e`` compares (a step, as relu's and abs's derivatives are)."""
    return any(isinstance(x, Sym) and _PREC.get(x.kind) == _CMP for x in _walk(e))


def guard(e: object, name: Callable[[object], str]) -> str:
    """A condition true exactly where ``e`` is not 0: the comparison of ``c if cmp else 0.0``
    (a step), else ``e`` itself."""
    if (isinstance(e, Sym) and e.kind == "if" and e.args[2].kind == "lit"
            and e.args[2].args[0] == 0 and e.args[1].kind == "lit" and e.args[1].args[0] != 0):
        return render(e.args[0], name)
    return render(e, name)


def is_literal(e: object, value: float) -> bool:
    """Whether ``e`` is the number ``value`` (``1.0``: a local gradient that needs no product)."""
    return (isinstance(e, Sym) and e.kind == "lit" and type(e.args[0]) is float
            and e.args[0] == value)
