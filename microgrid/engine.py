"""The scalar autograd engine: one class, `Value`, and two n-ary helpers.

Every operation computes its result *and* its local derivatives ∂out/∂parent in the
forward pass and stores them as plain floats in ``local_grads``.  ``backward()`` is then
nothing but the chain rule, edge by edge, in reverse topological order:

    parent.grad += local_grad * node.grad

No closures are kept per node (so a graph holds no reference cycles and is freed the moment
it is unreachable), and nothing recurses (so a 1,000,000-node chain is fine).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from operator import mul

__all__ = [
    "Value", "Const", "sum", "dot", "check_real", "reachable", "topological", "weighted_input",
]

_builtin_sum = sum
_new = object.__new__

# Shared immutable tuples: most ops have local gradients that are constants, and sharing
# one tuple between all such nodes saves an allocation per node.
_NO_PARENTS: tuple = ()
_ONE = (1.0,)
_ZERO = (0.0,)
_MINUS_ONE = (-1.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)

# A marker on backward's stack: "the node below me has all its parents ordered".
_EMIT = object()

# exp(x) overflows a double above this; we raise instead of returning inf.
_EXP_MAX = 709.782712893384


def check_real(x: object, where: str) -> float:
    """Convert a user-supplied number to float, or raise a TypeError/ValueError naming it."""
    if type(x) is float and math.isfinite(x):  # the common case, without the ABC check
        return x
    if isinstance(x, numbers.Real):  # int, float, bool, Fraction, numpy scalars
        try:
            f = float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
        if math.isfinite(f):
            return f
        raise ValueError(
            f"{where}: got {f!r}; microgrid values must be finite real numbers "
            "(NaN and ±inf are rejected so they cannot silently spread through a graph)"
        )
    raise TypeError(
        f"{where}: expected a real number (int or float), got {type(x).__name__} {x!r}"
    )


class Value:
    """One scalar node of a computation graph.

    Attributes:
        data: the number this node holds (a float).
        grad: ∂root/∂self after ``root.backward()`` (0.0 until a pass reaches it).
        label: a name for drawings, e.g. ``"w^2_{13}"``.
        op: the operation that made this node ("" for a leaf).
        parents: the nodes this one was computed from.
        local_grads: ∂self/∂parent for each parent, computed in the forward pass.
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(self, data: Real, label: str = "") -> None:
        self.data = check_real(data, "Value()")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value(): label must be a str, got {type(label).__name__}")
        self.label = label
        self.op = ""
        self.parents = _NO_PARENTS
        self.local_grads = _NO_PARENTS

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __float__(self) -> float:
        return self.data

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else Const(other)
        return _node(self.data + other.data, (self, other), _ONE_ONE, "+")

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else Const(other)
        return _node(self.data - other.data, (self, other), _ONE_MINUS_ONE, "-")

    def __rsub__(self, other: Operand) -> Value:
        return Const(other) - self

    def __mul__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else Const(other)
        # ∂(a·b)/∂a = b and ∂(a·b)/∂b = a: the local gradients are the operands' data.
        return _node(self.data * other.data, (self, other), (other.data, self.data), "*")

    __rmul__ = __mul__

    def __truediv__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else Const(other)
        b = other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / {b!r}")
        q = self.data / b
        return _node(q, (self, other), (1.0 / b, -q / b), "/")

    def __rtruediv__(self, other: Operand) -> Value:
        return Const(other) / self

    def __neg__(self) -> Value:
        return _node(-self.data, (self,), _MINUS_ONE, "neg")

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return self._pow_value(other)
        n = check_real(other, "x ** n")
        x = self.data
        if x < 0.0 and not n.is_integer():
            raise ValueError(
                f"power: {x!r} ** {n!r} is not real (negative base, non-integer exponent)"
            )
        if x == 0.0 and n < 1.0 and n != 0.0:
            raise ZeroDivisionError(
                f"power: 0.0 ** {n!r} has an infinite derivative n·x^(n-1) at x = 0"
            )
        try:
            out = x**n
            local = n * x ** (n - 1.0) if n != 0.0 else 0.0
        except OverflowError:
            raise OverflowError(f"power: {x!r} ** {n!r} overflows a float") from None
        return _node(out, (self,), (local,), f"**{n:g}")

    def _pow_value(self, y: Value) -> Value:
        """x ** y with both sides on the graph: ∂/∂x = y·x^(y-1), ∂/∂y = x^y·ln x (x > 0)."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"power: {x!r} ** Value is defined only for a base > 0")
        try:
            out = x**y.data
        except OverflowError:
            raise OverflowError(f"power: {x!r} ** {y.data!r} overflows a float") from None
        return _node(out, (self, y), (y.data * out / x, out * math.log(x)), "**")

    def __rpow__(self, other: Operand) -> Value:
        return Const(other) ** self

    # ------------------------------------------------------------------ functions
    def exp(self) -> Value:
        x = self.data
        if x > _EXP_MAX:
            raise OverflowError(f"exp({x!r}) overflows a float (exp is finite only for x ≤ 709.78)")
        e = math.exp(x)
        return _node(e, (self,), (e,), "exp")

    def log(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined only for x > 0")
        return _node(math.log(x), (self,), (1.0 / x,), "log")

    def sqrt(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise ValueError(
                f"sqrt({x!r}): defined here only for x > 0 (at 0 its derivative is infinite)"
            )
        r = math.sqrt(x)
        return _node(r, (self,), (0.5 / r,), "sqrt")

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # saturates to ±1.0, never overflows
        return _node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """σ(z) = 1/(1+e^(−z)); σ'(z) = σ(z)(1−σ(z)) (docs/backprop.md §8)."""
        z = self.data
        # Two branches so exp never sees a large positive argument (|z| up to 1e300 is fine).
        if z >= 0.0:
            s = 1.0 / (1.0 + math.exp(-z))
        else:
            e = math.exp(z)
            s = e / (1.0 + e)
        return _node(s, (self,), (s * (1.0 - s),), "σ")

    def relu(self) -> Value:
        # The derivative at exactly 0 is taken as 0, as in PyTorch.
        if self.data > 0.0:
            return _node(self.data, (self,), _ONE, "ReLU")
        return _node(0.0, (self,), _ZERO, "ReLU")

    def abs(self) -> Value:
        x = self.data
        return _node(abs(x), (self,), _ONE if x > 0.0 else _MINUS_ONE if x < 0.0 else _ZERO, "abs")

    __abs__ = abs

    def softplus(self) -> Value:
        """softplus(x) = ln(1 + eˣ), computed stably; its derivative is σ(x)."""
        x = self.data
        if x > 0.0:
            y = x + math.log1p(math.exp(-x))
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            y = math.log1p(e)
            s = e / (1.0 + e)
        return _node(y, (self,), (s,), "softplus")

    def identity(self) -> Value:
        """The "linear" activation: a = z. Returns the node itself (no new node)."""
        return self

    # ------------------------------------------------------------------ backward
    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node.

        Interior nodes get the gradient of *this* pass (they are reset first, so a
        pre-activation's ``grad`` is exactly δ = ∂C/∂z); leaves accumulate across passes,
        as in PyTorch, until ``zero_grad()``.
        """
        grad = check_real(grad, "backward(grad)")
        if not math.isfinite(self.data):
            raise ValueError(
                f"backward(): the root's value is {self.data!r}; the forward pass overflowed"
            )
        # Pass 1: order the interior nodes so each comes after every node it feeds
        # (depth-first post-order with an explicit stack, so no recursion), resetting their
        # grads on the way.  Leaves need no place in the order: they only receive.
        order = []
        visited = set()
        stack = [self] if self.parents else []
        pop, push, emit, visit = stack.pop, stack.append, order.append, visited.add
        while stack:
            node = pop()
            if node is _EMIT:
                emit(pop())
                continue
            if node in visited:
                continue
            visit(node)
            node.grad = 0.0
            push(node)
            push(_EMIT)  # all of node's parents, pushed next, are ordered before node
            for p in node.parents:
                if p.parents and p not in visited:
                    push(p)
        self.grad += grad

        # Pass 2: the chain rule, from the root down: parent.grad += ∂node/∂parent · node.grad.
        # A node whose gradient is exactly 0 (a dead ReLU, a saturated σ) passes nothing on:
        # skipping it is faster, and 0·∞ from an overflowed local gradient never becomes NaN.
        for node in reversed(order):
            g = node.grad
            if g:
                for p, local in zip(node.parents, node.local_grads):
                    p.grad += local * g

    def zero_grad(self) -> None:
        """Set ``grad`` of this node and every node it depends on to 0.0."""
        for node in reachable(self):
            node.grad = 0.0


class Const(Value):
    """A plain number that entered an expression (the 2 in ``2 * x``): a leaf, marked so
    drawings can hide it."""

    __slots__ = ()

    def __init__(self, data: Real) -> None:
        self.data = check_real(data, "operand")
        self.grad = 0.0
        self.label = ""
        self.op = ""
        self.parents = _NO_PARENTS
        self.local_grads = _NO_PARENTS


Real = int | float
Operand = Value | int | float


def _node(data: float, parents: tuple, local_grads: tuple, op: str) -> Value:
    """Make an interior node without running ``Value.__init__``'s checks (hot path)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out.parents = parents
    out.local_grads = local_grads
    return out


def reachable(root: Value) -> set[Value]:
    """``root`` and every node it depends on (an explicit stack: no recursion)."""
    seen, stack = {root}, [root]
    while stack:
        for p in stack.pop().parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def topological(root: Value) -> list[Value]:
    """Every node ``root`` depends on (leaves too), parents before children, ``root`` last
    (iterative depth-first search: no recursion)."""
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if p not in seen:
                seen.add(p)
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _as_value(x: Operand) -> Value:
    return x if isinstance(x, Value) else Const(x)


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - microgrid.sum mirrors builtins.sum
    """Σ values as one node (∂/∂each = 1), instead of a chain of n−1 additions."""
    parents = tuple(map(_as_value, values))
    if not parents:
        raise ValueError("microgrid.sum(): got no values")
    total = _builtin_sum([p.data for p in parents])
    return _node(total, parents, (1.0,) * len(parents), "Σ")


def weighted_input(ws: list[Value], xs: tuple[Value, ...], b: Value, xd: list[float]) -> Value:
    """z = Σ_k w_k x_k + b as one node: `dot` for callers that already hold Values of equal
    length and their data ``xd`` (a layer reads its inputs' data once for all its neurons:
    the hot path)."""
    wd = [w.data for w in ws]
    return _node(_builtin_sum(map(mul, wd, xd)) + b.data, (*ws, *xs, b), (*xd, *wd, 1.0), "·+")


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Operand | None = None) -> Value:
    """z = Σ_k w_k x_k (+ b) as one node.

    A neuron's pre-activation z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j is exactly this node.

    Parents are (w_1…w_n, x_1…x_n[, b]); local gradients are ∂z/∂w_k = x_k (the "forward
    pass" half, docs/backprop.md §4), ∂z/∂x_k = w_k and ∂z/∂b = 1.
    """
    ws = tuple(map(_as_value, ws))
    xs = tuple(map(_as_value, xs))
    if len(ws) != len(xs):
        raise ValueError(f"dot(): {len(ws)} weights but {len(xs)} inputs; they must match")
    if not ws:
        raise ValueError("dot(): got no weights and no inputs")
    wd = [w.data for w in ws]
    xd = [x.data for x in xs]
    z = _builtin_sum(map(mul, wd, xd))
    if bias is None:
        return _node(z, ws + xs, (*xd, *wd), "·")
    b = _as_value(bias)
    return _node(z + b.data, (*ws, *xs, b), (*xd, *wd, 1.0), "·+")
