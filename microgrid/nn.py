"""Neurons, layers and multi-layer perceptrons, in the notation of docs/backprop.md §1.

Layers are numbered as in the derivation: the input is layer 1, so ``mlp.layers[i]`` is
layer l = i + 2, and its neuron j (0-based in code, j+1 in labels) computes (§2)

    z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j      (one fused `dot` node)
    a^l_j = σ(z^l_j)

Every parameter and every z/a node carries its label (``w^2_{13}``, ``b^2_1``, ``z^2_1``,
``a^2_1``), so a drawn graph reads like the derivation, and after ``loss.backward()``
``z.grad`` is δ^l_j.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import io, ops
from .engine import Value, apply, check_real, dot
from .notation import ACTIVATIONS, check_activation, label

__all__ = ["ACTIVATIONS", "Module", "Neuron", "Layer", "MLP", "Trace"]

Number = int | float
Input = Sequence[Number | Value]


def _size(n: object, what: str) -> int:
    """A layer size: a positive whole number (numpy integers welcome, bools not)."""
    try:
        if isinstance(n, bool):
            raise TypeError
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"{what} must be a positive int, got {n!r}") from None
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n


def _make_rng(seed: int | None, rng: random.Random | None) -> random.Random:
    if rng is not None and seed is not None:
        raise ValueError("give either seed= or rng=, not both")
    if seed is not None and not isinstance(seed, (int, float, str, bytes)):
        seed = operator.index(seed)  # numpy integers
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    return random.Random(seed)


class Module:
    """Anything with parameters."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One neuron: z = Σ_k w_k a_k + b, a = activation(z).

    Weights start uniform in ±1/√nin (so z stays in σ's sensitive range), the bias at 0.
    ``layer`` and ``index`` (layer l and 1-based j, docs/backprop.md §1) only name the parameters.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "sigmoid",
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        layer: int = 2,
        index: int = 1,
    ) -> None:
        nin = _size(nin, "Neuron: nin")
        self.activation = check_activation(activation)
        self._op = ops.ACTIVATIONS[activation]  # σ's entry of the op table (None: linear)
        rng = _make_rng(seed, rng)
        scale = 1.0 / math.sqrt(nin)
        self.w = [
            Value(rng.uniform(-scale, scale), label("w", layer, index, k))
            for k in range(1, nin + 1)
        ]
        self.b = Value(0.0, label("b", layer, index))
        self.z_label = label("z", layer, index)
        self.a_label = label("a", layer, index)

    def __call__(self, x: Input) -> Value:
        return self.forward(tuple(v if isinstance(v, Value) else Value(v) for v in x))[1]

    def forward(self, xs: Sequence[Value]) -> tuple[Value, Value]:
        """(z, a) for the inputs ``xs``: z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j as one `dot`
        node (docs/backprop.md §2), a^l_j = σ(z^l_j)."""
        if len(xs) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(xs)}")
        z = dot(self.w, xs, self.b)
        z.label = self.z_label
        if self._op is None:  # "linear": a^l_j is z^l_j itself
            return z, z
        a = apply(self._op, (z,))
        a.label = self.a_label
        return z, a

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs; layer ``layer`` (§1 numbering)."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "sigmoid",
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        layer: int = 2,
    ) -> None:
        nin, nout = _size(nin, "Layer: nin"), _size(nout, "Layer: nout")
        rng = _make_rng(seed, rng)
        self.neurons = [
            Neuron(nin, activation, rng=rng, layer=layer, index=j) for j in range(1, nout + 1)
        ]
        self.nin, self.nout, self.activation = nin, nout, check_activation(activation)

    def __call__(self, x: Input) -> list[Value]:
        return self.forward(x)[1]

    def forward(self, x: Input) -> tuple[list[Value], list[Value]]:
        """([z^l_1 …], [a^l_1 …]) for this layer, given the previous layer's outputs."""
        return self._forward(tuple(v if isinstance(v, Value) else Value(v) for v in x))

    def _forward(self, xs: Sequence[Value]) -> tuple[list[Value], list[Value]]:
        # MLP's path: xs are already Values.  Checked also inside an MLP: a neuron added to
        # or removed from the layer before changes how many inputs this one gets.
        if len(xs) != self.nin:
            raise ValueError(f"Layer expects {self.nin} inputs, got {len(xs)}")
        zs, out = [], []
        for j, n in enumerate(self.neurons, 1):
            if len(n.w) != self.nin:
                raise ValueError(f"neuron {j} has {len(n.w)} weights for {self.nin} inputs; "
                                 "a neuron needs one weight per input")
            z, a = n.forward(xs)
            zs.append(z)
            out.append(a)
        return zs, out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


@dataclass
class Trace:
    """The forward pass of one example, layer by layer.

    ``z[i][j]`` and ``a[i][j]`` are the nodes z^l_j and a^l_j of MLP layer i (docs/backprop.md §1:
    l = i + 2); after ``loss.backward()``, ``z[i][j].grad`` is δ^l_j.
    """

    x: tuple[Value, ...]
    z: list[list[Value]]
    a: list[list[Value]]

    @property
    def output(self) -> Value | list[Value]:
        out = self.a[-1]
        return out[0] if len(out) == 1 else out


class MLP(Module):
    """A multi-layer perceptron ``nin → nouts[0] → … → nouts[-1]``.

    ``activation`` is used on every hidden layer, ``output_activation`` on the last one
    (``None``: the same as ``activation``, σ on every layer as in docs/backprop.md).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str | None = None,
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        nin = _size(nin, "MLP: nin")
        if not isinstance(nouts, Iterable):
            raise ValueError(
                f"MLP: nouts must be a list of layer sizes, e.g. [16, 1]; got {nouts!r}"
            )
        nouts = [_size(n, "MLP: each layer size in nouts") for n in nouts]
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size, got []")
        self.activation = check_activation(activation)
        self.output_activation = check_activation(
            activation if output_activation is None else output_activation
        )
        rng = _make_rng(seed, rng)
        sizes = [nin, *nouts]
        acts = [self.activation] * (len(nouts) - 1) + [self.output_activation]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], acts[i], rng=rng, layer=i + 2)
            for i in range(len(nouts))
        ]
        self.nin = nin
        self.nouts = nouts
        # a^1_k: the input layer's labels, made once here rather than on every call
        self._input_labels = [label("a", 1, k) for k in range(1, nin + 1)]

    def _inputs(self, x: Input) -> tuple[Value, ...]:
        try:
            n = len(x)
        except TypeError:
            raise ValueError(
                f"MLP expects a sequence of {self.nin} numbers, got {type(x).__name__}"
            ) from None
        if n != self.nin:
            raise ValueError(f"MLP expects {self.nin} inputs, got {n}")
        return tuple(
            v if isinstance(v, Value) else Value(check_real(v, "MLP input"), name)
            for v, name in zip(x, self._input_labels)
        )

    def __call__(self, x: Input) -> Value | list[Value]:
        """The output layer's values; a single Value when the last layer has one neuron."""
        a = self._inputs(x)
        for layer in self.layers:
            a = layer._forward(a)[1]
        return a[0] if len(a) == 1 else a

    def trace(self, x: Input) -> Trace:
        """The forward pass with every z^l_j and a^l_j kept (see `Trace`)."""
        a = self._inputs(x)
        t = Trace(x=a, z=[], a=[])
        for layer in self.layers:
            z, a = layer._forward(a)
            t.z.append(z)
            t.a.append(a)
        return t

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    # ------------------------------------------------------------ weights as numbers
    def weights(self) -> list[list[list[float]]]:
        """``W[i][j][k]`` = w^{i+2}_jk: row j is neuron j of layer i, column k its input k."""
        return [[[w.data for w in n.w] for n in layer.neurons] for layer in self.layers]

    def biases(self) -> list[list[float]]:
        """``B[i][j]`` = b^{i+2}_j."""
        return [[n.b.data for n in layer.neurons] for layer in self.layers]

    def load_weights(self, W: Sequence, B: Sequence) -> None:
        """Set every weight and bias from ``W[i][j][k]`` and ``B[i][j]`` (shapes checked first,
        so a bad call changes nothing)."""
        shape = [(layer.nout, layer.nin) for layer in self.layers]
        _check_len(W, len(shape), "W", "layers")
        _check_len(B, len(shape), "B", "layers")
        new_w, new_b = [], []
        for i, (nout, nin) in enumerate(shape):
            _check_len(W[i], nout, f"W[{i}]", "rows (neurons)")
            _check_len(B[i], nout, f"B[{i}]", "biases")
            for j in range(nout):
                _check_len(W[i][j], nin, f"W[{i}][{j}]", "weights (inputs)")
                new_w.append([check_real(w, f"W[{i}][{j}]") for w in W[i][j]])
                new_b.append(check_real(B[i][j], f"B[{i}][{j}]"))
        neurons = [n for layer in self.layers for n in layer.neurons]
        for n, ws, b in zip(neurons, new_w, new_b):
            for w, value in zip(n.w, ws):
                w.data = value
            n.b.data = b

    # ------------------------------------------------------------ model files (JSON)
    def to_dict(self) -> dict[str, object]:
        """The whole network as plain data: what a model file holds, under the keys
        `microgrid.io.MODEL_KEYS` names ("nin", "nouts", "activation", "output_activation",
        "weights", "biases": the file format's, stated there once)."""
        return dict(zip(io.MODEL_KEYS, (self.nin, list(self.nouts), self.activation,
                                        self.output_activation, self.weights(), self.biases()),
                        strict=True))

    @classmethod
    def from_dict(cls, model: dict[str, object]) -> MLP:
        """The network that `to_dict` described (sizes, activations and weights checked)."""
        missing = [key for key in io.MODEL_KEYS if key not in model]
        if missing:
            raise ValueError(f"MLP.from_dict: missing {', '.join(map(repr, missing))}")
        mlp = cls(model["nin"], model["nouts"], model["activation"], model["output_activation"],
                  seed=0)
        mlp.load_weights(model["weights"], model["biases"])
        return mlp

    def save(self, path: io.PathLike, *, metadata: dict[str, object] | None = None) -> None:
        """Write architecture, activations, weights (and any JSON ``metadata``) to a JSON file,
        atomically: an interrupted save leaves the old file intact."""
        io.write_model(path, self.to_dict(), metadata)

    @classmethod
    def load(cls, path: io.PathLike) -> MLP:
        """Read a model written by `save`; a malformed file raises ValueError saying what
        is wrong.  (``microgrid.io.read_model(path)`` also gives the metadata.)"""
        model, _ = io.read_model(path)
        return cls.from_dict(model)

    def __repr__(self) -> str:
        sizes = "-".join(str(s) for s in [self.nin, *self.nouts])
        return (
            f"MLP({sizes}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )


def _check_len(seq: object, n: int, name: str, what: str) -> None:
    try:
        got = len(seq)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(
            f"{name}: expected a sequence of {n} {what}, got {type(seq).__name__}"
        ) from None
    if got != n:
        raise ValueError(f"{name}: expected {n} {what}, got {got}")
