"""The op table: every operation of microgrid, each defined once.

An operation is one `Op`: its name (what a node's ``.op`` says), how many operands it takes,
its forward pass on floats (raising, naming itself, outside its domain), and its local
derivative written **once**:

    derivative(*xs, out) → ∂out/∂x_i for each operand (one value for one operand, else a tuple)

Called with floats, the rule gives the numbers the forward pass stores in ``local_grads``;
called with Values it builds them as a graph, which is how ``grad(create_graph=True)``
differentiates a gradient again; called with the compiler's symbols it writes the line of
Python a compiled replay runs.  So the interpreter, second order and `compile` cannot disagree.
The rules use arithmetic and the table's own functions (`exp`, `sigmoid`, …), which work on
floats and Values alike:

    >>> exp(1.0)                    # a float for floats
    2.718281828459045

Everything else reads this table: `Value` (`microgrid.engine`), `apply`, `grad`, `compile`,
`draw_dot` (``symbol``), the explorer (``formula``), the tests (``torch``).  `op` adds one.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add as _plus
from operator import mul

__all__ = ["Op", "op", "find", "get", "table", "check_real", "add_up", "dot_parts", "power",
           "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus"]

# exp(x) overflows a double above this; we raise instead of returning inf.
EXP_MAX = 709.782712893384


@dataclass(frozen=True, eq=False)
class Op:
    """One operation.  Calling it applies it: on numbers, the forward pass (a float); with a
    `Value` among the operands, a new node of the graph (``microgrid.exp(v)`` is ``v.exp()``).

    Attributes:
        name: what a node made by it has as ``.op``.
        arity: how many operands it takes (None: any number, as Σ and the dot product).
        forward: floats → float; raises ValueError/ZeroDivisionError/OverflowError naming the
            op outside its domain.
        derivative: ``(*xs, out)`` → ∂out/∂x_i (see the module's docstring).
        symbol: how a drawing writes the op node ("σ", "×", "exp").
        formula: how the explorer writes the op applied to operands, ``{0}``, ``{1}``… standing
            for them ("{0} + {1}", "σ({0})", "{0}^{1}" for a power); None for the n-ary ones,
            written term by term.
        precedence: how tightly the formula binds (sum 1, product 2, −x 3, power 4, f(x) 5).
        note: its derivative in words and where docs/backprop.md derives it, if it does.
        commutative: whether its two operands can be swapped (a drawing need not tell x, y).
        torch: the same op on torch tensors (``torch.sigmoid``) for the tests, or None.
        user_defined: whether it is a user's op, made by `op`: its ``forward`` and
            ``derivative`` then check what they return (the built-in rules are tested against
            torch instead, tests/test_ops.py).
    """

    name: str
    arity: int | None
    forward: Callable[..., float]
    derivative: Callable[..., object]
    symbol: str = ""
    formula: str | None = None
    precedence: int = 5
    note: str = ""
    torch: Callable | None = None
    user_defined: bool = True
    commutative: bool = False

    def __call__(self, *operands: object) -> object:
        for x in operands:
            if type(x) is not float and not isinstance(x, numbers.Real):
                # a Value (or the compiler's symbol): the operand's type knows how to record it
                record = getattr(type(x), "apply_op", None)
                if record is None:
                    raise TypeError(f"{self.name}: expected a real number or a Value, "
                                    f"got {type(x).__name__} {x!r}")
                return record(self, operands)
        return self.forward(*(check_real(x, self.name) for x in operands))

    def __repr__(self) -> str:
        return f"<op {self.name!r}>"


def check_real(x: object, where: str) -> float:
    """A user-supplied number as a float, else a TypeError/ValueError naming it.  microgrid's one
    rule for a number: a finite real (int, float, Fraction, numpy scalars), never a bool (True is
    no number a learner means); the closed form, `optim` and `io` say the same."""
    if type(x) is float and math.isfinite(x):  # the common case, without the ABC check
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        try:
            f = float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
        if math.isfinite(f):
            return f
        raise ValueError(f"{where}: got {f!r}; microgrid values must be finite real numbers (NaN "
                         "and ±inf are rejected so they cannot silently spread through a graph)")
    raise TypeError(f"{where}: expected a real number (int or float), "
                    f"got {type(x).__name__} {x!r}")


# name → Op: the table.  `get` also knows the family x ** n ("**2", "**0.5", …).
table: dict[str, Op] = {}


def _entry(name: str, arity: int | None, forward: Callable, derivative: Callable, symbol: str,
           formula: str | None, precedence: int = 5, note: str = "", torch: str | None = None,
           commutative: bool = False) -> Op:
    entry = Op(name, arity, forward, derivative, symbol, formula, precedence, note,
               _torch(torch), user_defined=False, commutative=commutative)
    table[name] = entry
    return entry


def _torch(name: str | None) -> Callable | None:
    """torch.NAME, looked up only when called: importing microgrid never imports torch."""
    if name is None:
        return None

    def call(*tensors: object) -> object:
        import torch

        f = torch
        for part in name.split("."):
            f = getattr(f, part)
        return f(*tensors)

    call.__name__ = call.__qualname__ = f"torch.{name}"
    return call


def find(name: str) -> Op | None:
    """The entry named ``name`` (a node's ``.op``; ``"**2"`` is `power` (2.0)), or None: each
    consumer says in its own words what an op the table lacks means to it."""
    entry = table.get(name)
    if entry is None and name.startswith("**") and len(name) > 2:
        try:
            n = float(name[2:])
        except ValueError:
            return None
        if math.isfinite(n) and power(n).name == name:
            return power(n)
    return entry


def get(name: str) -> Op:
    """`find`, raising KeyError for an op the table lacks."""
    entry = find(name)
    if entry is None:
        raise KeyError(f"no operation {name!r} in microgrid's op table (see microgrid.ops.table)")
    return entry


# ------------------------------------------------------------------ arithmetic
def _divide(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
    return x / y


def _pow_value(x: float, y: float) -> float:
    """x ** y with the exponent on the graph too: defined for a base > 0 (ln x in ∂/∂y)."""
    if x <= 0.0:
        raise ValueError(f"power: {x!r} ** Value is defined only for a base > 0")
    try:
        return x**y
    except OverflowError:
        raise OverflowError(f"power: {x!r} ** {y!r} overflows a float") from None


add = _entry("+", 2, lambda x, y: x + y, lambda x, y, out: (1.0, 1.0), "+", "{0} + {1}", 1,
             torch="add", commutative=True)
sub = _entry("-", 2, lambda x, y: x - y, lambda x, y, out: (1.0, -1.0), "−", "{0} − {1}", 1,
             torch="sub")
mul_ = _entry("*", 2, lambda x, y: x * y, lambda x, y, out: (y, x), "×", "{0}·{1}", 2,
              torch="mul", commutative=True)
div = _entry("/", 2, _divide, lambda x, y, out: (1.0 / y, -out / y), "÷", "{0}/{1}", 2,
             torch="div")
neg = _entry("neg", 1, lambda x: -x, lambda x, out: -1.0, "−( )", "−{0}", 3, torch="neg")
pow_ = _entry("**", 2, _pow_value, lambda x, y, out: (y * out / x, out * log(x)), "x^y",
              "{0}^{1}", 4, "∂/∂x = y·x^(y−1), ∂/∂y = x^y·ln x", "pow")


# x ** n for a plain number n: one entry per exponent, made when first used, named "**n" so
# that a node's op says its exponent exactly ("**2", "**0.5"; repr when :g would round it).
_powers: dict[float, Op] = {}


def power(n: float) -> Op:
    """The entry of x ↦ xⁿ for the number ``n``: d/dx xⁿ = n·x^(n−1)."""
    entry = _powers.get(n)
    if entry is None:
        name = f"**{n:g}"
        name = name if float(name[2:]) == n else f"**{n!r}"

        def forward(x: float) -> float:
            if x < 0.0 and not n.is_integer():
                raise ValueError(f"power: {x!r} ** {n!r} is not real (negative base, "
                                 "non-integer exponent)")
            if x == 0.0 and n < 1.0 and n != 0.0:
                raise ZeroDivisionError(f"power: 0.0 ** {n!r} has an infinite derivative "
                                        "n·x^(n-1) at x = 0")
            try:
                return x**n
            except OverflowError:
                raise OverflowError(f"power: {x!r} ** {n!r} overflows a float") from None

        def derivative(x: object, out: object) -> object:
            return n * x ** (n - 1.0) if n != 0.0 else 0.0

        entry = _powers[n] = Op(name, 1, forward, derivative, f"( )^{name[2:]}",
                                f"{{0}}^{name[2:]}", 4, "d/dx xⁿ = n·x^(n−1)", _torch("pow"),
                                user_defined=False)
    return entry


# ------------------------------------------------------------------ functions
def _exp(x: float) -> float:
    if x > EXP_MAX:
        raise OverflowError(f"exp({x!r}) overflows a float (exp is finite only for x ≤ 709.78)")
    return math.exp(x)


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log({x!r}): log is defined only for x > 0")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"sqrt({x!r}): defined here only for x > 0 "
                         "(at 0 its derivative is infinite)")
    return math.sqrt(x)


def _sigmoid(z: float) -> float:
    # Two branches so exp never sees a large positive argument (|z| up to 1e300 is fine).
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    """ln(1 + eˣ), computed so that neither branch overflows."""
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


# relu's and abs's derivatives are steps: a comparison times 1.0 (a float for floats and for
# Values, which compare by their data; a line of code for the compiler), 0 at 0 as in PyTorch.
exp = _entry("exp", 1, _exp, lambda x, out: out, "exp", "exp({0})", torch="exp",
             note="exp′(x) = exp(x)")
log = _entry("log", 1, _log, lambda x, out: 1.0 / x, "ln", "ln({0})", torch="log",
             note="ln′(x) = 1/x")
sqrt = _entry("sqrt", 1, _sqrt, lambda x, out: 0.5 / out, "√", "√({0})", torch="sqrt",
              note="√′(x) = 1/(2√x)")
sin = _entry("sin", 1, math.sin, lambda x, out: cos(x), "sin", "sin({0})", torch="sin",
             note="sin′(x) = cos(x)")
cos = _entry("cos", 1, math.cos, lambda x, out: -sin(x), "cos", "cos({0})", torch="cos",
             note="cos′(x) = −sin(x)")
tanh = _entry("tanh", 1, math.tanh, lambda x, out: 1.0 - out * out, "tanh", "tanh({0})",
              torch="tanh", note="tanh′(z) = 1 − tanh²(z)")
sigmoid = _entry("σ", 1, _sigmoid, lambda z, out: out * (1.0 - out), "σ", "σ({0})",
                 torch="sigmoid", note="σ′(z) = σ(z)(1 − σ(z)) (docs/backprop.md §8)")
relu = _entry("ReLU", 1, _relu, lambda x, out: (x > 0.0) * 1.0, "ReLU", "ReLU({0})",
              torch="relu", note="ReLU′(z) = 1 for z > 0, else 0")
abs_ = _entry("abs", 1, abs, lambda x, out: (x > 0.0) * 1.0 - (x < 0.0) * 1.0, "|·|",
              "|{0}|", torch="abs", note="|x|′ = the sign of x (0 at 0)")
softplus = _entry("softplus", 1, _softplus, lambda x, out: sigmoid(x), "softplus",
                  "softplus({0})", torch="nn.functional.softplus", note="softplus′(x) = σ(x)")

#: each activation a layer can use, by its name (`notation.ACTIVATIONS`), → its entry ("linear",
#: a = z, has none): `microgrid.nn` and the torch bridge read this; backprop has its own σ
ACTIVATIONS: dict[str, Op | None] = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "linear": None}


# ------------------------------------------------------------------ n-ary
def add_up(terms: Iterable) -> object:
    """Σ terms strictly left to right, ((t_1 + t_2) + t_3) + …: the one summation of Σ and of
    the dot product, as docs/backprop.md writes a sum and as compiled code adds
    ``w*a + … + b``.  Not built-in ``sum()``, which compensates rounding from Python 3.12, nor
    ``math.fsum``: the same terms give the same float on every Python."""
    return reduce(_plus, terms)


# The dot product z = Σ_k w_k x_k (+ b), written once on its two vectors; the table's entries
# below take its operands (w_1…w_n, x_1…x_n[, b]) one by one and split them with `dot_parts`.
def dot_forward(ws: Sequence, xs: Sequence, b: object = None) -> object:
    """z = Σ_k w_k x_k (+ b): a neuron's z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j."""
    z = add_up(map(mul, ws, xs))
    return z if b is None else z + b


def dot_derivative(ws: Sequence, xs: Sequence, b: object = None) -> tuple:
    """(∂z/∂w_1…, ∂z/∂x_1…[, ∂z/∂b]) = (x_1…x_n, w_1…w_n[, 1]): ∂z/∂w_k = a_k is the a of
    BP4, ∂z/∂a_k = w_k the w of BP2, ∂z/∂b = 1 BP3 (docs/backprop.md §6–§7)."""
    return (*xs, *ws) if b is None else (*xs, *ws, 1.0)


def dot_parts(operands: Sequence, bias: bool) -> tuple:
    """A dot node's operands (w_1…w_n, a_1…a_n[, b]) as (ws, as, b), b None without a bias:
    the one home of that layout (the explorer reads it here)."""
    n = (len(operands) - bias) // 2
    return operands[:n], operands[n : 2 * n], operands[-1] if bias else None


total = _entry("Σ", None, lambda *xs: add_up(xs), lambda *xs_out: (1.0,) * (len(xs_out) - 1),
               "Σ", None, 1, torch=None)
dot = _entry("·", None, lambda *xs: dot_forward(*dot_parts(xs, False)),
             lambda *xs_out: dot_derivative(*dot_parts(xs_out[:-1], False)),
             "Σ w·a", None, 1, "∂z/∂w_k = a_k, ∂z/∂a_k = w_k (docs/backprop.md §6–§7)")
dot_bias = _entry("·+", None, lambda *xs: dot_forward(*dot_parts(xs, True)),
                  lambda *xs_out: dot_derivative(*dot_parts(xs_out[:-1], True)),
                  "Σ w·a + b", None, 1,
                  "∂z/∂w_k = a_k, ∂z/∂a_k = w_k, ∂z/∂b = 1 (docs/backprop.md §6–§7)")


# A user's op (`microgrid.op`) is made in its own module, which reads Op, table and check_real
# above and adds the op's entry to `table`.
from .user_ops import op  # noqa: E402
