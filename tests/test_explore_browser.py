"""The explorer's page in a real browser: Debian's Chromium driven by Playwright.

Each test saves a page, opens it from file://, presses keys or clicks, and reads the DOM: the
numbers shown must be the engine's (and draw_dot's), the certificate's three numbers must agree,
no request may leave the page and nothing may be logged as an error.

Without a `chromium` on PATH these tests are skipped with an install hint, except under CI
(the CI environment variable set), where a missing browser is a failure: CI skips none of them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from pages import Opened, checked_at_the_end

from microgrid import MLP, Const, draw_dot
from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y
from microgrid.engine import topological
from microgrid.explorer import explore
from microgrid.losses import quadratic

SVG = "{http://www.w3.org/2000/svg}"


def num(x: float) -> str:  # a number as draw_dot prints it
    return f"{x:.4g}".replace("-", "−")


@pytest.fixture
def open_page(browser, tmp_path):
    with checked_at_the_end() as opened:
        def open_(page_or_html, name: str = "explorer.html") -> Opened:
            path = tmp_path / name
            if isinstance(page_or_html, str):
                path.write_text(page_or_html, encoding="utf-8")
            else:
                page_or_html.save(path)
            opened.append(Opened(browser, path))
            return opened[-1]

        yield open_


def demo():
    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, seed=DEMO_SEED)
    t = mlp.trace(DEMO_X)
    C = quadratic(t.a[-1], DEMO_Y)
    C.label = "C"
    return mlp, t, C


@pytest.fixture(scope="module")
def demo_page():
    mlp, t, C = demo()
    return mlp, t, C, explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y)


def counter(page) -> str:
    return page.inner_text("#counter")


def node_texts(page) -> dict[int, tuple[str, str, bool]]:
    """For each value in the graph: (its data text, its grad text, grad visible)."""
    rows = page.eval_on_selector_all(
        "#graph g.mg-value",
        """gs => gs.map(g => [+g.dataset.node, g.querySelector('text.mg-data').textContent,
              g.querySelector('text.mg-grad').textContent,
              getComputedStyle(g.querySelector('text.mg-grad')).visibility === 'visible'])""",
    )
    return {i: (d, g, visible) for i, d, g, visible in rows}


def drawn(C):
    return [v for v in topological(C) if not isinstance(v, Const)]


def edge_steps(explorer) -> list[dict]:
    return explorer.data["modes"]["edges"]


def edge_by_edge(opened):
    """The page switched to its second mode, the chain rule edge by edge."""
    opened.page.click("#mode")
    assert opened.page.get_attribute("body", "data-mode") == "edges"
    return opened.page


def go_to(page, step: int) -> None:
    page.click(f"#steps li[data-step='{step}']")
    assert counter(page).startswith(f"{step} / ")


# ---------------------------------------------------------------------------- the last step
def test_at_the_end_every_node_shows_its_data_and_grad_as_draw_dot_prints_them(
        open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = open_page(explorer).page
    page.keyboard.press("End")
    shown = node_texts(page)

    C.backward()  # the engine's own pass, and draw_dot's own drawing of it
    svg = ET.fromstring(draw_dot(C).pipe(format="svg").decode("utf-8"))
    printed = {}
    for g in svg.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if g.get("class") == "node" and not title.text.endswith("_op"):
            printed[int(title.text[1:])] = [t.text for t in g.iter(f"{SVG}text")]
    values = drawn(C)
    assert sorted(shown) == list(range(len(values)))
    for i, v in enumerate(values):
        data, grad, visible = shown[i]
        assert data == num(v.data), v.label
        assert grad.endswith(f"= {num(v.grad)}") and visible, v.label
        assert data in printed[i] and grad in printed[i], (v.label, printed[i])
    mlp.zero_grad()


# ---------------------------------------------------------------------------- keys and buttons
def test_keys_step_one_at_a_time_and_jump_to_the_ends(open_page, demo_page):
    *_, explorer = demo_page
    page = open_page(explorer).page
    last = len(explorer.steps) - 1
    assert counter(page) == f"0 / {last}"
    page.keyboard.press("ArrowLeft")  # nothing before the first step
    assert counter(page) == f"0 / {last}"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert counter(page) == f"2 / {last}"
    page.keyboard.press("ArrowLeft")
    assert counter(page) == f"1 / {last}"
    page.keyboard.press("End")
    assert counter(page) == f"{last} / {last}"
    page.keyboard.press("ArrowRight")  # nothing after the last
    assert counter(page) == f"{last} / {last}"
    page.keyboard.press("Home")
    assert counter(page) == f"0 / {last}"
    current = page.eval_on_selector_all("#steps li.current", "ls => ls.map(l => l.dataset.step)")
    assert current == ["0"]


def test_buttons_do_what_the_keys_do(open_page, demo_page):
    *_, explorer = demo_page
    page = open_page(explorer).page
    last = len(explorer.steps) - 1
    page.click("#next")
    page.click("#next")
    page.click("#prev")
    assert counter(page) == f"1 / {last}"
    page.click("#end")
    assert counter(page) == f"{last} / {last}"
    page.click("#home")
    assert counter(page) == f"0 / {last}"


# ---------------------------------------------------------------------------- forward
def test_at_the_start_only_the_leaves_hold_numbers(open_page, demo_page):
    _, _, C, explorer = demo_page
    page = open_page(explorer).page
    shown = node_texts(page)
    for i, v in enumerate(drawn(C)):
        data, _, grad_visible = shown[i]
        assert data == (num(v.data) if not v.parents else "?"), v.label
        assert not grad_visible


def test_a_forward_step_computes_one_value_with_its_formula(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = open_page(explorer).page
    values = drawn(C)
    z = t.z[0][1]  # z^2_2
    k = next(s for s, step in enumerate(explorer.steps)
             if step["phase"] == "forward" and values[step["node"]] is z)
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    assert counter(page).startswith(f"{k} / ")
    now = page.inner_text("#now-html").replace("\n", "")
    n = mlp.layers[0].neurons[1]
    assert now.endswith(f" = {num(z.data)}")
    assert f"{num(n.w[0].data)}·{num(DEMO_X[0])}" in now.replace("(", "").replace(")", "")
    shown = node_texts(page)
    i = values.index(z)
    assert shown[i][0] == num(z.data)
    assert shown[values.index(t.a[0][1])][0] == "?"  # its activation comes next
    assert page.get_attribute(f"#graph g.mg-value[data-node='{i}']", "class").split().count(
        "mg-current") == 1


# ---------------------------------------------------------------------------- backward
def test_a_bp4_step_shows_the_engines_numbers_on_its_edge(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = edge_by_edge(open_page(explorer))
    values = drawn(C)
    w = mlp.layers[1].neurons[1].w[3]  # w^3_24
    z = t.z[1][1]
    k = next(s for s, step in enumerate(edge_steps(explorer))
             if step["phase"] == "backward" and step["parent"] == values.index(w))
    go_to(page, k)
    C.backward()
    a, delta = t.a[0][3].data, z.grad
    eq = page.inner_text("#now-eq").replace("\n", "")
    factor = num(delta) if delta >= 0 else f"({num(delta)})"
    assert eq == f"∂C/∂w324 = a24 · δ32 = {num(a)} × {factor} = {num(w.grad)}"
    assert "BP4" in page.inner_text("#now-note") and "§7" in page.inner_text("#now-note")
    i = values.index(w)
    assert node_texts(page)[i][1] == f"grad = {num(w.grad)}"
    back = page.eval_on_selector_all(
        "#graph g.edge.mg-back", "es => es.map(e => [+e.dataset.from, +e.dataset.to])")
    j = values.index(z)
    assert sorted(back) == sorted([[i, j], [j, j]])  # w → z's op, and z's op → z
    mlp.zero_grad()


def test_a_gradient_accumulates_step_by_step(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = edge_by_edge(open_page(explorer))
    values = drawn(C)
    a = t.a[0][0]  # a^2_1 feeds both neurons of layer 3: two contributions
    i = values.index(a)
    ks = [s for s, step in enumerate(edge_steps(explorer))
          if step["phase"] == "backward" and step["parent"] == i]
    assert len(ks) == 2
    C.backward()
    z = values[edge_steps(explorer)[ks[0]]["node"]]  # the neuron of layer 3 whose step comes first
    k = t.z[1].index(z)
    first = mlp.layers[1].neurons[k].w[0].data * z.grad  # w^3_k1 δ^3_k
    go_to(page, ks[0] - 1)
    assert node_texts(page)[i][1] == "grad = 0"
    page.keyboard.press("ArrowRight")
    assert node_texts(page)[i][1] == f"grad = {num(first)}"
    go_to(page, ks[1])
    assert node_texts(page)[i][1] == f"grad = {num(a.grad)}"
    assert num(first) != num(a.grad)
    mlp.zero_grad()


def test_bp1_and_bp2_steps_give_the_deltas(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = edge_by_edge(open_page(explorer))
    values = drawn(C)
    C.backward()
    for z, eq in ((t.z[1][0], "BP1"), (t.z[0][2], "BP2")):
        k = next(s for s, step in enumerate(edge_steps(explorer))
                 if step["phase"] == "backward" and step["parent"] == values.index(z))
        go_to(page, k)
        assert page.inner_text("#now-eq").replace("\n", "").endswith(f"= {num(z.grad)}")
        assert page.inner_text("#now-note").startswith(eq + ":")
        assert node_texts(page)[values.index(z)][1].endswith(f"= {num(z.grad)}")
    mlp.zero_grad()


# ---------------------------------------------------------------------------- certificates
def test_clicking_a_weight_shows_its_certificate_three_ways(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = open_page(explorer).page
    values = drawn(C)
    w = mlp.layers[0].neurons[2].w[1]  # w^2_32
    page.keyboard.press("End")  # a certificate is shown once its gradient is computed
    page.click(f"#graph g.mg-value[data-node='{values.index(w)}']")
    heads = page.eval_on_selector_all("#cert-body th", "ts => ts.map(t => t.textContent)")
    assert heads == ["engine (backward)", "closed form (BP4)", "finite differences"]
    engine, closed, fd = (float(x.replace("−", "-")) for x in page.eval_on_selector_all(
        "#cert-body td.value", "ts => ts.map(t => t.textContent)"))
    C.backward()
    assert engine == pytest.approx(w.grad, rel=1e-9)
    assert closed == pytest.approx(engine, abs=1e-6) and fd == pytest.approx(engine, abs=1e-6)
    assert "a12 · δ23" in page.inner_text("#cert-body").replace("\n", "")
    mlp.zero_grad()


# ---------------------------------------------------------------------------- layer view
def test_the_layer_view_shows_a_deep_sigmoid_nets_vanishing_gradient(open_page):
    mlp = MLP(1, [1] * 6, seed=2)
    C = quadratic(mlp([1.0]), [0.0])
    page = open_page(explore(C)).page
    pending = page.eval_on_selector_all(
        ".delta", "ds => ds.map(d => d.classList.contains('pending'))")
    assert pending == [True] * 6  # no δ before the backward pass
    page.keyboard.press("End")
    widths = page.eval_on_selector_all(
        ".layer .bar span", "bs => bs.map(b => b.getBoundingClientRect().width)")
    layers = page.eval_on_selector_all(".layer", "ls => ls.map(l => +l.dataset.layer)")
    assert layers == [2, 3, 4, 5, 6, 7]
    # log scale: a vanishing δ is short but still visible (on a linear scale it would be ~0)
    assert widths == sorted(widths) and 0.1 * widths[-1] < widths[0] < 0.5 * widths[-1], widths
    numbers = page.eval_on_selector_all(".delta .num", "ns => ns.map(n => n.textContent)")
    C.backward()
    t = mlp.trace([1.0])
    C2 = quadratic(t.a[-1], [0.0])
    C2.backward()
    assert numbers == [num(t.z[i][0].grad) for i in range(6)]


# ---------------------------------------------------------------------------- any graph
def test_a_generic_graph_with_a_dead_relu_plays_to_draw_dots_numbers(open_page):
    from microgrid import Value

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    dead = c.relu()  # 0: its gradient passes nothing on
    dead.label = "r"
    e = (c + 5).tanh() + dead.relu() * 2.0
    e.label = "e"
    page = open_page(explore(e)).page
    assert "not an MLP" in page.inner_text("#layer-list").replace("\n", " ")
    for _ in range(len(explore(e).steps)):  # every step, one key at a time
        page.keyboard.press("ArrowRight")
    shown = node_texts(page)
    e.backward()
    for i, v in enumerate(drawn(e)):
        assert shown[i][0] == num(v.data) and shown[i][1] == f"grad = {num(v.grad)}", v.label
    page.click(f"#graph g.mg-value[data-node='{drawn(e).index(a)}']")
    engine, closed, fd = page.eval_on_selector_all(
        "#cert-body td.value", "ts => ts.map(t => t.textContent)")
    assert closed == "—" and float(fd.replace("−", "-")) == pytest.approx(a.grad, abs=1e-6)


# ---------------------------------------------------------------------------- no network, Jupyter
def test_no_request_leaves_the_page_and_nothing_is_logged_as_an_error(open_page, demo_page):
    *_, explorer = demo_page
    o = open_page(explorer)
    o.page.keyboard.press("End")
    o.page.click("#graph g.mg-leaf-clickable")
    o.page.click("#fit")
    o.page.keyboard.press("Home")
    assert o.requests == [o.page.url]  # the file itself and nothing else
    o.check_clean()


def test_two_explorers_inline_in_one_notebook_play_independently(open_page, demo_page):
    *_, explorer = demo_page
    x = MLP(1, [1], seed=0)
    small = quadratic(x([0.5]), [1.0])
    other = explore(small)
    notebook = (f"<!DOCTYPE html><html><body><div class='output'>{explorer._repr_html_()}</div>"
                f"<div class='output'>{other._repr_html_()}</div></body></html>")
    page = open_page(notebook, "notebook.html").page
    page.wait_for_function("document.querySelectorAll('iframe').length === 2 && "
                           "[...document.querySelectorAll('iframe')].every("
                           "f => f.contentDocument && f.contentDocument.getElementById('counter')"
                           " && f.contentDocument.getElementById('counter').textContent"
                           " !== '0 / 0')")
    first, second = (f.content_frame() for f in page.query_selector_all("iframe"))
    last1, last2 = len(explorer.steps) - 1, len(other.steps) - 1
    first.click("#end")
    second.click("#next")
    page.keyboard.press("ArrowRight")  # the focused frame is the second: its key, not the first's
    assert first.inner_text("#counter") == f"{last1} / {last1}"
    assert second.inner_text("#counter") == f"2 / {last2}"
    assert first.inner_text("#now-html") != second.inner_text("#now-html")


# ---------------------------------------------------------------------------- the δ wave
def net_and_cost(sizes, seed=1):
    nin, *nouts = sizes
    mlp = MLP(nin, nouts, seed=seed)
    x = [0.5 * (-1) ** k * (k + 1) for k in range(nin)]
    y = [1.0] * nouts[-1]
    C = quadratic(mlp(x), y)
    C.label = "C"
    return mlp, C


def first_lit(page, explorer) -> dict[str, int]:
    """Step through the backward pass with → and note, for each value, the first step at
    which the page gives it a gradient (its box lit as a target), by its label."""
    go_to(page, explorer.data["firstBackward"] - 1)
    seen: dict[str, int] = {}
    labels = [n["label"] for n in explorer.data["nodes"]]
    for s in range(explorer.data["firstBackward"], len(explorer.steps)):
        page.keyboard.press("ArrowRight")
        for i in page.eval_on_selector_all(
                "#graph g.mg-value.mg-target", "gs => gs.map(g => +g.dataset.node)"):
            seen.setdefault(labels[i], s)
    return seen


@pytest.mark.parametrize("sizes", [(2, 3, 1), (2, 3, 2, 1), (2, 16, 16, 1)],
                         ids=lambda s: "-".join(map(str, s)))
def test_the_backward_pass_plays_as_the_delta_wave_layer_by_layer(open_page, sizes):
    mlp, C = net_and_cost(sizes)
    explorer = explore(C)
    seen = first_lit(open_page(explorer).page, explorer)
    L = len(sizes)
    for l in range(L, 1, -1):
        deltas = [seen[f"z^{l}_{j}" if j < 10 else f"z^{l}_{{{j}}}"]
                  for j in range(1, sizes[l - 1] + 1)]
        weights = [seen[w.label] for n in mlp.layers[l - 2].neurons for w in n.w]
        assert max(deltas) < min(weights), f"a weight of layer {l} before one of its δ's"
        if l > 2:
            below = [seen[f"z^{l - 1}_{j}" if j < 10 else f"z^{l - 1}_{{{j}}}"]
                     for j in range(1, sizes[l - 2] + 1)]
            assert max(weights) < min(below), f"a δ of layer {l - 1} before layer {l} is done"


def test_a_bp2_step_shows_every_term_of_its_sum(open_page):
    mlp, C = net_and_cost((2, 3, 2, 1))
    explorer = explore(C)
    page = open_page(explorer).page
    bp2 = [s for s, step in enumerate(explorer.steps) if step.get("kind") == "BP2"]
    assert len(bp2) == 3 + 2
    C.backward()
    for s in bp2:
        go_to(page, s)
        text = page.inner_text("#now-html").replace("\n", "")
        l = explorer.steps[s]["layer"]
        j = int(text.split("=")[0].strip()[-1])  # ∂C/∂a^l_j = …
        above = mlp.layers[l - 1].neurons
        for k, n in enumerate(above, 1):
            assert f"w{l + 1}{k}{j}·δ{l + 1}{k}" in text, (s, k, text)
            assert num(n.w[j - 1].data) in text
        assert text.count("×") == len(above) + 1  # each term, and × σ′(z)
    mlp.zero_grad()


def test_the_edge_by_edge_mode_ends_at_draw_dots_numbers(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = edge_by_edge(open_page(explorer))
    page.keyboard.press("End")
    assert counter(page) == f"{len(edge_steps(explorer)) - 1} / {len(edge_steps(explorer)) - 1}"
    shown = node_texts(page)
    C.zero_grad()
    C.backward()
    for i, v in enumerate(drawn(C)):
        assert shown[i][0] == num(v.data) and shown[i][1].endswith(f"= {num(v.grad)}"), v.label
    mlp.zero_grad()


# ---------------------------------------------------------------------------- no spoilers
def test_nothing_of_the_backward_pass_is_on_the_page_at_home(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = open_page(explorer).page
    page.keyboard.press("End")
    page.keyboard.press("Home")
    page.click(f"#graph g.mg-value[data-node='{drawn(C).index(mlp.layers[0].neurons[0].w[0])}']")
    page.click("#view-net")  # the network view too
    visible = page.evaluate("""() => document.body.innerText + [...document.querySelectorAll(
        'svg text')].filter(t => t.getClientRects().length &&
        getComputedStyle(t).visibility === 'visible').map(t => t.textContent).join(' ')""")
    C.backward()
    datas = {num(v.data) for v in drawn(C)}
    grads = {num(v.grad) for v in drawn(C)} - datas - {"0", "1"}
    assert grads and [g for g in grads if g in visible] == []
    assert "computed at step" in page.inner_text("#cert-body")
    mlp.zero_grad()


# ---------------------------------------------------------------------------- it fits
def tall_graph():
    """One sum of 30 named leaves: a drawing seven times taller than wide."""
    import microgrid as mg

    total = mg.sum([mg.Value(0.1 * k, f"x_{{{k}}}") for k in range(1, 31)])
    total.label = "C"
    return explore(total)


def small_graph():
    """e = (a·b + c)·d: a graph that fits a 1280×720 window at a readable size.  (Even one
    neuron with its quadratic cost does not: its drawing is 1,390 px wide at the size where
    its text reads; it opens readable, following the steps.)"""
    from microgrid import Value

    a, b, c, d = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "d")
    e = (a * b + c) * d
    e.label = "e"
    return explore(e)


def test_on_opening_a_graph_that_fits_readably_is_whole_inside_a_1280x720_window(browser,
                                                                                 tmp_path):
    explorer = small_graph()
    path = explorer.save(tmp_path / "explorer.html")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(path.as_uri())
    boxes = page.eval_on_selector_all("#graph g.node", """gs => gs.map(g => {
        const r = g.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    shapes = page.eval_on_selector("#graph", "b => b.classList.contains('shapes')")
    page.close()
    assert len(boxes) == len(explorer.data["nodes"]) + sum(
        1 for n in explorer.data["nodes"] if not n["leaf"])
    outside = [b for b in boxes if b[0] < 0 or b[1] < 0 or b[2] > 1280 or b[3] > 720]
    assert outside == [] and not shapes


@pytest.mark.parametrize("which", ["demo network", "tall graph"])
def test_fit_shows_everything_as_shapes_and_pressed_again_reads_again(browser, tmp_path,
                                                                     demo_page, which):
    explorer = demo_page[3] if which == "demo network" else tall_graph()
    path = explorer.save(tmp_path / "explorer.html")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(path.as_uri())
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("f")  # everything in sight
    box, svg, shapes = page.evaluate("""() => { const b = document.getElementById('graph'),
        s = b.querySelector('svg').getBoundingClientRect(), r = b.getBoundingClientRect();
        return [[r.width, r.height], [s.width, s.height], b.classList.contains('shapes')]; }""")
    assert svg[0] <= box[0] and svg[1] <= box[1]
    assert svg[0] > 0.95 * box[0] or svg[1] > 0.95 * box[1]  # as large as fits
    assert shapes  # too small to read: the texts are hidden, not shrunk
    texts = page.eval_on_selector_all("#graph svg text", """ts => ts.filter(t =>
        getComputedStyle(t).visibility === 'visible').length""")
    assert texts == 0
    page.keyboard.press("f")  # back to reading, following the step
    shapes, current = page.evaluate("""() => { const b = document.getElementById('graph');
        const c = b.querySelector('.mg-current, .mg-target, .mg-source')
            .getBoundingClientRect(),
              r = b.getBoundingClientRect();
        return [b.classList.contains('shapes'), c.left >= r.left && c.right <= r.right &&
                c.top >= r.top && c.bottom <= r.bottom]; }""")
    page.close()
    assert not shapes and current


# ---------------------------------------------------------------------------- the network view
def test_at_the_end_the_network_view_shows_each_delta_on_its_neuron(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = open_page(explorer).page
    page.click("#view-net")
    assert page.is_visible("#net svg") and not page.is_visible("#graph svg")
    page.keyboard.press("End")
    shown = dict(page.eval_on_selector_all(
        "#net text.net-delta", "ts => ts.map(t => [+t.dataset.node, t.textContent])"))
    C.backward()
    values = drawn(C)
    expected = {values.index(z): f"δ = {num(z.grad)}" for layer in t.z for z in layer}
    assert shown == expected
    signs = page.eval_on_selector_all(
        "#net line.net-w", "ls => ls.map(l => [+l.dataset.node, l.classList.contains('neg')])")
    assert all(neg == (values[i].grad < 0) for i, neg in signs)
    mlp.zero_grad()


def test_in_the_network_view_a_delta_appears_with_its_step(open_page, demo_page):
    mlp, t, C, explorer = demo_page
    page = open_page(explorer).page
    page.click("#view-net")
    values = drawn(C)
    z = values.index(t.z[1][0])  # δ^3_1: BP1, the first δ of the wave
    k = next(s for s, step in enumerate(explorer.steps)
             if step.get("kind") == "BP1" and step["sets"][0][0] == z)
    go_to(page, k - 1)
    assert page.text_content(f"#net text.net-delta[data-node='{z}']") == ""
    page.keyboard.press("ArrowRight")
    assert page.text_content(f"#net text.net-delta[data-node='{z}']").startswith("δ = ")


def test_a_network_too_big_to_read_fitted_opens_in_the_network_view(browser, tmp_path):
    _, C = net_and_cost((2, 16, 16, 1))
    path = explore(C).save(tmp_path / "big.html")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(path.as_uri())
    try:
        assert page.is_visible("#net svg") and not page.is_visible("#graph svg")
        sizes = page.eval_on_selector_all("#net text.net-name", """ts => ts.map(t =>
            parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)""")
        assert len(sizes) == 2 + 16 + 16 + 1 + 1 and min(sizes) >= 8.0, min(sizes)
    finally:
        page.close()
