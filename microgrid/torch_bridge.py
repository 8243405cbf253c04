"""The bridge to PyTorch (``pip install microgrid[torch]``): the same network, as tensors.

    from microgrid.torch_bridge import to_torch, from_torch
    net = to_torch(mlp)             # torch.nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)
    mlp2 = from_torch(net)          # back to a microgrid MLP with the same weights

``to_torch`` gives one ``torch.nn.Linear`` per layer (its ``weight[j, k]`` is w^l_jk, its
``bias[j]`` is b^l_j) followed by the layer's activation module (``Sigmoid``, ``Tanh``,
``ReLU``; nothing for ``"linear"``).  The torch network takes a batch of shape (N, nin) and
returns shape (N, nouts[-1]) — even for one output, where ``mlp(x)`` returns a single Value.
``from_torch`` reads such a Sequential back (``Identity`` counts as "linear", a Linear without
bias gets zero biases) and raises ValueError for any other module.

This module imports torch; ``import microgrid`` never does.
"""

from __future__ import annotations

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - exercised only without torch installed
    raise ImportError(
        "microgrid.torch_bridge needs PyTorch: pip install 'microgrid[torch]'"
        " (or pip install torch)"
    ) from e

from . import ops
from .nn import MLP

__all__ = ["to_torch", "from_torch"]

#: each activation's op (ops.ACTIVATIONS) as a torch module ("linear", no op, is Identity:
#: to_torch adds nothing)
_MODULES = {ops.sigmoid: nn.Sigmoid, ops.tanh: nn.Tanh, ops.relu: nn.ReLU, None: nn.Identity}
_NAMES = {_MODULES[op]: name for name, op in ops.ACTIVATIONS.items()}


def to_torch(mlp: MLP, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A ``torch.nn.Sequential`` computing the same function as ``mlp`` (float64 by default)."""
    if not isinstance(mlp, MLP):
        raise TypeError(f"to_torch: expected a microgrid MLP, got {type(mlp).__name__}")
    modules: list[nn.Module] = []
    for i, (W, B) in enumerate(zip(mlp.weights(), mlp.biases(), strict=True)):
        layer = mlp.layers[i]
        linear = nn.Linear(layer.nin, layer.nout, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(W, dtype=dtype))
            linear.bias.copy_(torch.tensor(B, dtype=dtype))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(_MODULES[ops.ACTIVATIONS[layer.activation]]())
    return nn.Sequential(*modules)


def from_torch(seq: nn.Sequential) -> MLP:
    """The microgrid MLP of a Sequential of Linear layers, each optionally followed by one of
    Sigmoid, Tanh, ReLU or Identity; all hidden layers must share one activation."""
    if not isinstance(seq, nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(seq).__name__}")
    linears: list[nn.Linear] = []
    acts: list[str] = []
    for index, module in enumerate(seq):
        kind = type(module)
        if kind is nn.Linear:
            linears.append(module)
            acts.append("linear")
        elif kind in _NAMES:
            if not linears or _follows_activation(seq, index):
                raise ValueError(
                    f"from_torch: module {index} ({kind.__name__}) must directly follow a Linear"
                )
            acts[-1] = _NAMES[kind]
        else:
            raise ValueError(
                f"from_torch: module {index} is {kind.__name__}; only Linear, Sigmoid, Tanh, "
                "ReLU and Identity can become a microgrid MLP"
            )
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    for i in range(1, len(linears)):
        if linears[i].in_features != linears[i - 1].out_features:
            raise ValueError(
                f"from_torch: Linear {i} takes {linears[i].in_features} inputs but the layer "
                f"before it has {linears[i - 1].out_features} outputs"
            )
    hidden = set(acts[:-1])
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch: hidden layers use different activations {acts[:-1]}; "
            "a microgrid MLP has one hidden activation"
        )
    activation = hidden.pop() if hidden else acts[-1]
    mlp = MLP(
        linears[0].in_features,
        [lin.out_features for lin in linears],
        activation,
        acts[-1],
        seed=0,
    )
    W = [lin.weight.detach().double().tolist() for lin in linears]
    B = [
        lin.bias.detach().double().tolist() if lin.bias is not None else [0.0] * lin.out_features
        for lin in linears
    ]
    mlp.load_weights(W, B)
    return mlp


def _follows_activation(seq: nn.Sequential, index: int) -> bool:
    return index > 0 and type(seq[index - 1]) in _NAMES
