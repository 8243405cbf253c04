"""The scalar autograd engine: one class, `Value`, and two n-ary helpers.

Every operation computes its result *and* its local derivatives ∂out/∂parent in the
forward pass and stores them as plain floats in ``local_grads``.  ``backward()`` is then
nothing but the chain rule, edge by edge, in reverse topological order:

    parent.grad += local_grad * node.grad

No closures are kept per node (so a graph holds no reference cycles and is freed the moment
it is unreachable), and nothing recurses (so a 1,000,000-node chain is fine).

PyTorch's idioms for controlling the graph live here too: ``no_grad`` (record nothing),
``Value.detach``, ``Value.register_hook`` and ``grad`` (gradients as return values, and with
``create_graph=True`` as Values that can be differentiated again).
"""

from __future__ import annotations

import functools
import math
import numbers
import threading
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from operator import add, mul, pow, sub, truediv

__all__ = [
    "Value", "Const", "sum", "dot", "check_real", "reachable", "topological", "interior_order",
    "apply",
    "no_grad", "grad", "RemovableHandle",
]

_builtin_sum = sum
_new = object.__new__

# A leaf's parents and local gradients: one shared empty tuple, no allocation per leaf.
_NO_PARENTS: tuple = ()

# A marker on backward's stack: "the node below me has all its parents ordered".
_EMIT = object()
# What `interior_order` writes into the grad of a node it has visited, for the time of the walk:
# one attribute read per edge instead of a set lookup (checked by identity; a NaN, so a value
# seen by accident could never pass for a gradient).
_SEEN = float("nan")

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
        parents: the Values this one was computed from (a tuple).
        local_grads: ∂self/∂parent for each parent, computed in the forward pass (a tuple).
        operands: the operation's inputs in order, Values and plain numbers alike.

    A plain number in an expression (the 2 in ``2 - x``) is folded into its operation instead
    of becoming a node of its own: ``(2 - x).parents == (x,)``, ``.local_grads == (-1.0,)``,
    and ``.operands == (2.0, x)`` gives the number back, on the side it was written.  (A number
    exponent lives in the op itself: ``x ** 2`` has op ``"**2"`` and operands ``(x,)``.)
    """

    # _ps / _lg hold the parents and local gradients: a tuple for several, the Value and the
    # float themselves for one (most nodes: σ, ReLU, x·c, …), which saves two tuples per node
    # in memory and in the garbage collector's work.  A node with exactly two Value operands
    # (x + y, x * y) is a `_Pair`, which keeps the second parent and its local gradient in two
    # more slots instead of tuples.  A leaf has the empty tuple, so ``node._ps`` is false
    # exactly for leaves.  _c is the folded number: None, c for a number on the right (x - c),
    # (c,) for one on the left (c - x).
    __slots__ = ("data", "grad", "label", "op", "_ps", "_lg", "_c")

    def __init__(self, data: Real, label: str = "") -> None:
        self.data = check_real(data, "Value()")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value(): label must be a str, got {type(label).__name__}")
        self.label = label
        self.op = ""
        self._ps = _NO_PARENTS
        self._lg = _NO_PARENTS
        self._c = None

    @property
    def parents(self) -> tuple:
        ps = self._ps
        return ps if type(ps) is tuple else (ps,)

    @parents.setter
    def parents(self, parents: Iterable[Value]) -> None:
        self._as_tuples()
        self._ps = tuple(parents)

    @property
    def local_grads(self) -> tuple:
        lg = self._lg
        return lg if type(lg) is tuple else (lg,)

    @local_grads.setter
    def local_grads(self, local_grads: Iterable[float]) -> None:
        self._as_tuples()
        self._lg = tuple(local_grads)

    def _as_tuples(self) -> None:
        """Store parents and local gradients as tuples (the general form every pass reads),
        before one of them is replaced by hand."""
        if type(self._ps) is not tuple:
            self._ps, self._lg = self.parents, self.local_grads

    @property
    def operands(self) -> tuple:
        """The operation's inputs in the order written: ``parents`` with a folded plain number
        in its place, ``(x, 2.0)`` for ``x - 2`` and ``(2.0, x)`` for ``2 - x``."""
        c = self._c
        if c is None:
            return self.parents
        if type(c) is tuple:
            return (*c, *self.parents)
        return (*self.parents, c)

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __float__(self) -> float:
        return self.data

    # ------------------------------------------------------------------ arithmetic
    # With a plain number c the result has one parent and c folded in (see the docstring).
    def __add__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _pair(self.data + other.data, self, other, 1.0, 1.0, "+")
        c = check_real(other, "operand")
        return _node(self.data + c, self, 1.0, "+", c)

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _pair(self.data - other.data, self, other, 1.0, -1.0, "-")
        c = check_real(other, "operand")
        return _node(self.data - c, self, 1.0, "-", c)

    def __rsub__(self, other: Operand) -> Value:
        c = check_real(other, "operand")
        return _node(c - self.data, self, -1.0, "-", (c,))

    def __mul__(self, other: Operand) -> Value:
        # ∂(a·b)/∂a = b and ∂(a·b)/∂b = a: the local gradients are the operands' data.
        if isinstance(other, Value):
            return _pair(self.data * other.data, self, other, other.data, self.data, "*")
        c = check_real(other, "operand")
        return _node(self.data * c, self, c, "*", c)

    __rmul__ = __mul__

    def __truediv__(self, other: Operand) -> Value:
        folded = not isinstance(other, Value)
        b = check_real(other, "operand") if folded else other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / {b!r}")
        q = self.data / b
        if folded:
            return _node(q, self, 1.0 / b, "/", b)
        return _pair(q, self, other, 1.0 / b, -q / b, "/")

    def __rtruediv__(self, other: Operand) -> Value:
        c = check_real(other, "operand")
        b = self.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {c!r} / {b!r}")
        q = c / b
        return _node(q, self, -q / b, "/", (c,))

    def __neg__(self) -> Value:
        return _node(-self.data, self, -1.0, "neg")

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
        # The op names the exponent exactly ("**2", "**0.5"; repr when :g would round it):
        # second derivatives (`grad(create_graph=True)`) read n back from it.
        op = f"**{n:g}"
        return _node(out, self, local, op if float(op[2:]) == n else f"**{n!r}")

    def _pow_value(self, y: Value) -> Value:
        """x ** y with both sides on the graph: ∂/∂x = y·x^(y-1), ∂/∂y = x^y·ln x (x > 0)."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"power: {x!r} ** Value is defined only for a base > 0")
        try:
            out = x**y.data
        except OverflowError:
            raise OverflowError(f"power: {x!r} ** {y.data!r} overflows a float") from None
        return _pair(out, self, y, y.data * out / x, out * math.log(x), "**")

    def __rpow__(self, other: Operand) -> Value:
        """c ** x for a number c > 0: ∂/∂x = c^x·ln c."""
        c = check_real(other, "operand")
        if c <= 0.0:
            raise ValueError(f"power: {c!r} ** Value is defined only for a base > 0")
        try:
            out = c**self.data
        except OverflowError:
            raise OverflowError(f"power: {c!r} ** {self.data!r} overflows a float") from None
        return _node(out, self, out * math.log(c), "**", (c,))

    # ------------------------------------------------------------------ functions
    def exp(self) -> Value:
        x = self.data
        if x > _EXP_MAX:
            raise OverflowError(f"exp({x!r}) overflows a float (exp is finite only for x ≤ 709.78)")
        e = math.exp(x)
        return _node(e, self, e, "exp")

    def log(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined only for x > 0")
        return _node(math.log(x), self, 1.0 / x, "log")

    def sqrt(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise ValueError(
                f"sqrt({x!r}): defined here only for x > 0 (at 0 its derivative is infinite)"
            )
        r = math.sqrt(x)
        return _node(r, self, 0.5 / r, "sqrt")

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # saturates to ±1.0, never overflows
        return _node(t, self, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Value:
        """σ(z) = 1/(1+e^(−z)); σ'(z) = σ(z)(1−σ(z)) (docs/backprop.md §8)."""
        z = self.data
        # Two branches so exp never sees a large positive argument (|z| up to 1e300 is fine).
        if z >= 0.0:
            s = 1.0 / (1.0 + math.exp(-z))
        else:
            e = math.exp(z)
            s = e / (1.0 + e)
        return _node(s, self, s * (1.0 - s), "σ")

    def relu(self) -> Value:
        # The derivative at exactly 0 is taken as 0, as in PyTorch.
        if self.data > 0.0:
            return _node(self.data, self, 1.0, "ReLU")
        return _node(0.0, self, 0.0, "ReLU")

    def abs(self) -> Value:
        x = self.data
        return _node(abs(x), self, 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0, "abs")

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
        return _node(y, self, s, "softplus")

    def identity(self) -> Value:
        """The "linear" activation: a = z. Returns the node itself (no new node)."""
        return self

    # ------------------------------------------------------------------ the graph
    def detach(self) -> Value:
        """A new leaf with this node's data and label, cut from the graph (as in PyTorch):
        nothing flows back through it."""
        return _leaf(self.data, self.label)

    def register_hook(self, fn: Callable[[float], object]) -> RemovableHandle:
        """Call ``fn(grad)`` in every backward pass (and every `grad` call) once this node's
        gradient for that pass is complete, before it is passed on to its parents.

        A number returned replaces the gradient (``None`` keeps it): the node's ``.grad``
        and everything downstream see the replacement.  On a leaf, ``fn`` sees the gradient
        of this pass alone, and what it returns is what the leaf accumulates — PyTorch's
        ``Tensor.register_hook`` semantics.  Several hooks run in the order registered, each
        seeing the previous one's result.

        Returns a handle; ``handle.remove()`` unregisters ``fn``.  Lifetime: the hooks live in
        a module-level table, not on the node (so a node costs no extra memory and the hot
        path no extra check), and that table keeps the node alive until its last hook is
        removed.  While any hook is registered, ``backward()`` takes a slower path that
        collects gradients in a dict so it can call them.
        """
        if not callable(fn):
            raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__} {fn!r}")
        handle = RemovableHandle(self, fn)
        _hooks.setdefault(self, []).append(handle)
        return handle

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
        if _hooks:  # one dict check per pass keeps the loops below free of hook checks
            _backward_with_hooks(self, grad)
            return
        # Pass 1: order the interior nodes so each comes after every node it feeds
        # (depth-first post-order with an explicit stack, so no recursion), resetting their
        # grads on the way.  Leaves need no place in the order: they only receive.
        order = interior_order(self, reset=True)
        self.grad += grad

        # Pass 2: the chain rule, from the root down: parent.grad += ∂node/∂parent · node.grad.
        # A node whose gradient is exactly 0 (a dead ReLU, a saturated σ) passes nothing on:
        # skipping it is faster, and 0·∞ from an overflowed local gradient never becomes NaN.
        for node in reversed(order):
            g = node.grad
            if g:
                ps = node._ps
                if type(node) is _Dot and node._xs:
                    # z = Σ_k w_k x_k + b, side by side: ∂z/∂w_k = x_k (a term of BP4's
                    # a_k δ) and ∂z/∂x_k = w_k (a term of BP2's Σ_j w_jk δ_j); written
                    # `p.grad = p.grad + …`, not `+=`: one stack operation fewer per edge
                    for w, x, dw, dx in zip(ps, node._xs, node._lg, node._lx):
                        w.grad = w.grad + dw * g
                        x.grad = x.grad + dx * g
                    b = ps[-1]
                    b.grad = b.grad + node._lg[-1] * g  # ∂z/∂b = 1
                elif type(ps) is tuple:
                    for p, local in zip(ps, node._lg):
                        p.grad = p.grad + local * g
                else:  # one parent, stored without a tuple, and maybe a second (a _Pair)
                    ps.grad += node._lg * g
                    if type(node) is _Pair:
                        node._p2.grad += node._l2 * g

    def zero_grad(self) -> None:
        """Set ``grad`` of this node and every node it depends on to 0.0."""
        for node in reachable(self):
            node.grad = 0.0


class Const(Value):
    """A plain number as a leaf, marked so drawings can hide it: what `sum` and `dot` make of a
    number among their operands (the arithmetic operators fold a number into the operation
    instead, see `Value`)."""

    __slots__ = ()

    def __init__(self, data: Real) -> None:
        self.data = check_real(data, "operand")
        self.grad = 0.0
        self.label = ""
        self.op = ""
        self._ps = _NO_PARENTS
        self._lg = _NO_PARENTS
        self._c = None


class _Pair(Value):
    """A node with two Value operands (x + y, x * y, x / y, x ** y): the first parent and its
    local gradient sit in ``_ps``/``_lg`` as for one parent, the second in ``_p2``/``_l2``, so
    the node needs no tuple (a chain ``y = y + x`` makes one object per step, not two)."""

    __slots__ = ("_p2", "_l2")

    def _pair_parents(self) -> tuple:
        ps = self._ps
        return ps if type(ps) is tuple else (ps, self._p2)

    def _pair_local_grads(self) -> tuple:
        lg = self._lg
        return lg if type(lg) is tuple else (lg, self._l2)

    # set by hand, both go back to tuples (`Value._as_tuples`), which every pass reads first
    parents = property(_pair_parents, Value.parents.fset)
    local_grads = property(_pair_local_grads, Value.local_grads.fset)


class _Dot(Value):
    """A neuron's weighted input z = Σ_k w_k x_k + b, made by `weighted_input`.

    Its parents are two tuples that other nodes share: the neuron's ``_ps`` = (w_1…w_n, b),
    the same for every example, with local gradients ``_lg`` = (x_1…x_n, 1), the same for
    every neuron of the layer; and the layer's inputs ``_xs`` = (x_1…x_n), with local
    gradients ``_lx`` = (w_1…w_n) in numbers, the same for every example until the weights
    change.  A network's graph thus holds each tuple once rather than a copy 2n+1 long in
    every z node (less memory, fewer objects for the garbage collector), and
    backward's walk scans a shared tuple only until it finds it done (`_order_and_reset`).
    ``parents`` and ``local_grads`` read as for any dot node: (w…, x…, b) and (x…, w…, 1)."""

    __slots__ = ("_xs", "_lx")

    def _dot_parents(self) -> tuple:
        ps, xs = self._ps, self._xs
        return (*ps[:-1], *xs, ps[-1]) if xs else ps

    def _dot_local_grads(self) -> tuple:
        lg, xs = self._lg, self._xs
        return (*lg[:-1], *self._lx[: len(xs)], lg[-1]) if xs else lg

    def _as_tuples(self) -> None:
        if self._xs:  # one flat tuple each, as for any n-ary node; the shared ones stay as they are
            self._ps, self._lg = self.parents, self.local_grads
            self._xs = self._lx = _NO_PARENTS

    parents = property(_dot_parents, Value.parents.fset)
    local_grads = property(_dot_local_grads, Value.local_grads.fset)


Real = int | float
Operand = Value | int | float


def _record(
    data: float, parents: tuple | Value, local_grads: tuple | float, op: str, const: object = None
) -> Value:
    """Make an interior node without running ``Value.__init__``'s checks (hot path).  One
    parent may be given as the Value itself and its local gradient as the float (no tuples);
    ``const`` is a folded number (see `Value`'s slots)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out._ps = parents
    out._lg = local_grads
    out._c = const
    return out


def _record_pair(
    data: float, a: Value, b: Value, local_a: float, local_b: float, op: str
) -> Value:
    """`_record` for an operation on two Values: a `_Pair`, no tuples."""
    out = _new(_Pair)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out._ps = a
    out._lg = local_a
    out._p2 = b
    out._l2 = local_b
    out._c = None
    return out


def _leaf(data: float, label: str = "") -> Value:
    """A leaf holding only data (what operations return under `no_grad`, and `detach`)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = label
    out.op = ""
    out._ps = _NO_PARENTS
    out._lg = _NO_PARENTS
    out._c = None
    return out


# ---------------------------------------------------------------------- no_grad
# Every operation makes its result with the module-level function `_node` (`_pair` for two
# Value operands).  While no thread is inside `no_grad` it *is* `_record`, so recording costs
# nothing extra: no flag is read per operation.  Entering `no_grad` (in any thread) swaps in
# `_node_checked`, which asks this thread's mode first; the last `no_grad` to exit (over all
# threads) swaps `_record` back.
# The per-thread mode is a ContextVar, not a threading.local: ContextVar.get() measured 19 ns
# against 41 ns for a threading.local attribute (python 3.11, timeit), and it is what the check
# costs per operation while some no_grad block is open.  Threads start with a fresh context,
# so a no_grad in one thread never stops another from recording (PyTorch: grad mode is
# thread-local).
_grad_enabled: ContextVar[bool] = ContextVar("microgrid_grad_enabled", default=True)
_no_grad_lock = threading.Lock()
_no_grad_open = 0  # no_grad blocks open, over all threads


def _node_checked(
    data: float, parents: tuple | Value, local_grads: tuple | float, op: str, const: object = None
) -> Value:
    if _grad_enabled.get():
        return _record(data, parents, local_grads, op, const)
    return _leaf(data)


def _pair_checked(
    data: float, a: Value, b: Value, local_a: float, local_b: float, op: str
) -> Value:
    if _grad_enabled.get():
        return _record_pair(data, a, b, local_a, local_b, op)
    return _leaf(data)


_node, _pair = _record, _record_pair


class no_grad:  # noqa: N801 - named like torch.no_grad, used the same way
    """``with microgrid.no_grad():`` operations record nothing: each result is a leaf (no
    parents, no local gradients) holding only its data, and the graph before it is not kept
    alive.  For evaluation (accuracy, plots, predictions), where no backward pass follows.

    Per thread (another thread keeps recording), nestable, and the previous mode comes back on
    exit, also when the block raises.  Also usable as a decorator: ``@microgrid.no_grad()``.
    """

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: list = []  # a stack, so one instance can be entered while already inside

    def __enter__(self) -> no_grad:
        global _node, _pair, _no_grad_open
        with _no_grad_lock:
            _no_grad_open += 1
            _node, _pair = _node_checked, _pair_checked
        self._tokens.append(_grad_enabled.set(False))
        return self

    def __exit__(self, *exc: object) -> None:
        global _node, _pair, _no_grad_open
        _grad_enabled.reset(self._tokens.pop())  # the previous mode, whatever it was
        with _no_grad_lock:
            _no_grad_open -= 1
            if not _no_grad_open:
                _node, _pair = _record, _record_pair

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: object, **kwargs: object) -> object:
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------------- hooks
# node → its hooks' handles, in registration order.  Kept off the node: a Value gets no extra
# slot (no memory per node) and `backward()` checks this dict once per pass, not per node.
_hooks: dict[Value, list[RemovableHandle]] = {}


class RemovableHandle:
    """What `Value.register_hook` returns; ``remove()`` unregisters the hook."""

    __slots__ = ("node", "fn")

    def __init__(self, node: Value, fn: Callable) -> None:
        self.node: Value | None = node
        self.fn = fn

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing).  The table drops its reference to
        the node with the node's last hook."""
        node, self.node = self.node, None
        handles = _hooks.get(node) if node is not None else None
        if handles and self in handles:
            handles.remove(self)
            if not handles:
                del _hooks[node]

    def __repr__(self) -> str:
        state = "removed" if self.node is None else f"on {self.node!r}"
        return f"RemovableHandle({_hook_name(self.fn)}, {state})"


def _hook_name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _run_hooks(node: Value, g: object, create_graph: bool) -> object:
    for handle in tuple(_hooks[node]):  # a copy: a hook may remove itself
        r = handle.fn(g)
        if r is None:
            continue
        where = f"hook {_hook_name(handle.fn)} registered on {node!r}"
        if isinstance(r, Value):
            g = r if create_graph else r.data
        else:
            g = check_real(r, where)
    return g


def interior_order(root: Value, reset: bool = False) -> list[Value]:
    """The interior nodes ``root`` depends on, each after every node it feeds: a depth-first
    post-order with an explicit stack (no recursion).  Leaves need no place in the order: they
    only receive.  ``reset`` leaves each one's grad at 0.0 (`Value.backward`); without it the
    walk changes nothing (`grad`, hooks and `compile` use it, also from several threads)."""
    if reset:
        return _order_and_reset(root)
    order = []
    visited = set()
    stack = [root] if root._ps else []
    pop, push, emit, visit = stack.pop, stack.append, order.append, visited.add
    while stack:
        node = pop()
        if node is _EMIT:
            emit(pop())
            continue
        if node in visited:
            continue
        visit(node)
        push(node)
        push(_EMIT)  # all of node's parents, pushed next, are ordered before node
        # in the order `_order_and_reset` pushes them, so both walks give the same order
        for p in node._ps + node._xs if type(node) is _Dot else node.parents:
            if p._ps and p not in visited:
                push(p)
    return order


def _order_and_reset(root: Value) -> list[Value]:
    """`interior_order` for `Value.backward`, which resets the grads anyway: the same walk,
    marking a visited node by `_SEEN` in its grad instead of keeping a set (the check runs once
    per edge, and an attribute read is cheaper than a hash lookup).  Every mark is replaced by
    0.0 before this returns, also when it is interrupted.

    A `_Dot`'s two parent tuples are shared (a neuron's (w…, b) by every example, a layer's
    inputs by every neuron).  Once a scan of one pushes nothing, each of its nodes is a leaf or
    already ordered (a marked node not yet ordered would be on the current path, i.e. depend on
    this node: a cycle), so every later node skips that tuple: ``done`` holds their ids.
    A z whose two tuples are both done has nothing left to order before it, so it goes into
    the order at once, without the round trip through the stack and `_EMIT`; so does a(z) with
    such a z (most of a network's nodes: per example, only the first z of a layer scans the
    layer's inputs).  The order is the one the stack would give."""
    order = []
    done = set()
    stack = [root] if root._ps else []
    pop, push, emit = stack.pop, stack.append, order.append
    node = _EMIT
    try:
        while stack:
            node = pop()
            if node is _EMIT:
                emit(pop())
                continue
            if node.grad is _SEEN:
                continue
            node.grad = _SEEN
            ps = node._ps
            if type(node) is _Dot:
                xs = node._xs
                if id(ps) in done and id(xs) in done:
                    emit(node)
                    continue
                push(node)
                push(_EMIT)
                for group in (ps, xs):
                    if id(group) in done:
                        continue
                    height = len(stack)
                    for p in group:
                        if p._ps and p.grad is not _SEEN:
                            push(p)
                    if len(stack) == height:
                        done.add(id(group))
                continue
            if (type(ps) is _Dot and type(node) is Value and ps.grad is not _SEEN
                    and id(ps._ps) in done and id(ps._xs) in done):
                # a(z), one parent, over such a z
                emit(ps)  # before its mark: an interruption leaves no mark outside order
                ps.grad = _SEEN
                emit(node)
                continue
            push(node)
            push(_EMIT)
            if type(ps) is tuple:
                for p in ps:
                    if p._ps and p.grad is not _SEEN:
                        push(p)
            else:
                if ps._ps and ps.grad is not _SEEN:
                    push(ps)
                if type(node) is _Pair:
                    p = node._p2
                    if p._ps and p.grad is not _SEEN:
                        push(p)
    finally:
        # left only by an interruption: the node being visited, nodes marked but not ordered
        stack.append(node)
        for node in order:
            node.grad = 0.0
        for node in stack:
            if node is not _EMIT and node.grad is _SEEN:
                node.grad = 0.0
    return order


def _chain_rule(
    root: Value, seed: float, create_graph: bool
) -> tuple[list[Value], dict[Value, None], dict[Value, object]]:
    """The backward pass into a dict instead of ``.grad``, calling hooks: (interior nodes in
    order, the leaves reached, node → ∂root/∂node).  With ``create_graph`` the gradients are
    Values built from `_SECOND_ORDER`'s rules, so they can be differentiated again.

    Gradients are complete when a node's turn comes (every node it feeds came before it); a
    leaf's only when all interior nodes are done, so leaves' hooks run last."""
    order = interior_order(root)
    grads: dict[Value, object] = {root: seed}
    leaves: dict[Value, None] = {} if root.parents else {root: None}  # an ordered set
    for node in reversed(order):
        g = grads.get(node, 0.0)
        if node in _hooks:
            g = grads[node] = _run_hooks(node, g, create_graph)
        if type(g) is float and g == 0.0:
            # Nothing to pass on (as in `backward`), but the parents are reached: hooks on
            # them still run (with 0.0) and grad() does not call them unused.
            for p in node.parents:
                if not p.parents:
                    leaves[p] = None
            continue
        locals_ = _second_order_locals(node) if create_graph else node.local_grads
        for p, local in zip(node.parents, locals_):
            if not p.parents:
                leaves[p] = None
            c = _times(local, g) if create_graph else local * g
            if c is not None:
                prev = grads.get(p)
                grads[p] = c if prev is None else prev + c
    for leaf in leaves:
        if leaf in _hooks:
            grads[leaf] = _run_hooks(leaf, grads.get(leaf, 0.0), create_graph)
    return order, leaves, grads


def _times(local: object, g: object) -> object:
    """local · g for create_graph, without making nodes for the products by 0, 1 and −1 that
    constant local gradients (+, −, Σ, ReLU) would otherwise add to every gradient graph."""
    if type(local) is float:
        if local == 0.0:
            return None
        if local == 1.0:
            return g
        if local == -1.0:
            return -g
    if type(g) is float and g == 1.0:
        return local
    return local * g


def _backward_with_hooks(root: Value, seed: float) -> None:
    """`Value.backward` while hooks are registered: same semantics (interior nodes get this
    pass's gradient, leaves accumulate), gradients collected in a dict so hooks can see and
    replace each one when it is complete."""
    order, leaves, grads = _chain_rule(root, seed, create_graph=False)
    for node in order:
        node.grad = grads.get(node, 0.0)
    for leaf in leaves:
        leaf.grad += grads.get(leaf, 0.0)


# ---------------------------------------------------------------------- second derivatives
# The forward pass stores each local gradient ∂out/∂parent as a float (fast, and what
# `backward` needs).  To differentiate a gradient again, `grad(create_graph=True)` needs the
# same local gradients as Values built from the parents (and the node itself), so the chain
# rule that uses them is recorded too.  Each rule below is written once, generically: called
# with Values it builds that graph; called with the parents' and the result's floats it gives
# the floats the forward pass stored — tests/test_idioms.py checks this for every op, so the
# two can never drift apart.  Why the forward ops do not call these rules too: a Python call
# per operation on the hot path (timeit: σ's local gradient inline 104 ns, through its rule
# 270 ns, in an x.sigmoid() of 694 ns); the inline formulas stay, checked against this table.


def _data(v: object) -> float:
    return v.data if isinstance(v, Value) else v


def _log(v: object) -> object:
    return v.log() if isinstance(v, Value) else math.log(v)


def _sigmoid(v: object) -> object:
    if isinstance(v, Value):
        return v.sigmoid()
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _dot_rule(ps: Sequence, out: object) -> tuple:
    n = len(ps) // 2  # parents (w_1…w_n, x_1…x_n): ∂z/∂w_k = x_k, ∂z/∂x_k = w_k
    return (*ps[n:], *ps[:n])


def _dot_bias_rule(ps: Sequence, out: object) -> tuple:
    n = (len(ps) - 1) // 2  # parents (w…, x…, b): ∂z/∂b = 1
    return (*ps[n : 2 * n], *ps[:n], 1.0)


def _pow_rule(n: float) -> Callable:
    # d/dx xⁿ = n·x^(n−1), as in `Value.__pow__`.
    return lambda ps, out: (n * ps[0] ** (n - 1.0) if n != 0.0 else 0.0,)


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


# op → rule(parents, out) → the local gradients ∂out/∂parent, one per parent.
_SECOND_ORDER: dict[str, Callable[[Sequence, object], tuple]] = {
    "+": lambda ps, out: (1.0, 1.0),
    "-": lambda ps, out: (1.0, -1.0),
    "*": lambda ps, out: (ps[1], ps[0]),
    "/": lambda ps, out: (1.0 / ps[1], -out / ps[1]),
    "neg": lambda ps, out: (-1.0,),
    "**": lambda ps, out: (ps[1] * out / ps[0], out * _log(ps[0])),  # x ** y, x > 0
    "exp": lambda ps, out: (out,),
    "log": lambda ps, out: (1.0 / ps[0],),
    "sqrt": lambda ps, out: (0.5 / out,),
    "tanh": lambda ps, out: (1.0 - out * out,),
    "σ": lambda ps, out: (out * (1.0 - out),),  # σ' = σ(1 − σ), docs/backprop.md §8
    "ReLU": lambda ps, out: (1.0 if _data(ps[0]) > 0.0 else 0.0,),
    "abs": lambda ps, out: (_sign(_data(ps[0])),),
    "softplus": lambda ps, out: (_sigmoid(ps[0]),),
    "Σ": lambda ps, out: (1.0,) * len(ps),
    "·": _dot_rule,
    "·+": _dot_bias_rule,
}


def _second_order_locals(node: Value) -> tuple:
    """∂node/∂parent as Values, one per parent: the rule sees the operands (a folded number in
    its place) and the numbers' entries are dropped."""
    operands = node.operands
    locals_ = _second_order_rule(node)(operands, node)
    if node._c is None:
        return locals_
    return tuple(g for x, g in zip(operands, locals_) if isinstance(x, Value))


def _second_order_rule(node: Value) -> Callable[[Sequence, object], tuple]:
    op = node.op
    rule = _SECOND_ORDER.get(op)
    if rule is None and op.startswith("**"):
        rule = _pow_rule(float(op[2:]))
    if rule is None:
        raise NotImplementedError(f"grad(create_graph=True): no derivative rule for op {op!r}")
    return rule


# ---------------------------------------------------------------------- grad
def grad(
    root: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
    allow_unused: bool = False,
) -> list:
    """∂root/∂input for each input, like ``torch.autograd.grad``; no ``.grad`` changes.

    Returns a list of floats; with ``create_graph=True`` a list of Values whose own graphs
    can be differentiated again (second derivatives: ``grad(grad(f, [x], True)[0], [x])``).
    An input ``root`` does not depend on raises ValueError naming it, unless
    ``allow_unused=True`` (its gradient is then 0.0).  Hooks registered on nodes run, as in a
    backward pass.
    """
    if not isinstance(root, Value):
        kind = "a list" if isinstance(root, (list, tuple)) else type(root).__name__
        raise TypeError(
            f"grad(): root must be one Value (microgrid is scalar: sum several outputs into one), "
            f"got {kind}"
        )
    if isinstance(inputs, Value):
        inputs = [inputs]
    elif not isinstance(inputs, Sequence) or isinstance(inputs, str):
        raise TypeError(
            f"grad(): inputs must be a Value or a list/tuple of Values, "
            f"got {type(inputs).__name__}"
        )
    if not inputs:
        raise ValueError("grad(): inputs is empty; name the Values to differentiate by")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad(): inputs[{i}] must be a Value, got {type(x).__name__} {x!r}")
    if not math.isfinite(root.data):
        raise ValueError(f"grad(): the root's value is {root.data!r}; the forward pass overflowed")
    order, leaves, grads = _chain_rule(root, 1.0, create_graph)
    reached: set | None = None  # built only if some input got no gradient
    out = []
    for i, x in enumerate(inputs):
        g = grads.get(x)
        if g is None:
            if reached is None:
                reached = {*order, *leaves}
            if x not in reached and not allow_unused:
                raise ValueError(
                    f"grad(): root does not depend on inputs[{i}] ({x!r}); pass "
                    "allow_unused=True to get 0.0 for it"
                )
            g = 0.0  # unused, or reached only through zero local gradients (a dead ReLU)
        if create_graph:
            out.append(g if isinstance(g, Value) else Value(g))
        else:
            out.append(g.data if isinstance(g, Value) else g)
    return out


# ---------------------------------------------------------------------- replaying an op
_BINARY_OPS = {"+": add, "-": sub, "*": mul, "/": truediv, "**": pow}
_UNARY_OPS = {
    "neg": Value.__neg__, "exp": Value.exp, "log": Value.log, "sqrt": Value.sqrt,
    "tanh": Value.tanh, "σ": Value.sigmoid, "ReLU": Value.relu, "abs": Value.abs,
    "softplus": Value.softplus,
}


def apply(op: str, operands: Sequence[Value | float]) -> Value:
    """The operation ``op`` (a node's ``.op``) on other operands (a node's ``.operands``, with
    new Values in their places): the engine's own forward code, so the same numbers and the
    same errors.  What replaying a recorded graph needs (compile's interpreter fallback,
    explore's finite differences)."""
    if op in _BINARY_OPS:
        a, b = operands
        return _BINARY_OPS[op](a, b)
    if op in _UNARY_OPS:
        (a,) = operands
        return _UNARY_OPS[op](a)
    if op == "Σ":
        return sum(operands)
    if op in ("·", "·+"):
        n = len(operands) // 2
        return dot(operands[:n], operands[n : 2 * n], operands[-1] if op == "·+" else None)
    if op.startswith("**"):  # x ** n: the op text holds n exactly ("**2", "**0.3333333333333333")
        (a,) = operands
        return a ** float(op[2:])
    raise ValueError(f"apply(): the operation {op!r} cannot be replayed (not one of the engine's)")


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


def weighted_input(
    wb: tuple[Value, ...],
    wd: tuple[float, ...],
    xs: tuple[Value, ...],
    xd1: tuple[float, ...],
    label: str = "",
) -> Value:
    """z = Σ_k w_k x_k + b as one node (a `_Dot`), the hot path of a network's forward pass.

    ``wb`` = (w_1…w_n, b) is the neuron's tuple and ``wd`` their data, ``xs`` = (x_1…x_n) the
    layer's inputs and ``xd1`` their data with a 1 for the bias (x_1.data…x_n.data, 1.0):
    tuples the caller keeps and shares, since the node keeps them as they are (see `_Dot`).
    Nothing is checked here (it runs once per neuron and example): the caller, `nn.Layer` or
    `nn.Neuron`, guarantees n + 1 entries in ``wb``, ``wd`` and ``xd1`` and n in ``xs``, which
    ``parents``, ``local_grads`` and backward's chain rule rely on.  Not part of the public
    API (`dot` is: it checks its arguments)."""
    z = _builtin_sum(map(mul, wd, xd1))  # Σ_k w_k x_k, then + b·1
    # Under no_grad the result is a leaf; `_node is _record` (no thread is inside no_grad)
    # costs one global read per neuron, not per weight.
    if _node is _record or _grad_enabled.get():
        out = _new(_Dot)
        out.data = z
        out.grad = 0.0
        out.label = label
        out.op = "·+"
        out._ps = wb
        out._lg = xd1
        out._c = None
        out._xs = xs
        out._lx = wd  # ∂z/∂x_k = w_k (b's entry at the end is never read)
        return out
    return _leaf(z, label)


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
