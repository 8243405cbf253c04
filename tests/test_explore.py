"""explore(): the steps, layers and certificates it computes, and the page it writes.

The page itself is tested in a real browser in test_explore_browser.py; here, what Python
computes: every number is checked against the engine, the closed form (`microgrid.backprop`)
or central finite differences.
"""

from __future__ import annotations

import html
import json
import math
import re

import pytest

import microgrid as mg
from microgrid import MLP, Value, draw_dot
from microgrid.backprop import backprop
from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y, main
from microgrid.engine import reachable, topological
from microgrid.explorer import Explorer, explore
from microgrid.explorer.page import read_data
from microgrid.explorer.steps import math_html
from microgrid.gradient_check import numerical_grads
from microgrid.losses import quadratic


def demo_network():
    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, seed=DEMO_SEED)
    C = quadratic(mlp(DEMO_X), DEMO_Y)
    C.label = "C"
    return mlp, C


def num(x: float) -> str:  # as draw_dot prints a number
    return f"{x:.4g}".replace("-", "−")


def edge_steps(page) -> list[dict]:
    """The steps played edge by edge, as backward() walks the graph (the δ wave's own tests
    are in test_explore_wave.py)."""
    return page.data["modes"]["edges"]


def plain(h: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", h))


@pytest.fixture(scope="module")
def demo():
    mlp, C = demo_network()
    return mlp, C, explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y)


# ---------------------------------------------------------------------------- the user's graph
def test_explore_changes_no_grad_and_no_data():
    mlp, C = demo_network()
    nodes = topological(C)
    for i, v in enumerate(nodes):  # grads a notebook might be showing: must survive
        v.grad = 1000.0 + i
    before = [(v.data, v.grad) for v in nodes]
    explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y)
    assert [(v.data, v.grad) for v in nodes] == before


def test_explore_shows_one_pass_even_after_earlier_backward_calls(demo):
    mlp, C, page = demo
    mlp2, C2 = demo_network()
    C2.backward()
    C2.backward()  # leaves now hold twice the gradient
    again = explore(C2)
    assert [n["grad"] for n in again.data["nodes"]] == [n["grad"] for n in page.data["nodes"]]


# ---------------------------------------------------------------------------- forward steps
def test_forward_steps_visit_every_computed_value_in_topological_order(demo):
    _, C, page = demo
    drawn = [v for v in topological(C) if not isinstance(v, mg.Const)]
    forward = [s for s in edge_steps(page) if s["phase"] == "forward"]
    assert [s["node"] for s in forward] == [i for i, v in enumerate(drawn) if v.parents]
    assert edge_steps(page)[0]["phase"] == "start"
    assert page.data["firstBackward"] == 1 + len(forward)


def test_a_forward_step_shows_the_formula_with_its_numbers(demo):
    mlp, C, page = demo
    drawn = [v for v in topological(C) if not isinstance(v, mg.Const)]
    z = next(v for v in drawn if v.label == "z^2_1")
    step = next(s for s in edge_steps(page)
                if s["phase"] == "forward" and s["node"] == drawn.index(z))
    text = plain(step["html"])
    n = mlp.layers[0].neurons[0]
    symbolic = " + ".join(f"w21{k}·a1{k}" for k in (1, 2, 3)) + " + b21"
    assert text.startswith(f"z21 = {symbolic} = ")
    numbers = " + ".join(
        f"{num(w.data) if w.data >= 0 else '(' + num(w.data) + ')'}·"
        f"{num(a) if a >= 0 else '(' + num(a) + ')'}"
        for w, a in zip(n.w, DEMO_X)
    )
    assert f"= {numbers} + {num(n.b.data)} = {num(z.data)}" in text
    assert "docs/backprop.md §2" in step["note"]


# ---------------------------------------------------------------------------- backward steps
def test_backward_steps_accumulate_to_the_engines_gradients(demo):
    mlp, C, page = demo
    C.zero_grad()
    C.backward()
    drawn = [v for v in topological(C) if not isinstance(v, mg.Const)]
    final = {}
    for s in edge_steps(page)[page.data["firstBackward"]:]:
        if s["parent"] is not None:
            final[s["parent"]] = s["grad"]
    for i, v in enumerate(drawn):
        assert final.get(i, "0") == num(v.grad) == page.data["nodes"][i]["grad"], v.label
    C.zero_grad()


def test_every_backward_step_adds_local_times_grad_to_a_running_sum(demo):
    _, C, page = demo
    C.zero_grad()
    C.backward()
    drawn = [v for v in topological(C) if not isinstance(v, mg.Const)]
    running = [0.0] * len(drawn)
    for s in edge_steps(page)[page.data["firstBackward"] + 1:]:
        if s["parent"] is None:
            continue
        child, parent = drawn[s["node"]], drawn[s["parent"]]
        assert child.parents[s["edge"]] is parent
        contribution = child.local_grads[s["edge"]] * child.grad
        running[s["parent"]] += contribution
        assert s["grad"] == num(running[s["parent"]])
        text = plain(s["html"])
        assert f" = {num(contribution)}" in text and text.endswith(f" → {s['grad']}")
    assert [num(r) for r in running[:-1]] == [num(v.grad) for v in drawn[:-1]]
    C.zero_grad()


def test_the_backward_pass_starts_with_the_seed_and_visits_every_edge(demo):
    _, C, page = demo
    backward = edge_steps(page)[page.data["firstBackward"]:]
    assert plain(backward[0]["html"]) == "∂C/∂C = 1"
    drawn = {v for v in topological(C) if not isinstance(v, mg.Const)}
    edges = sum(1 for v in drawn for p in v.parents if p in drawn)
    assert len(backward) == 1 + edges


def test_mlp_steps_cite_bp1_to_bp4_in_the_derivations_terms(demo):
    _, _, page = demo
    notes = [plain(s.get("note", "")) for s in edge_steps(page)]
    for eq, section in (("BP1", "§5"), ("BP2", "§6"), ("BP3", "§7"), ("BP4", "§7")):
        cite = f"(docs/backprop.md {section})"
        assert any(n.startswith(eq + ":") and cite in n for n in notes), eq
    eqs = [plain(s.get("eq", "")) for s in edge_steps(page)]
    assert any(e.startswith("δ32 = ∂C/∂a32 · σ′(z32) = ") for e in eqs)  # BP1
    assert any(e.startswith("δ21 = σ′(z21) Σk w3k1 δ3k = ") for e in eqs)  # BP2
    assert any(e.startswith("∂C/∂b32 = δ32 = ") for e in eqs)  # BP3
    assert any(e.startswith("∂C/∂w324 = a24 · δ32 = ") for e in eqs)  # BP4


def test_a_bp4_step_has_the_engines_numbers(demo):
    mlp, C, page = demo
    mlp.zero_grad()
    t = mlp.trace(DEMO_X)
    C2 = quadratic(t.a[-1], DEMO_Y)
    C2.backward()
    w = mlp.layers[1].neurons[1].w[3]  # w^3_24
    a, delta = t.a[0][3].data, t.z[1][1].grad
    step = next(s for s in edge_steps(page) if plain(s.get("eq", "")).startswith("∂C/∂w324 ="))
    assert plain(step["eq"]) == (
        f"∂C/∂w324 = a24 · δ32 = {num(a)} × {num(delta) if delta >= 0 else f'({num(delta)})'}"
        f" = {num(w.grad)}"
    )
    mlp.zero_grad()


def test_a_generic_graph_gets_generic_chain_rule_steps():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    e = (c + 5).tanh()
    e.label = "e"
    page = explore(e)
    texts = [plain(s["html"]) for s in edge_steps(page)]
    assert "c = a·b = 2·(−3) = −6" in texts
    assert "∂e/∂e = 1" in texts
    assert not any(s.get("eq") for s in edge_steps(page))
    assert page.data["layers"] == []
    e.backward()
    step = next(s for k, s in enumerate(edge_steps(page))
                if s["phase"] == "backward" and texts[k].startswith("∂e/∂a"))
    assert step["grad"] == num(a.grad)


def test_a_zero_gradient_node_passes_nothing_on():
    x = Value(-1.0, "x")
    r = x.relu()  # 0, with local gradient 0: r2 passes it nothing, so r's gradient is 0
    r.label = "r"
    out = r.relu() * 3.0
    out.label = "out"
    page = explore(out)
    assert any("nothing flows back" in s["html"] for s in edge_steps(page))
    assert page.data["nodes"][0]["grad"] == "0"


def test_unnamed_values_get_the_names_they_are_drawn_with_and_a_lone_leaf_works():
    x = Value(2.0)
    y = x * x + x
    page = explore(y)
    texts = [plain(s["html"]) for s in page.steps]
    assert texts[1:3] == ["u1 = x1·x1 = 2·2 = 4", "C = u1 + x1 = 4 + 2 = 6"]
    assert texts[-1] == "∂C/∂x1 += ∂u1/∂x1 × ∂C/∂u1 = 2 × 1 = 2; 3 + 2 → 5"
    svg = plain(page.html[page.html.index("<svg"):page.html.index("</svg>")])
    assert "u\n1" in svg and "x\n1" in svg  # the drawing shows the names the steps use
    assert x.label == "" and y.label == ""  # and the user's values keep theirs


def test_a_local_derivative_never_reads_like_a_gradient():
    u = Value(3.0, "u")
    C = u * 0.5  # at the root, ∂C/∂u would be both the local derivative and the gradient
    C.label = "C"
    texts = [plain(s["html"]) for s in explore(C).steps]
    assert texts[-1] == "∂C/∂u += ∂(u·0.5)/∂u × ∂C/∂C = 0.5 × 1 = 0.5 → 0.5"
    lone = explore(Value(3.0, "x"))
    assert [plain(s["html"]) for s in lone.steps][1] == "∂x/∂x = 1"


# ---------------------------------------------------------------------------- layers, certificates
def test_the_layer_view_holds_every_delta(demo):
    mlp, _, page = demo
    r = backprop(mlp.weights(), mlp.biases(), DEMO_X, DEMO_Y)
    layers = page.data["layers"]
    assert [layer["layer"] for layer in layers] == [2, 3]
    for i, layer in enumerate(layers):
        assert [d["value"] for d in layer["deltas"]] == pytest.approx(r.delta[i], abs=1e-15)


def test_a_layer_of_more_than_nine_neurons_reads_its_two_digit_indices():
    mlp = MLP(2, [12, 1], seed=0)
    C = quadratic(mlp([0.5, -1.0]), [1.0])
    page = explore(C, mlp=mlp, x=[0.5, -1.0], y=[1.0])
    assert [plain(d["name"]) for d in page.data["layers"][0]["deltas"]][-3:] == [
        "δ210", "δ211", "δ212"]
    eqs = [plain(s.get("eq", "")) for s in edge_steps(page)]
    assert any(e.startswith("δ212 = σ′(z212) Σk w3k,12 δ3k = ") for e in eqs)


def test_a_deep_sigmoid_nets_vanishing_gradient_shows_in_the_bars():
    mlp = MLP(1, [1] * 8, seed=1)
    C = quadratic(mlp([1.0]), [0.0])
    layers = explore(C).data["layers"]
    widths = [layer["deltas"][0]["width"] for layer in layers]
    assert widths == sorted(widths) and widths[0] < widths[-1] / 2, widths


def test_every_weight_certificate_agrees_three_ways(demo):
    mlp, C, page = demo
    drawn = [v for v in topological(C) if not isinstance(v, mg.Const)]
    r = backprop(mlp.weights(), mlp.biases(), DEMO_X, DEMO_Y)
    for i, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                rows = page.data["certificates"][str(drawn.index(w))]["rows"]
                assert [row["what"] for row in rows] == [
                    "engine (backward)", "closed form (BP4)", "finite differences"]
                engine, closed, fd = (row["value"] for row in rows)
                assert closed == r.grad_w[i][j][k]
                assert engine == pytest.approx(closed, abs=1e-12)
                assert fd == pytest.approx(closed, abs=1e-8)


def test_cross_entropy_certificates_use_that_cost_and_biases_use_bp3():
    from microgrid.losses import binary_cross_entropy

    mlp = MLP(2, [3, 1], seed=1)
    x, y = [0.5, -1.0], [1.0]
    C = binary_cross_entropy(mlp(x), y)
    page = explore(C, mlp=mlp, x=x, y=y, cost="cross_entropy")
    r = backprop(mlp.weights(), mlp.biases(), x, y, cost="cross_entropy")
    drawn = [v for v in topological(C) if not isinstance(v, mg.Const)]
    b = mlp.layers[0].neurons[2].b
    rows = page.data["certificates"][str(drawn.index(b))]["rows"]
    assert [row["what"] for row in rows] == [
        "engine (backward)", "closed form (BP3)", "finite differences"]
    assert rows[1]["value"] == r.grad_b[0][2]
    assert rows[0]["value"] == pytest.approx(r.grad_b[0][2], abs=1e-12)
    assert rows[2]["value"] == pytest.approx(r.grad_b[0][2], abs=1e-8)


def test_finite_differences_replay_the_graph_like_gradcheck():
    x, y = Value(0.7, "x"), Value(1.3, "y")

    def f(x, y):
        return ((x * y).exp() / (x ** 2 + y.sqrt()) - (-x).sigmoid() + x.softplus().log()
                + mg.sum([x, y, 2.0]) + abs(y - 3) + (x ** y) - mg.dot([x], [y], 1.0).relu())

    out = f(x, y)
    page = explore(out)
    certs = page.data["certificates"]
    assert sorted(certs) == ["0", "1"]
    expected = numerical_grads(f, [x, y])
    for key, e in zip(("0", "1"), expected):
        assert certs[key]["rows"][2]["value"] == pytest.approx(e, rel=1e-6)
        assert certs[key]["rows"][0]["value"] == pytest.approx(e, rel=1e-6)


def test_an_operation_that_cannot_be_replayed_is_said_so():
    x = Value(0.5, "x")
    out = x * 2.0
    out.op = "mystery"
    row = explore(out).data["certificates"]["0"]["rows"][2]
    assert row["value"] is None and "'mystery' cannot be replayed" in row["formula"]


# ---------------------------------------------------------------------------- bad input
def test_a_graph_over_max_nodes_gets_draw_dots_error_in_explores_words():
    mlp, C = demo_network()
    with pytest.raises(ValueError) as drawn:
        draw_dot(C, max_nodes=10)
    with pytest.raises(ValueError) as explored:
        explore(C, max_nodes=10)
    assert str(explored.value) == str(drawn.value).replace("draw_dot", "explore")
    assert "47 values, more than max_nodes=10" in str(explored.value)


def test_a_big_graph_is_refused_and_left_as_it_was():
    x = Value(0.5, "x")
    y = x
    for _ in range(2100):
        y = y * 1.001
    y.backward()
    before = x.grad
    with pytest.raises(ValueError, match="more than max_nodes=2000"):
        explore(y)
    assert x.grad == before


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="root must be a microgrid Value, got float"):
        explore(1.0)
    mlp, C = demo_network()
    with pytest.raises(ValueError, match="mlp=, x= and y= together"):
        explore(C, mlp=mlp)
    with pytest.raises(ValueError, match="cost must be 'quadratic' or 'cross_entropy'"):
        explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y, cost="hinge")
    with pytest.raises(ValueError, match="closed form's cost C = .* is not the root's value"):
        explore(C, mlp=mlp, x=DEMO_X, y=[0.0, 1.0])


def test_a_failed_explore_leaves_grads_alone():
    mlp, C = demo_network()
    nodes = reachable(C)
    for v in nodes:
        v.grad = 7.0
    with pytest.raises(ValueError):
        explore(C, max_nodes=3)
    assert all(v.grad == 7.0 for v in nodes)


# ---------------------------------------------------------------------------- the page
def test_the_page_is_self_contained(demo):
    _, _, page = demo
    text = page.html
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    assert "url(" not in text
    # the only URLs are XML namespace names, which no browser fetches
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


def test_the_svg_is_draw_dots_with_every_value_matched(demo):
    _, C, page = demo
    for i in range(len(page.data["nodes"])):
        assert f'data-node="{i}"' in page.html
    n_values = len(page.data["nodes"])
    assert page.html.count('class="mg-grad"') == n_values
    assert page.html.count('class="mg-data"') == n_values


def test_the_pages_embedded_data_is_the_explorers_data(demo):
    _, _, page = demo
    assert read_data(page.html) == json.loads(json.dumps(page.data))


def test_no_gradient_of_the_pass_can_be_read_from_the_pages_text(demo):
    _, C, page = demo
    text = re.sub(r"<[^>]*>", " ", page.html)  # its text, and its attributes below
    attributes = " ".join(re.findall(r'="([^"]*)"', page.html))
    datas = {n["data"] for n in page.data["nodes"]}
    grads = {n["grad"] for n in page.data["nodes"]} - datas - {"0", "1"}
    assert grads and [g for g in grads if g in text or g in attributes] == []


def test_labels_are_escaped_everywhere():
    x = Value(1.0, "</script><b>x</b>")
    out = x * x
    out.label = 'y"&'
    page = explore(out)
    assert "</script><b>" not in page.html
    assert page.html.count("</script>") == 2


def test_save_writes_one_file_and_repr_html_is_an_iframe(tmp_path, demo):
    _, _, page = demo
    path = page.save(tmp_path / "pass.html")
    assert path.read_text(encoding="utf-8") == page.html
    frame = page._repr_html_()
    assert frame.startswith("<iframe") and 'srcdoc="' in frame
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == page.html
    assert isinstance(page, Explorer) and "steps" in repr(page)


def test_microgrid_explore_is_the_function_even_after_importing_the_package():
    import microgrid.explorer  # noqa: F401 - the package is named apart from its function

    assert mg.explore is explore and mg.Explorer is Explorer


def test_math_html_sets_scripts_and_escapes():
    assert math_html("w^2_{13}") == (
        '<i>w</i><span class="ss"><sup>2</sup><sub>13</sub></span>')
    assert math_html("x_1") == "<i>x</i><sub>1</sub>"
    assert math_html("a<b") == "<i>a</i>&lt;<i>b</i>"


# ---------------------------------------------------------------------------- command line
def test_cli_explore_writes_the_demo_page_and_prints_its_path(tmp_path, capsys):
    out = tmp_path / "demo.html"
    assert main(["explore", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = json.dumps(read_data(out.read_text(encoding="utf-8")), ensure_ascii=False)
    assert "closed form (BP4)" in data and "BP1" in data


def test_cli_explore_reports_an_unwritable_path(tmp_path, capsys):
    assert main(["explore", "--out", str(tmp_path / "no" / "such" / "x.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_quadratic_cost_checks_math():
    mlp, C = demo_network()
    r = backprop(mlp.weights(), mlp.biases(), DEMO_X, DEMO_Y)
    assert math.isclose(C.data, r.cost, rel_tol=1e-12)


def test_predict_must_be_a_bool(demo):
    _, C, _ = demo
    with pytest.raises(TypeError, match="predict"):
        explore(C, predict="yes")
