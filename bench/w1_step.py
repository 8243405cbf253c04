"""W1, the demo step: one SGD step of a 2-16-16-1 MLP (ReLU hidden, linear output) on 100
two-moons points with the hinge loss  C = mean(relu(1 − y·s)) + α Σ p²  (α = 1e-4).

Every engine is a small class with ``grads()`` (zero grads, forward, backward: the loss and the
flat gradient, no update — used for the equality check) and ``step()`` (zero grads, forward,
backward, SGD: what is timed).  All start from the same weights (`data.initial_weights`) and
see the same points, and the scalar engines build the same expression a user would write:

    loss = sum((1 - y * model(x)).relu() for x, y in data) * (1/N) + α * sum(p * p for p in params)
"""

from __future__ import annotations

import random

from . import before
from .data import SIZES, flatten, initial_weights, two_moons
from .floor import Floor

ALPHA = 1e-4
# The SGD update runs in every timed step, with learning rate 0: each engine then times the
# same step from the same weights, round after round.  With a real learning rate an engine
# that runs more steps per round (the fast ones do) would train further, and a trained model
# has other active hinge terms and dead ReLUs, i.e. different work.  `run` checks after timing
# that every engine still has the floor's loss and gradients.
LR = 0.0


class _ValueEngine:
    """What microgrid and micrograd share: Values with ``.data``/``.grad``; ``_loss()`` builds
    the graph and runs backward."""

    def grads(self):
        loss = self._loss()
        return loss.data, [float(p.grad) for p in self.params]

    def step(self):
        loss = self._loss()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.data


class Microgrid(_ValueEngine):
    name = "microgrid"

    def __init__(self, W, B, X, Y):
        self.mg = mg = self.package()
        self.model = mg.MLP(SIZES[0], list(SIZES[1:]), activation="relu",
                            output_activation="linear")
        self.model.load_weights(W, B)
        self.params = self.model.parameters()
        self.X, self.Y = X, Y

    @staticmethod
    def package():
        import microgrid

        return microgrid

    def build(self):
        """The loss graph, as a user writes it (no backward)."""
        mg, model = self.mg, self.model
        losses = [(1 - y * model(x)).relu() for x, y in zip(self.X, self.Y, strict=True)]
        data_loss = mg.sum(losses) * (1.0 / len(losses))
        reg = ALPHA * mg.sum([p * p for p in self.params])
        return data_loss + reg

    def build_python_sum(self):
        """The same loss written as micrograd's users write it, with Python's own ``sum``: a
        left-fold chain of + instead of one Σ node (`microgrid.compiler.view`)."""
        model = self.model
        losses = [(1 - y * model(x)).relu() for x, y in zip(self.X, self.Y, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = ALPHA * sum(p * p for p in self.params)
        return data_loss + reg

    def _loss(self):
        self.model.zero_grad()
        loss = self.build()
        loss.backward()
        return loss


class MicrogridCompiled(Microgrid):
    """microgrid's graph of the same loss, built once and compiled (`microgrid.compile`):
    each step is zero grads, the compiled forward + backward, SGD."""

    name = "microgrid compiled"

    def __init__(self, W, B, X, Y):
        super().__init__(W, B, X, Y)
        import time

        loss = self.build()
        # CPU time of this process (the machine is shared: wall time also counts the waits
        # for a core), and wall time for context.
        t0, c0 = time.perf_counter(), time.process_time()
        self.compiled = self.mg.compile(loss)
        self.compile_seconds = time.process_time() - c0
        self.compile_wall_seconds = time.perf_counter() - t0

    def grads(self):
        for p in self.params:
            p.grad = 0.0
        loss = self.compiled()
        return loss, [p.grad for p in self.params]

    def step(self):
        params = self.params
        for p in params:
            p.grad = 0.0
        loss = self.compiled()
        for p in params:
            p.data -= LR * p.grad
        return loss


class MicrogridBefore(Microgrid):
    """The same microgrid code run by the package as it was before issue 20 (`bench.before`):
    the before of the op table's before/after."""

    name = f"microgrid before the op table ({before.COMMIT})"
    package = staticmethod(before.load)


class Micrograd(_ValueEngine):
    """Karpathy's micrograd 0.1.0 (its MLP: relu on all layers but the last)."""

    name = "micrograd"

    def __init__(self, W, B, X, Y):
        from micrograd.nn import MLP

        random.seed(0)  # its init draws from the global RNG; we overwrite the weights anyway
        self.model = MLP(SIZES[0], list(SIZES[1:]))
        self.params = self.model.parameters()
        for p, v in zip(self.params, flatten(W, B), strict=True):
            p.data = v
        self.X, self.Y = X, Y

    def _loss(self):
        model = self.model
        model.zero_grad()
        losses = [(1 + -y * model(x)).relu() for x, y in zip(self.X, self.Y, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = ALPHA * sum(p * p for p in self.params)
        loss = data_loss + reg
        loss.backward()
        return loss


class _TorchEngine:
    """What both PyTorch engines share: ``_loss()`` leaves gradients on ``self.params``."""

    def step(self):
        loss = self._loss()
        with self.torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
        return loss.item()


class TorchScalars(_TorchEngine):
    """PyTorch with one 0-dim float64 tensor per scalar: micrograd's graph, op for op."""

    name = "PyTorch scalars"

    def __init__(self, W, B, X, Y):
        import torch

        self.torch = torch
        self.layers = [
            [
                (
                    [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in row],
                    torch.tensor(b, dtype=torch.float64, requires_grad=True),
                )
                for row, b in zip(Wl, Bl, strict=True)
            ]
            for Wl, Bl in zip(W, B, strict=True)
        ]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]
        self.X, self.Y = X, Y

    def _model(self, x):
        relu = self.torch.relu
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = [sum((w * xi for w, xi in zip(ws, x, strict=True)), b) for ws, b in layer]
            x = out if i == last else [relu(z) for z in out]
        return x[0]

    def _loss(self):
        for p in self.params:
            p.grad = None
        losses = [(1 - y * self._model(x)).relu() for x, y in zip(self.X, self.Y, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = ALPHA * sum(p * p for p in self.params)
        loss = data_loss + reg
        loss.backward()
        return loss

    def grads(self):
        loss = self._loss()
        return loss.item(), [p.grad.item() for p in self.params]


class FloorEngine:
    name = "hand-written floor"

    def __init__(self, W, B, X, Y):
        self.floor = Floor(W, B, X, Y, ALPHA, LR)

    def grads(self):
        return self.floor.grads()

    def step(self):
        return self.floor.step()


class TorchBatched(_TorchEngine):
    """Context: the same step on matrices (PyTorch autograd, float64)."""

    name = "PyTorch batched"

    def __init__(self, W, B, X, Y):
        import torch

        self.torch = torch
        f64 = torch.float64
        self.Ws = [torch.tensor(Wl, dtype=f64, requires_grad=True) for Wl in W]
        self.Bs = [torch.tensor(Bl, dtype=f64, requires_grad=True) for Bl in B]
        self.params = [p for Wl, Bl in zip(self.Ws, self.Bs, strict=True) for p in (Wl, Bl)]
        self.X = torch.tensor(X, dtype=f64)
        self.Y = torch.tensor(Y, dtype=f64)

    def _loss(self):
        torch = self.torch
        for p in self.params:
            p.grad = None
        a = self.X
        for i, (Wl, Bl) in enumerate(zip(self.Ws, self.Bs, strict=True)):
            a = a @ Wl.T + Bl
            if i < len(self.Ws) - 1:
                a = torch.relu(a)
        s = a[:, 0]
        loss = torch.relu(1 - self.Y * s).mean() + ALPHA * sum((p * p).sum() for p in self.params)
        loss.backward()
        return loss

    def grads(self):
        loss = self._loss()
        flat = []
        for Wl, Bl in zip(self.Ws, self.Bs, strict=True):
            for row, b in zip(Wl.grad.tolist(), Bl.grad.tolist(), strict=True):
                flat += [*row, b]
        return loss.item(), flat


class NumpyBatched:
    """Context: BP1–BP4 in matrix form with numpy (rows = examples)."""

    name = "numpy batched"

    def __init__(self, W, B, X, Y):
        import numpy as np

        self.np = np
        self.Ws = [np.array(Wl, dtype=np.float64) for Wl in W]
        self.Bs = [np.array(Bl, dtype=np.float64) for Bl in B]
        self.X = np.array(X, dtype=np.float64)
        self.Y = np.array(Y, dtype=np.float64)

    def _loss_grads(self):
        np = self.np
        a = [self.X]
        zs = []
        L = len(self.Ws)
        for i, (Wl, Bl) in enumerate(zip(self.Ws, self.Bs, strict=True)):
            z = a[-1] @ Wl.T + Bl
            zs.append(z)
            a.append(np.maximum(z, 0.0) if i < L - 1 else z)
        margin = 1.0 - self.Y * a[-1][:, 0]
        n = len(self.Y)
        reg = sum(float((p * p).sum()) for p in (*self.Ws, *self.Bs))
        loss = float(np.maximum(margin, 0.0).sum()) / n + ALPHA * reg
        delta = np.where(margin > 0.0, -self.Y / n, 0.0)[:, None]  # BP1
        gW, gB = [None] * L, [None] * L
        for i in range(L - 1, -1, -1):
            gB[i] = delta.sum(axis=0) + 2 * ALPHA * self.Bs[i]  # BP3
            gW[i] = delta.T @ a[i] + 2 * ALPHA * self.Ws[i]  # BP4
            if i:
                delta = (delta @ self.Ws[i]) * (zs[i - 1] > 0.0)  # BP2
        return loss, gW, gB

    def grads(self):
        loss, gW, gB = self._loss_grads()
        flat = []
        for Wl, Bl in zip(gW, gB, strict=True):
            for row, b in zip(Wl.tolist(), Bl.tolist(), strict=True):
                flat += [*row, b]
        return loss, flat

    def step(self):
        loss, gW, gB = self._loss_grads()
        for p, g in zip((*self.Ws, *self.Bs), (*gW, *gB), strict=True):
            p -= LR * g
        return loss


SCALAR_ENGINES = (
    Microgrid, MicrogridCompiled, MicrogridBefore, Micrograd, TorchScalars, FloorEngine,
)
CONTEXT_ENGINES = (TorchBatched, NumpyBatched)


def build(n_points: int = 100) -> dict[str, object]:
    """Every engine that can be imported, each with its own copy of the same weights and data."""
    X, Y = two_moons(n_points)
    W, B = initial_weights()
    engines = {}
    for cls in (*SCALAR_ENGINES, *CONTEXT_ENGINES):
        try:
            engines[cls.name] = cls(W, B, X, Y)
        except ImportError as e:
            print(f"W1: skipping {cls.name}: {e}")
    return engines


def check_equal(engines: dict[str, object], tol: float = 1e-9) -> float:
    """Every engine's loss and gradient against the floor's, before anything is timed.

    Returns the largest difference seen; raises AssertionError naming the engine and the
    parameter if any differs by more than ``tol`` (relative to max(1, |value|))."""
    ref_loss, ref = engines["hand-written floor"].grads()
    worst = 0.0
    for name, eng in engines.items():
        loss, g = eng.grads()
        if len(g) != len(ref):
            raise AssertionError(f"W1 check: {name} has {len(g)} gradients, floor {len(ref)}")
        pairs = [("loss", loss, ref_loss)]
        pairs += [(f"param {i}", a, b) for i, (a, b) in enumerate(zip(g, ref, strict=True))]
        for what, a, b in pairs:
            err = abs(a - b) / max(1.0, abs(b))
            worst = max(worst, err)
            if not err <= tol:
                raise AssertionError(f"W1 check: {name} {what} = {a!r}, floor says {b!r}")
    return worst
