"""A user's operation: ``microgrid.op(name, derivative)(fn)`` adds an entry to the op table
(`microgrid.ops`), after which it works everywhere a built-in op does.

What a user gives is checked here, once, so that whatever goes wrong later names the op: its
name, how many inputs it takes (from the function's signature, the rule's, or ``arity=``, which
must agree: the count is never guessed), and, wrapped around the function and the rule, an
error of the function, a result that is not a finite number, a rule's wrong count of values.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

from .ops import Op, check_real, table

__all__ = ["op"]


def op(name: str, derivative: Callable[..., object], *, arity: int | None = None
       ) -> Callable[[Callable], Op]:
    """Make an operation of a function of floats, for use with Values like the built-in ones:

        atan = microgrid.op("atan", derivative=lambda x, out: 1 / (1 + x * x))(math.atan)

    ``derivative(*xs, out)`` returns ∂out/∂x_i for each input (one value for one input, else
    a tuple), written with arithmetic and microgrid's functions (``microgrid.exp``, ``sin``,
    …), so that it also builds a graph for ``grad(..., create_graph=True)``.  The op then
    works in ``backward``, ``grad``, hooks, ``no_grad``, ``compile``, ``draw_dot`` and
    ``explore``.  The number of inputs is the function's; where its signature does not say
    (a builtin such as ``math.hypot`` has none on some Pythons, a function of ``*args``), the
    rule's (its parameters less ``out``); ``arity=`` may state it.  If they disagree, or none
    of them says, it is an error naming each: the count is never guessed.  A ValueError or
    ArithmeticError the function raises reaches the user with the op's name and operands in
    front.  Defining an op again under the same name replaces it (as re-running a notebook
    cell does); a built-in one cannot be."""
    if not isinstance(name, str):
        raise TypeError(f"microgrid.op: name must be a str, got {type(name).__name__} {name!r}")
    if not name or name.startswith("**"):
        raise ValueError(f"microgrid.op: name must be non-empty and not start with '**' "
                         f"(the table's x ** n family), got {name!r}")
    if name in table and not table[name].user_defined:
        raise ValueError(f"microgrid.op: {name!r} is a built-in operation; choose another name")
    if not callable(derivative):
        raise TypeError(f"microgrid.op({name!r}): derivative must be callable, "
                        f"got {type(derivative).__name__}")
    if arity is not None and (not isinstance(arity, int) or isinstance(arity, bool)):
        raise TypeError(f"microgrid.op({name!r}): arity must be an int, "
                        f"got {type(arity).__name__} {arity!r}")
    if arity is not None and arity < 1:
        raise ValueError(f"microgrid.op({name!r}): arity must be at least 1, got {arity!r}")

    def make(forward: Callable[..., float]) -> Op:
        if not callable(forward):
            raise TypeError(f"microgrid.op({name!r}): expected a function of floats, "
                            f"got {type(forward).__name__}")
        n = _arity(name, forward, derivative, arity)
        formula = f"{name}({', '.join(f'{{{i}}}' for i in range(n))})"
        entry = Op(name, n, *_checked(name, n, forward, derivative), name, formula,
                   note="a user's op")
        table[name] = entry
        return entry

    return make


def _checked(name: str, n: int, forward: Callable, derivative: Callable
             ) -> tuple[Callable, Callable]:
    """A user's forward and rule, wrapped so that what goes wrong names the op: an error of
    the function, a result that is not a finite number, a rule's wrong count of values."""
    def checked_forward(*xs: float) -> float:
        try:
            out = forward(*xs)
        except (ValueError, ArithmeticError) as e:
            raise type(e)(f"operation {name!r} on {', '.join(map(repr, xs))}: {e}") from e
        return check_real(out, f"operation {name!r} returned")

    def checked_derivative(*xs_out: object) -> object:
        local = derivative(*xs_out)
        local = local if isinstance(local, tuple) else (local,)
        if len(local) != n:
            raise ValueError(f"operation {name!r}: its derivative returned {len(local)} "
                             f"value(s) for {n} input(s)")
        for i, d in enumerate(local):  # a float, a Value's data (the compiler's symbols it
            value = getattr(d, "data", d)  # checks in its code)
            if isinstance(value, numbers.Real):
                check_real(value, f"operation {name!r}: ∂out/∂x{i + 1}")
        return local if n > 1 else local[0]

    return checked_forward, checked_derivative


def _arity(name: str, forward: Callable, derivative: Callable, stated: int | None) -> int:
    """How many inputs the op ``name`` takes, from the function's signature, the rule's (one
    parameter more: ``out``) and ``arity=`` (``stated``), whichever say it; they must agree."""
    takes = _positional(forward)  # (least, most) arguments, most None for *args; None: unknown
    rule = _positional(derivative)
    if rule is not None:
        if rule[1] == 0:
            raise TypeError(f"microgrid.op({name!r}): the derivative rule takes no parameters; "
                            "it is called as derivative(*xs, out)")
        rule = (max(rule[0] - 1, 0), None if rule[1] is None else rule[1] - 1)  # less `out`
    said = [(f"the function takes {_count(takes)}", takes), (
        f"the derivative rule takes {_count(rule)} (its parameters less out)", rule)]
    if stated is not None:
        said.insert(0, (f"arity={stated}", (stated, stated)))
    known = [(what, r) for what, r in said if r is not None]
    exact = [(what, r[0]) for what, r in known if r[0] == r[1]]
    if not exact:
        raise ValueError(f"microgrid.op({name!r}): cannot tell how many inputs it takes: "
                         f"{'; '.join(what for what, _ in said)}. Say it with arity=")
    first, n = exact[0]
    for what, (least, most) in known:
        if n < least or (most is not None and n > most):
            raise ValueError(f"microgrid.op({name!r}): {first} but {what}; "
                             "they must agree")
    if n < 1:
        raise ValueError(f"microgrid.op({name!r}): {first}; an operation takes at "
                         "least one input")
    return n


def _positional(f: Callable) -> tuple[int, int | None] | None:
    """(least, most) positional arguments ``f`` accepts, most None for ``*args``; None when
    its signature is unknown (a builtin without one, such as math.hypot on 3.11)."""
    try:
        params = inspect.signature(f).parameters.values()
    except (ValueError, TypeError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    rest = any(p.kind == p.VAR_POSITIONAL for p in params)
    return len(required), None if rest else len(positional)


def _count(r: tuple[int, int | None] | None) -> str:
    if r is None:
        return "an unknown number of inputs (no signature)"
    least, most = r
    return (f"{least} input(s)" if least == most else f"{least} or more inputs" if most is None
            else f"{least} to {most} inputs")
