"""The scalar autograd engine: `Value`, one node of a computation graph, and the chain rule.

Every operation is an entry of the op table (`microgrid.ops`).  Applying one makes a node
that stores its result *and* its local derivatives ∂out/∂parent as plain floats, computed in
the forward pass by the entry's rule (`_record`, the one recording path).  ``backward()`` is
then nothing but the chain rule of docs/backprop.md §4, in reverse topological order:

    ∂C/∂parent += ∂node/∂parent · ∂C/∂node

No closures are kept per node (a graph holds no reference cycles and is freed as soon as it
is unreachable) and nothing recurses (a 1,000,000-node chain is fine).  Hooks are kept in
`microgrid.hooks`; `microgrid.idioms` has `no_grad`, `grad` and second derivatives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar

from . import hooks, ops
from .hooks import RemovableHandle
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
        operands: the operation's inputs in order, Values and plain numbers alike (a tuple).

    A plain number in an expression (the 2 in ``2 - x``) is folded into its operation instead
    of becoming a node of its own: ``(2 - x).parents == (x,)``, ``.local_grads == (-1.0,)``,
    and ``.operands == (2.0, x)`` gives the number back, on the side it was written.  (A
    number exponent is part of the op: ``x ** 2`` has op ``"**2"`` and operands ``(x,)``.)

    ``Value(data, label)`` makes a leaf; the other arguments are the recording path's, whose
    result is kept as computed (an overflow to ±inf is named by `backward`, not here).
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "operands")

    def __init__(self, data: Real, label: str = "", op: str = "", parents: tuple = (),
                 local_grads: tuple = (), operands: tuple = ()) -> None:
        if not op:  # a leaf: its number and label come from the user
            data = check_real(data, "Value()")
            if not isinstance(label, str):
                raise TypeError(f"Value(): label must be a str, got {type(label).__name__}")
        self.data, self.grad, self.label, self.op = data, 0.0, label, op
        self.parents, self.local_grads, self.operands = parents, local_grads, operands

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __float__(self) -> float: return self.data

    # Values compare by their data, as numbers do (a relu's rule asks x > 0); == is identity.
    def __lt__(self, other: Operand) -> bool: return self.data < _data(other)
    def __gt__(self, other: Operand) -> bool: return self.data > _data(other)
    def __le__(self, other: Operand) -> bool: return self.data <= _data(other)
    def __ge__(self, other: Operand) -> bool: return self.data >= _data(other)

    # ------------------------------------------------------------ operations: the op table
    def __add__(self, other: Operand) -> Value: return _record(ops.add, (self, other))
    __radd__ = __add__  # x + c and c + x: one node, the number drawn on the right
    def __sub__(self, other: Operand) -> Value: return _record(ops.sub, (self, other))
    def __rsub__(self, other: Operand) -> Value: return _record(ops.sub, (other, self))
    def __mul__(self, other: Operand) -> Value: return _record(ops.mul_, (self, other))
    __rmul__ = __mul__
    def __truediv__(self, other: Operand) -> Value: return _record(ops.div, (self, other))
    def __rtruediv__(self, other: Operand) -> Value: return _record(ops.div, (other, self))
    def __rpow__(self, other: Operand) -> Value: return _record(ops.pow_, (other, self))
    def __neg__(self) -> Value: return _record(ops.neg, (self,))
    def __pos__(self) -> Value: return self

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):  # x ** y, both on the graph
            return _record(ops.pow_, (self, other))
        return _record(ops.power(check_real(other, "x ** n")), (self,))

    def exp(self) -> Value: return _record(ops.exp, (self,))
    def log(self) -> Value: return _record(ops.log, (self,))
    def sqrt(self) -> Value: return _record(ops.sqrt, (self,))
    def sin(self) -> Value: return _record(ops.sin, (self,))
    def cos(self) -> Value: return _record(ops.cos, (self,))
    def tanh(self) -> Value: return _record(ops.tanh, (self,))
    def sigmoid(self) -> Value: return _record(ops.sigmoid, (self,))  # docs/backprop.md §8
    def relu(self) -> Value: return _record(ops.relu, (self,))
    def abs(self) -> Value: return _record(ops.abs_, (self,))
    def softplus(self) -> Value: return _record(ops.softplus, (self,))
    __abs__ = abs

    def identity(self) -> Value: return self  # the "linear" activation a = z: no new node

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
        table (`microgrid.hooks`), which keeps the node alive until its last hook is removed."""
        if not callable(fn):
            raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__} {fn!r}")
        return RemovableHandle(self, fn)

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node (docs/backprop.md
        §4).  Interior nodes get the gradient of *this* pass (so a pre-activation's ``grad`` is
        exactly δ = ∂C/∂z); leaves accumulate across passes, as in PyTorch, until
        ``zero_grad()``."""
        grad = check_real(grad, "backward(grad)")
        check_root(self, "backward()")
        order = topological(self, leaves=bool(hooks.table))  # a leaf only receives, unless hooked
        kept = hooks.set_aside(order)  # a hooked leaf's hook sees this pass's gradient alone
        for node in order:
            if node.parents:
                node.grad = 0.0  # this pass's gradient: δ for a z, never the last pass's
        self.grad += grad
        chain_rule(order)
        hooks.add_back(kept)  # leaves accumulate across passes

    def zero_grad(self) -> None:
        """Set ``grad`` of this node and every node it depends on to 0.0."""
        for node in reachable(self):
            node.grad = 0.0


class Const(Value):
    """A number as a leaf, marked so drawings can hide it: what a drawing makes of a number
    folded into an operation, and a user's way to write a constant as a node."""
    __slots__ = ()
    def __init__(self, data: Real) -> None: super().__init__(check_real(data, "operand"))


Operand = Value | int | float
def _data(x: Operand) -> float: return x.data if isinstance(x, Value) else x


def leaf(data: float, label: str = "") -> Value:
    """A leaf holding only data, kept as computed (an overflow stays ±inf, as on the graph):
    what operations return under `no_grad`, and `detach`."""
    node = Value(0.0, label)
    node.data = data
    return node


# ---------------------------------------------------------------------- recording an op
def apply(op: ops.Op | str, operands: Sequence[Operand]) -> Value:
    """Apply the operation ``op`` (an entry of the op table, or its name, a node's ``.op``) to
    ``operands``, Values and plain numbers (folded in, see `Value`), built-in op or a user's."""
    if type(op) is str:
        name, op = op, ops.find(op)
        if op is None:
            raise ValueError(f"apply(): the operation {name!r} cannot be replayed (not in the "
                             "op table, microgrid.ops.table)")
    if op.arity is not None and len(operands) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} operand(s), got {len(operands)}")
    return _record(op, tuple(operands))


def _record(op: ops.Op, operands: tuple) -> Value:
    """The one recording path: the node of ``op`` on ``operands``, its data the entry's forward
    pass on the operands' numbers, its local gradients the entry's rule on the same numbers.  A
    number is folded in, Σ's and dot's alike: kept in ``operands`` as a float, where it was
    written (dot's layout w…, a…[, b] holds in ``operands``), its local gradient dropped: it has
    no ``grad``."""
    parents, xs = [], []  # the Values among the operands, and every operand's number
    for x in operands:
        if isinstance(x, Value):
            parents.append(x)
            xs.append(x.data)
        else:
            xs.append(check_real(x, "operand"))
    if len(parents) == len(operands):  # only Values, the common case: one tuple serves as both
        parents = operands
    else:
        parents = tuple(parents)
        operands = tuple([x if isinstance(x, Value) else f for x, f in zip(operands, xs)])
    out = op.forward(*xs)
    if not grad_enabled.get():
        return leaf(out)
    local = op.derivative(*xs, out)
    if type(local) is not tuple:
        local = (local,)
    if parents is not operands:
        local = tuple([d for x, d in zip(operands, local) if isinstance(x, Value)])
    return Value(out, "", op.name, parents, local, operands)


# Whether operations record (per thread: a ContextVar, so a `no_grad` in one thread never
# stops another from recording, as in PyTorch); `microgrid.no_grad` sets it.
grad_enabled: ContextVar[bool] = ContextVar("microgrid_grad_enabled", default=True)


# ---------------------------------------------------------------------- the walk
def topological(root: Value, leaves: bool = True) -> list[Value]:
    """Every node ``root`` depends on, each after the nodes it is computed from, ``root``
    last: a depth-first post-order, parents visited in the order written, with an explicit
    stack (no recursion: a 1,000,000-node chain is fine).  The one walk of a graph, read by
    backward, `grad`, `compile`, drawings and the explorer.  ``leaves=False`` leaves out the
    leaves, which only receive a gradient: what backward orders (a W1 graph's walk 6.1 → 3.0 ms;
    half its edges lead to a leaf)."""
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
def chain_rule(order: list[Value]) -> None:
    """The backward pass of docs/backprop.md §4 on a `topological` order whose root holds its
    seed and every other node 0 (a leaf: what it holds).  From the root down, each node passes
    its gradient on to its parents; it is complete when the node's turn comes (every node it
    feeds came before), so that is when its hooks run."""
    for node in reversed(order):
        if node in hooks.table:
            node.grad = hooks.run(node, node.grad)
        g = node.grad
        if g == 0.0:
            continue  # a dead ReLU, a saturated σ: nothing to pass on (0·∞ never becomes NaN)
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * g  # ∂C/∂parent += ∂node/∂parent · ∂C/∂node


def check_root(root: object, where: str) -> None:
    if not isinstance(root, Value):
        kind = "a list" if isinstance(root, (list, tuple)) else type(root).__name__
        raise TypeError(f"{where}: root must be one Value (microgrid is scalar: sum several "
                        f"outputs into one), got {kind}")
    if not math.isfinite(root.data):
        raise ValueError(f"{where}: the root's value is {root.data!r}; the forward pass "
                         "overflowed")


# ---------------------------------------------------------------------- n-ary nodes
def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - microgrid.sum mirrors builtins.sum
    """Σ values as one node (∂/∂each = 1), instead of a chain of n−1 additions.  A number
    among them is folded in, as in ``x + 2``."""
    operands = tuple(values)
    if not operands:
        raise ValueError("microgrid.sum(): got no values")
    return _record(ops.total, operands)


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Operand | None = None) -> Value:
    """z = Σ_k w_k x_k (+ b) as one node, a neuron's z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j, with
    operands (w_1…w_n, x_1…x_n[, b]) (`ops.dot_parts` splits them) and local gradients
    ∂z/∂w_k = x_k (the "forward pass" half, docs/backprop.md §4), ∂z/∂x_k = w_k[, ∂z/∂b = 1].
    A number among them is folded in: it stays in ``operands``, where it was written."""
    ws, xs = tuple(ws), tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot(): {len(ws)} weights but {len(xs)} inputs; they must match")
    if not ws:
        raise ValueError("dot(): got no weights and no inputs")
    return _record(ops.dot, ws + xs) if bias is None else _record(ops.dot_bias, (*ws, *xs, bias))
