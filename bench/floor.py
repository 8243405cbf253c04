"""The floor: the W1 step written by hand as closed-form backprop on plain Python floats.

No graph, no nodes — only the multiply-adds the four equations need, per example:

    forward   z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j,   a^l_j = relu(z^l_j) (output: a = z)
    BP1       δ^L = ∂C/∂a^L ⊙ σ'(z^L)                (linear output: σ' = 1)
    BP2       δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ relu'(z^l)
    BP3       ∂C/∂b^l_j  += δ^l_j
    BP4       ∂C/∂w^l_jk += a^{l-1}_k δ^l_j

The loss is C = (1/N) Σ_n relu(1 − y_n s_n) + α Σ p², so ∂C/∂s_n = −y_n/N where the hinge is
active (1 − y_n s_n > 0) and 0 elsewhere (0 at the kink, as relu' is in every engine here).
Written the way a careful person writes plain Python (lists, zip, comprehensions), nothing
more: it is the cost of the arithmetic itself in the interpreter.
"""

from __future__ import annotations

from operator import mul

from .data import flatten


class Floor:
    def __init__(self, W: list, B: list, X: list, Y: list, alpha: float, lr: float) -> None:
        self.W = [[list(row) for row in Wl] for Wl in W]
        self.B = [list(Bl) for Bl in B]
        self.X, self.Y, self.alpha, self.lr = X, Y, alpha, lr

    def loss_and_grads(self) -> tuple[float, list, list]:
        W, B, L = self.W, self.B, len(self.W)
        gW = [[[0.0] * len(row) for row in Wl] for Wl in W]
        gB = [[0.0] * len(Bl) for Bl in B]
        inv_n = 1.0 / len(self.X)
        data_loss = 0.0
        for x, y in zip(self.X, self.Y, strict=True):
            # forward, keeping every a^l (a[0] is the input) and z^l
            a = [x]
            zs = []
            for i in range(L):
                z = [sum(map(mul, row, a[-1])) + b for row, b in zip(W[i], B[i], strict=True)]
                zs.append(z)
                a.append([v if v > 0.0 else 0.0 for v in z] if i < L - 1 else z)
            s = a[-1][0]
            margin = 1.0 - y * s
            if margin <= 0.0:
                continue  # hinge inactive: this example adds nothing to C or ∇C
            data_loss += margin
            delta = [-y * inv_n]  # BP1 with σ' = 1 (linear output)
            for i in range(L - 1, -1, -1):
                a_prev = a[i]
                gBi, gWi = gB[i], gW[i]
                for j, d in enumerate(delta):
                    gBi[j] += d  # BP3
                    row = gWi[j]
                    for k, ak in enumerate(a_prev):
                        row[k] += ak * d  # BP4
                if i:
                    # BP2: δ^l = (w^{l+1})ᵀ δ^{l+1} ⊙ relu'(z^l)
                    Wi, z = W[i], zs[i - 1]
                    delta = [
                        sum(Wi[j][k] * d for j, d in enumerate(delta)) if z[k] > 0.0 else 0.0
                        for k in range(len(a_prev))
                    ]
        # the L2 term α Σ p²: ∂/∂p = 2αp
        two_a = 2.0 * self.alpha
        reg = 0.0
        for Wl, Bl, gWl, gBl in zip(W, B, gW, gB, strict=True):
            for row, grow in zip(Wl, gWl, strict=True):
                for k, w in enumerate(row):
                    reg += w * w
                    grow[k] += two_a * w
            for j, b in enumerate(Bl):
                reg += b * b
                gBl[j] += two_a * b
        return data_loss * inv_n + self.alpha * reg, gW, gB

    def grads(self) -> tuple[float, list[float]]:
        loss, gW, gB = self.loss_and_grads()
        return loss, flatten(gW, gB)

    def step(self) -> float:
        loss, gW, gB = self.loss_and_grads()
        lr = self.lr
        for Wl, Bl, gWl, gBl in zip(self.W, self.B, gW, gB, strict=True):
            for row, grow in zip(Wl, gWl, strict=True):
                for k, g in enumerate(grow):
                    row[k] -= lr * g
            for j, g in enumerate(gBl):
                Bl[j] -= lr * g
        return loss
