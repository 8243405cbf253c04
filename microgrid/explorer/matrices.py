"""The layer view's numbers: BP1–BP4 of each layer in matrix form (docs/backprop.md §5–§7).

For layer l of an MLP the page draws, from these cells,

* BP1 (l = L): ∇_a C ⊙ σ′(z^L) = δ^L;
* BP2 (l < L): (W^{l+1})ᵀ δ^{l+1}, ⊙ σ′(z^l), = δ^l;
* BP3: ∂C/∂b^l = δ^l;  BP4: ∂C/∂W^l = δ^l (a^{l−1})ᵀ, an outer product.

Each cell carries its name and number in the derivation's notation (``title``:
``∂C/∂w^3_{14,2} = 0.4507``), the node whose step computes it (a click opens that step) and,
per mode of play, the step from which the page may show it: a cell is blank before.
"""

from __future__ import annotations

from ..engine import Value
from ..notation import index, sup
from .steps import Recorder
from .wave import Network

Cell = dict


def _number(x: float) -> str:
    return f"{x:.4g}"


def layer_cells(r: Recorder, net: Network, done: dict[str, dict[int, int]],
                computed_at: dict[int, int]) -> dict:
    """Every layer's cells: ``{"L": L, "sizes": {l: n_l}, "layers": {l: {...}}}``, each layer
    with its vectors ``delta``, ``da`` (∂C/∂a^l), ``sp`` (σ′(z^l)), ``b`` (∂C/∂b^l), ``aprev``
    (a^{l−1}) and matrices ``W`` (w^l_jk, the weights themselves) and ``gW`` (∂C/∂w^l_jk)."""

    def cell(v: Value | None, name: str, x: float, at: dict[str, int], node: int | None
             ) -> Cell:
        return {"t": f"{name} = {_number(x)}", "v": x, "at": at,
                "node": node if node is not None else (r.index.get(v) if v is not None
                                                       else None)}

    def when(v: Value) -> dict[str, int]:  # the step after which v's gradient is shown
        i = r.index.get(v)
        return {mode: at.get(i, 10**9) if i is not None else 10**9 for mode, at in done.items()}

    def known(v: Value) -> dict[str, int]:  # a value: shown from its forward step on
        at = computed_at.get(r.index[v], 0) if v in r.index else 0
        return {mode: at for mode in done}

    g = r.grad
    sizes = {1: len(net.inputs), **{l: len(ns) for l, ns in net.layers.items()}}
    out: dict[int, dict] = {}
    for l, neurons in net.layers.items():
        layer: dict[str, list] = {k: [] for k in ("delta", "da", "sp", "b", "aprev", "W", "gW")}
        below = net.inputs if l == 2 else [a for _, a in net.layers[l - 1]]
        for k, x in enumerate(below, 1):
            layer["aprev"].append(cell(x, f"a^{sup(l - 1)}_{index(k)}", x.data, known(x), None))
        for j, (z, a) in enumerate(neurons, 1):
            ws, _, b = net.weights(z)
            slope = 1.0 if a is z else a.local_grads[0]
            layer["delta"].append(cell(z, f"δ^{sup(l)}_{index(j)}", g[z], when(z), None))
            layer["da"].append(cell(a, f"∂C/∂a^{sup(l)}_{index(j)}", g[a], when(a), None))
            layer["sp"].append(cell(None, f"σ'(z^{sup(l)}_{index(j)})", slope, when(z),
                                    r.index[z]))
            layer["b"].append(cell(b, f"∂C/∂b^{sup(l)}_{index(j)}", g[b], when(b), None))
            layer["W"].append([cell(w, f"w^{sup(l)}_{index(j, k)}", w.data,
                                    {mode: 0 for mode in done}, None)
                               for k, w in enumerate(ws, 1)])
            layer["gW"].append([cell(w, f"∂C/∂w^{sup(l)}_{index(j, k)}", g[w], when(w), None)
                                for k, w in enumerate(ws, 1)])
        out[l] = layer
    return {"L": net.L, "sizes": sizes, "layers": out}
