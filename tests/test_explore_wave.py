"""The δ wave: an MLP's backward pass in the derivation's order (BP1, BP3/BP4, then BP2 for
the layer below, …, docs/backprop.md §5–§7), as explore() records it.  Its order in the
browser is tested in test_explore_browser.py; here, what Python computes."""

from __future__ import annotations

import html
import re

import pytest

from microgrid import MLP, Value
from microgrid.explorer import explore
from microgrid.losses import quadratic


def plain(h: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", h))


def num(x: float) -> str:
    return f"{x:.4g}".replace("-", "−")


def network(sizes, seed=2, **kw):
    nin, *nouts = sizes
    mlp = MLP(nin, nouts, seed=seed, **kw)
    x = [0.3 * (k + 1) * (-1) ** k for k in range(nin)]
    C = quadratic(mlp(x), [1.0] * nouts[-1])
    C.label = "C"
    return mlp, x, C


def final(steps) -> dict[int, str]:
    shown = {}
    for s in steps:
        for i, text in s["sets"]:
            shown[i] = text
    return shown


@pytest.mark.parametrize("sizes", [(2, 3, 1), (3, 4, 2), (2, 3, 2, 1)],
                         ids=lambda s: "-".join(map(str, s)))
def test_the_wave_and_edge_by_edge_end_at_the_same_numbers(sizes):
    _, _, C = network(sizes)
    page = explore(C)
    assert page.data["mode"] == "wave"
    wave, edges = final(page.data["modes"]["wave"]), final(page.data["modes"]["edges"])
    assert {i: t for i, t in wave.items() if i in edges} == edges
    assert all(wave[i] == page.data["nodes"][i]["grad"] for i in wave)


def test_each_bp2_step_sums_over_every_neuron_of_the_layer_above():
    mlp, _, C = network((2, 3, 2, 1))
    page = explore(C)
    labels = [n["label"] for n in page.data["nodes"]]
    for step in (s for s in page.steps if s.get("kind") == "BP2"):
        l = step["layer"]
        zs = [labels[z] for _, z in step["terms"]]
        assert zs == [f"z^{l + 1}_{k}" for k in range(1, len(mlp.layers[l - 1].neurons) + 1)]


def test_a_bp2_steps_sum_of_terms_is_the_engines_gradient():
    mlp, x, C = network((2, 3, 2, 1))
    t = mlp.trace(x)
    C2 = quadratic(t.a[-1], [1.0])
    C2.backward()
    page = explore(C)
    step = next(s for s in page.steps if s.get("kind") == "BP2" and s["layer"] == 3)
    j = 1 if "a31" in plain(step["html"]).split("=")[0] else 2
    a, z = t.a[1][j - 1], t.z[1][j - 1]
    total = sum(n.w[j - 1].data * zk.grad for n, zk in zip(mlp.layers[2].neurons, t.z[2]))
    assert total == pytest.approx(a.grad)
    assert plain(step["html"]).endswith(f"= {num(z.grad)}")
    assert f"= {num(a.grad)}δ" in plain(step["html"])  # the sum's value, then δ on the next line


def test_a_linear_output_layers_delta_is_the_cost_gradient_itself():
    _, _, C = network((2, 3, 1), output_activation="linear")
    page = explore(C)
    bp1 = next(s for s in page.steps if s.get("kind") == "BP1")
    assert plain(bp1["html"]).startswith("δ31 = ∂C/∂z31 = ")
    assert "σ′ = 1" in bp1["note"]


def test_a_hidden_activation_used_elsewhere_keeps_the_edge_by_edge_order():
    mlp = MLP(2, [2, 1], seed=0)
    t = mlp.trace([0.5, -0.5])
    C = quadratic(t.a[-1], [1.0]) + t.a[0][0] * 0.1  # a²₁ feeds the cost too: not BP2's sum
    C.label = "C"
    page = explore(C)
    assert page.data["mode"] == "edges" and "wave" not in page.data["modes"]


def test_a_graph_that_is_no_network_plays_edge_by_edge_only():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    e = (a * b).tanh()
    e.label = "e"
    page = explore(e)
    assert list(page.data["modes"]) == ["edges"] and 'id="mode"' not in page.html
    assert 'id="view"' not in page.html  # no network to show either


def test_a_certificate_waits_for_the_step_that_gives_its_gradient():
    mlp, _, C = network((2, 3, 1))
    page = explore(C)
    labels = [n["label"] for n in page.data["nodes"]]
    for mode, steps in page.data["modes"].items():
        for i, cert in page.data["certificates"].items():
            at = cert["steps"][mode]
            assert at >= page.data["firstBackward"], labels[int(i)]
            assert [int(i), page.data["nodes"][int(i)]["grad"]] in steps[at]["sets"] or \
                page.data["nodes"][int(i)]["grad"] == "0", (mode, labels[int(i)])


def test_every_wave_step_has_a_title_without_its_numbers():
    _, _, C = network((3, 4, 2))
    page = explore(C)
    for step in page.steps:
        if step["phase"] != "backward" or step.get("kind") == "seed":
            continue
        for _, text in step["sets"]:
            if text not in ("0", "1"):
                assert text not in plain(step["title"]), step["title"]
