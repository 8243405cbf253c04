"""The scalar autograd engine: `Value`, one node of a computation graph, and the chain rule.

Every operation is an entry of the op table (`microgrid.ops`).  Applying one makes a node
that stores its result *and* its local derivatives ∂out/∂parent as plain floats, computed in
the forward pass by the entry's rule.  ``backward()`` is then nothing but the chain rule of
docs/backprop.md §4, in reverse topological order:

    ∂C/∂parent += ∂node/∂parent · ∂C/∂node

No closures are kept per node (a graph holds no reference cycles and is freed as soon as it
is unreachable) and nothing recurses (a 1,000,000-node chain is fine).  Hooks run inside the
chain rule; `microgrid.idioms` has the rest of PyTorch's idioms (`no_grad`, `grad`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from itertools import repeat

from . import ops
from .hooks import RemovableHandle, run_hooks
from .hooks import table as _hooks
from .ops import check_real

__all__ = ["Value", "Const", "sum", "dot", "apply", "check_real", "reachable", "topological",
           "chain_rule", "check_root", "grad_enabled", "leaf", "RemovableHandle"]

Real = int | float


class Value:
    """One scalar node of a computation graph.

    Attributes:
        data: the number this node holds (a float).
        grad: ∂root/∂self after ``root.backward()`` (0.0 until a pass reaches it).
        label: a name for drawings, e.g. ``"w^2_{13}"``.
        op: the name of the operation that made this node ("" for a leaf), a key of the table.
        parents: the Values this one was computed from (a tuple).
        local_grads: ∂self/∂parent for each parent, computed in the forward pass (a tuple).
        operands: the operation's inputs in order, Values and plain numbers alike.

    A plain number in an expression (the 2 in ``2 - x``) is folded into its operation instead
    of becoming a node of its own: ``(2 - x).parents == (x,)``, ``.local_grads == (-1.0,)``,
    and ``.operands == (2.0, x)`` gives the number back, on the side it was written.  (A
    number exponent is part of the op: ``x ** 2`` has op ``"**2"`` and operands ``(x,)``.)
    """

    # _c keeps a folded number: None, the number itself when it is the last operand (x * c),
    # else the whole operands tuple (c - x).  The common x * c so costs no tuple: 56 bytes of
    # a node's 184 on bench W3's chain `y = y * 1.0001 + 0.0001`.
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "_c")

    def __init__(self, data: Real, label: str = "") -> None:
        self.data = check_real(data, "Value()")
        if not isinstance(label, str):
            raise TypeError(f"Value(): label must be a str, got {type(label).__name__}")
        self.grad, self.label, self.op, self.parents, self.local_grads = 0.0, label, "", (), ()
        self._c = None

    @property
    def operands(self) -> tuple:
        """The operation's inputs in the order written: ``parents`` with a folded number in
        its place, ``(x, 2.0)`` for ``x - 2`` and ``(2.0, x)`` for ``2 - x``."""
        c = self._c
        return self.parents if c is None else c if type(c) is tuple else (*self.parents, c)

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __float__(self) -> float:
        return self.data

    # Values compare by their data, as numbers do (a relu's rule asks x > 0); == is identity.
    def __lt__(self, other: Operand) -> bool: return self.data < _data(other)
    def __gt__(self, other: Operand) -> bool: return self.data > _data(other)
    def __le__(self, other: Operand) -> bool: return self.data <= _data(other)
    def __ge__(self, other: Operand) -> bool: return self.data >= _data(other)

    # ------------------------------------------------------------ operations: the op table
    def __add__(self, other: Operand) -> Value: return _binary(ops.add, self, other)
    __radd__ = __add__  # x + c and c + x: one node, the number drawn on the right
    def __sub__(self, other: Operand) -> Value: return _binary(ops.sub, self, other)
    def __rsub__(self, other: Operand) -> Value: return apply(ops.sub, (other, self))
    def __mul__(self, other: Operand) -> Value: return _binary(ops.mul_, self, other)
    __rmul__ = __mul__
    def __truediv__(self, other: Operand) -> Value: return _binary(ops.div, self, other)
    def __rtruediv__(self, other: Operand) -> Value: return apply(ops.div, (other, self))
    def __rpow__(self, other: Operand) -> Value: return apply(ops.pow_, (other, self))
    def __neg__(self) -> Value: return _unary(ops.neg, self)
    def __pos__(self) -> Value: return self

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):  # x ** y, both on the graph
            return _binary(ops.pow_, self, other)
        return _unary(ops.power(check_real(other, "x ** n")), self)

    def exp(self) -> Value: return _unary(ops.exp, self)
    def log(self) -> Value: return _unary(ops.log, self)
    def sqrt(self) -> Value: return _unary(ops.sqrt, self)
    def sin(self) -> Value: return _unary(ops.sin, self)
    def cos(self) -> Value: return _unary(ops.cos, self)
    def tanh(self) -> Value: return _unary(ops.tanh, self)
    def sigmoid(self) -> Value: return _unary(ops.sigmoid, self)  # docs/backprop.md §8
    def relu(self) -> Value: return _unary(ops.relu, self)
    def abs(self) -> Value: return _unary(ops.abs_, self)
    def softplus(self) -> Value: return _unary(ops.softplus, self)
    __abs__ = abs

    def identity(self) -> Value:
        """The "linear" activation: a = z. Returns the node itself (no new node)."""
        return self

    @staticmethod  # what an `ops.Op` called with a Value among its operands does
    def apply_op(op: ops.Op, operands: Sequence) -> Value: return apply(op, operands)

    # ------------------------------------------------------------ the graph
    def detach(self) -> Value:
        """A new leaf with this node's data and label, cut from the graph (as in PyTorch)."""
        return leaf(self.data, self.label)

    def register_hook(self, fn: Callable[[float], object]) -> RemovableHandle:
        """Call ``fn(grad)`` in every backward pass (and every `grad` call) once this node's
        gradient for that pass is complete, before it is passed on to its parents.

        A number returned replaces the gradient (``None`` keeps it): the node's ``.grad`` and
        everything downstream see the replacement.  On a leaf, ``fn`` sees the gradient of
        this pass alone, and what it returns is what the leaf accumulates (PyTorch's
        ``Tensor.register_hook``).  Several hooks run in the order registered.  Returns a
        handle; ``handle.remove()`` unregisters ``fn``.  The hooks live in a module-level
        table, not on the node, which keeps the node alive until its last hook is removed."""
        if not callable(fn):
            raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__} {fn!r}")
        return RemovableHandle(self, fn)

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node
        (docs/backprop.md §4).

        Interior nodes get the gradient of *this* pass (so a pre-activation's ``grad`` is
        exactly δ = ∂C/∂z); leaves accumulate across passes, as in PyTorch, until
        ``zero_grad()``.
        """
        grad = check_real(grad, "backward(grad)")
        check_root(self, "backward()")
        order = topological(self, leaves=bool(_hooks))  # (a leaf's place: only for its hooks)
        # a leaf with a hook collects this pass's gradient apart, so the hook sees it alone
        before = {n: n.grad for n in order if not n.parents and n in _hooks} if _hooks else {}
        for node in order:
            if node.parents or node in before:
                node.grad = 0.0  # this pass's gradient: δ for a z, never the last pass's
        self.grad += grad
        chain_rule(order)
        for node, g in before.items():
            node.grad += g  # leaves accumulate across passes

    def zero_grad(self) -> None:
        """Set ``grad`` of this node and every node it depends on to 0.0."""
        for node in reachable(self):
            node.grad = 0.0


class Const(Value):
    """A number as a leaf, marked so drawings can hide it: what `sum` and `dot` make of a
    number among their operands (the operators fold it into the operation instead)."""
    __slots__ = ()

    def __init__(self, data: Real) -> None:
        super().__init__(check_real(data, "operand"))


Operand = Value | int | float


def _data(x: Operand) -> float: return x.data if isinstance(x, Value) else x
_VALUES = repeat(Value)


def leaf(data: float, label: str = "") -> Value:
    """A leaf holding only data: what operations return under `no_grad`, and `detach`."""
    out = _node("", data, (), ())
    out.label = label
    return out


def _node(op: str, data: float, parents: tuple, local_grads: tuple) -> Value:
    """A node with its slots set one by one (``Value()`` would check its data again)."""
    node = object.__new__(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.parents = parents
    node.local_grads = local_grads
    node._c = None
    return node


# ---------------------------------------------------------------------- recording an op
def apply(op: ops.Op | str, operands: Sequence[Operand]) -> Value:
    """Apply the operation ``op`` (an entry of the op table, or its name, a node's ``.op``)
    to ``operands``, Values and plain numbers: every operation goes through here or through
    its two shortcuts for one and two Values, the built-in ones and `microgrid.op`'s alike.
    A plain number is folded into the node (see `Value`)."""
    if type(op) is str:
        name, op = op, ops.find(op)
        if op is None:
            raise ValueError(f"apply(): the operation {name!r} cannot be replayed (not in the "
                             "op table, microgrid.ops.table)")
    if op.arity is not None and len(operands) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} operand(s), got {len(operands)}")
    if all(map(isinstance, operands, _VALUES)):  # only Values: the common case
        return _record(op, tuple(operands), [x.data for x in operands])
    xs = [x.data if isinstance(x, Value) else check_real(x, "operand") for x in operands]
    node = _record(op, tuple(x for x in operands if isinstance(x, Value)), xs)
    if node.parents:  # the folded numbers' local gradients have nowhere to go
        local = tuple(d for x, d in zip(operands, node.local_grads) if isinstance(x, Value))
        node.local_grads = _shared(local[0]) if len(local) == 1 else local
        one_last = len(node.parents) == len(xs) - 1 and not isinstance(operands[-1], Value)
        node._c = xs[-1] if one_last else tuple(
            x if isinstance(x, Value) else f for x, f in zip(operands, xs))
    return node


def _unary(op: ops.Op, x: Value) -> Value: return _record(op, (x,), (x.data,))


def _binary(op: ops.Op, x: Value, y: Operand) -> Value:
    if isinstance(y, Value):
        return _record(op, (x, y), (x.data, y.data))
    # x ∘ c, the number folded in on the right without apply's general path (bench W2's
    # 10⁶-node chain y = y + 1.0: forward 3.4 → 1.9 s)
    c = check_real(y, "operand")
    node = _record(op, (x,), (x.data, c))
    if node.parents:  # (not under no_grad)
        node.local_grads, node._c = _shared(node.local_grads[0]), c
    return node


def _record(op: ops.Op, parents: tuple, xs: Sequence[float]) -> Value:
    """The node of ``op`` on ``xs`` (the operands' numbers, as many as `apply` checked): its
    data is the entry's forward pass, its local gradients the entry's rule on the same numbers
    (one per operand; `apply` keeps those of the Values)."""
    out = op.forward(*xs)
    if not grad_enabled.get():
        return leaf(out)
    local = op.derivative(*xs, out)
    return _node(op.name, out, parents, local if type(local) is tuple else (local,))


# Folded numbers' one local gradient, shared: `y * c + d` in a loop makes one (c,) and one
# (1.0,), not a tuple per node (bench W3's chain: 218 → 184 bytes a node).  Keyed by the
# float's identity, which the tuple kept here keeps alive (so 0.0 and -0.0 stay apart).
_folded: dict[int, tuple] = {}


def _shared(d: float) -> tuple:
    """``(d,)``, one tuple for each float object."""
    kept = _folded.get(id(d))
    if kept is None:
        if len(_folded) >= 64:
            _folded.clear()
        kept = _folded[id(d)] = (d,)
    return kept


# Whether operations record (per thread: a ContextVar, so a `no_grad` in one thread never
# stops another from recording, as in PyTorch); `microgrid.no_grad` sets it.
grad_enabled: ContextVar[bool] = ContextVar("microgrid_grad_enabled", default=True)


# ---------------------------------------------------------------------- the walk
def topological(root: Value, leaves: bool = True) -> list[Value]:
    """Every node ``root`` depends on, each after the nodes it is computed from, ``root``
    last: a depth-first post-order, parents visited in the order written, with an explicit
    stack (no recursion: a 1,000,000-node chain is fine).  The one walk of a graph: backward,
    `grad`, hooks, `compile`, drawings and the explorer all read it; it changes nothing.
    ``leaves=False`` leaves out the leaves below ``root``, which only receive a gradient: what
    backward orders (a W1 graph's walk 6.1 → 3.0 ms; half its edges lead to a leaf)."""
    order, seen, stack = [], set(), [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is _PARENTS_DONE:  # every parent of the node below it is in the order
            order.append(pop())
        elif node not in seen:
            seen.add(node)
            push(node)
            push(_PARENTS_DONE)
            for p in reversed(node.parents):  # the first parent on top: visited first
                if (leaves or p.parents) and p not in seen:
                    push(p)
    return order


# A marker on the walk's stack, not a (node, iterator) pair per node: a deep graph's stack then
# holds nothing the garbage collector scans (bench W2's 10⁶-node y = y + x: backward 1.67 → 0.68 s)
_PARENTS_DONE = object()


def reachable(root: Value) -> set[Value]:
    """``root`` and every node it depends on."""
    return set(topological(root))


# ---------------------------------------------------------------------- the chain rule
def chain_rule(order: list[Value], create_graph: bool = False) -> None:
    """The backward pass of docs/backprop.md §4 on a `topological` order whose root holds its
    seed and every other node 0: from the root down, each node passes its gradient on to its
    parents.  A node's gradient is complete when its turn comes (every node it feeds came
    before it), so its hooks run then; a leaf's only at the end.  With ``create_graph`` the
    local gradients are rebuilt as Values by the op table's rules, so the gradients are Values
    that can be differentiated again."""
    for node in reversed(order):
        if not node.parents:  # a leaf only receives
            continue
        g = node.grad
        if _hooks and node in _hooks:
            g = node.grad = run_hooks(node, g, create_graph)
        if type(g) is float and g == 0.0:
            continue  # a dead ReLU, a saturated σ: nothing to pass on (0·∞ never becomes NaN)
        if create_graph:
            for p, local in zip(node.parents, _local_graphs(node)):
                p.grad += _times(local, g)
        else:
            for p, local in zip(node.parents, node.local_grads):
                p.grad += local * g  # ∂C/∂p += ∂node/∂p · ∂C/∂node
    if _hooks:
        for leaf in order:
            if not leaf.parents and leaf in _hooks:
                leaf.grad = run_hooks(leaf, leaf.grad, create_graph)


def _local_graphs(node: Value) -> tuple:
    """∂node/∂parent as Values: the op's rule called with the operands themselves (a folded
    number in its place, its entry dropped) and the node as ``out``."""
    operands = node.operands
    entry = ops.find(node.op)
    if entry is None:
        raise NotImplementedError(f"grad(create_graph=True): no derivative rule for op "
                                  f"{node.op!r} (it is not in microgrid.ops.table)")
    local = entry.derivative(*operands, node)
    local = local if type(local) is tuple else (local,)
    return tuple(d for x, d in zip(operands, local) if isinstance(x, Value))


def _times(local: object, g: object) -> object:
    """local · g for create_graph, without nodes for products by 0, 1 and −1."""
    if type(local) is float and local in (0.0, 1.0, -1.0):
        return g if local == 1.0 else -g if local == -1.0 else 0.0
    return local if type(g) is float and g == 1.0 else local * g


def check_root(root: object, where: str) -> None:
    if not isinstance(root, Value):
        kind = "a list" if isinstance(root, (list, tuple)) else type(root).__name__
        raise TypeError(f"{where}: root must be one Value (microgrid is scalar: sum several "
                        f"outputs into one), got {kind}")
    if not math.isfinite(root.data):
        raise ValueError(f"{where}: the root's value is {root.data!r}; the forward pass "
                         "overflowed")


# ---------------------------------------------------------------------- n-ary nodes
def _as_value(x: Operand) -> Value:
    return x if isinstance(x, Value) else Const(x)


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - microgrid.sum mirrors builtins.sum
    """Σ values as one node (∂/∂each = 1), instead of a chain of n−1 additions."""
    parents = tuple(map(_as_value, values))
    if not parents:
        raise ValueError("microgrid.sum(): got no values")
    return _record(ops.total, parents, [x.data for x in parents])


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Operand | None = None) -> Value:
    """z = Σ_k w_k x_k (+ b) as one node, a neuron's z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j, with
    parents (w_1…w_n, x_1…x_n[, b]) and local gradients ∂z/∂w_k = x_k (the "forward pass"
    half, docs/backprop.md §4), ∂z/∂x_k = w_k[, ∂z/∂b = 1]: `ops.dot_derivative`."""
    ws, xs = tuple(ws), tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot(): {len(ws)} weights but {len(xs)} inputs; they must match")
    if not ws:
        raise ValueError("dot(): got no weights and no inputs")
    if not all(map(isinstance, (*ws, *xs), _VALUES)):  # a number is a Const leaf here
        ws, xs = tuple(map(_as_value, ws)), tuple(map(_as_value, xs))
    wd, xd = [w.data for w in ws], [x.data for x in xs]
    if bias is None:
        op, parents, b = ops.dot, (*ws, *xs), None
    else:
        bias = _as_value(bias)
        op, parents, b = ops.dot_bias, (*ws, *xs, bias), bias.data
    z = ops.dot_forward(wd, xd, b)  # the table's rule on the two vectors (see ops.dot_forward)
    if not grad_enabled.get():
        return leaf(z)
    return _node(op.name, z, parents, ops.dot_derivative(wd, xd, b))
