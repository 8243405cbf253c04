"""draw_dot: computation graphs drawn in the notation of docs/backprop.md §1.

Structure is read back from the DOT text (no `dot` needed); a few tests render real SVG with
the Graphviz `dot` program, and one hides `dot` to check the install instructions.
"""

import math
import re
from pathlib import Path

import graphviz
import pytest

import microgrid as mg
from microgrid import notation
from microgrid.drawing import GraphvizNotInstalled, draw_dot, math_label, render
from microgrid.engine import topological

NODE = re.compile(r"^\s*(\w+) \[label=<(.*)>[^>]*\]$", re.M)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)


def nodes(g):
    """{node id: its HTML label} from the DOT source."""
    return dict(NODE.findall(g.source))


def edges(g):
    return [(a, b) for a, b, _ in EDGE.findall(g.source)]


def values(g):
    return {k: v for k, v in nodes(g).items() if not k.endswith("_op")}


def ops(g):
    return {k: v for k, v in nodes(g).items() if k.endswith("_op")}


def find(g, fragment):
    """The id of the one value node whose label contains ``fragment``."""
    hits = [k for k, v in values(g).items() if fragment in v]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def cluster_members(g):
    """{cluster name: [node ids]} from the DOT source."""
    out, current = {}, None
    for line in g.source.splitlines():
        m = re.match(r"\s*subgraph (\w+) \{", line)
        if m:
            current = out.setdefault(m.group(1), [])
        elif line.strip() == "}":
            current = None
        elif current is not None:
            n = re.match(r"\s*(\w+) \[label", line)
            if n:
                current.append(n.group(1))
    return out


def small_mlp_loss():
    mlp = mg.MLP(2, [3, 1], seed=0)
    t = mlp.trace([0.5, -1.0])
    loss = 0.5 * (t.output - 1.0) ** 2
    loss.backward()
    return mlp, t, loss


# ------------------------------------------------------------------ structure (no dot needed)
def test_draw_dot_is_exported_from_the_package():
    assert mg.draw_dot is draw_dot


def test_returns_a_graphviz_digraph():
    assert isinstance(draw_dot(mg.Value(1.0) * 2), graphviz.Digraph)


def test_one_record_per_value_and_one_node_per_operation():
    a, b, c = mg.Value(2.0, "a"), mg.Value(-3.0, "b"), mg.Value(10.0, "c")
    e = a * b + c
    g = draw_dot(e)
    assert len(values(g)) == 5  # a, b, c, a·b, e
    assert len(ops(g)) == 2  # ×, +


def test_edges_run_parent_to_op_to_value():
    a, b = mg.Value(2.0, "a"), mg.Value(-3.0, "b")
    e = a * b
    g = draw_dot(e)
    ia, ib, ie = find(g, "<I>a</I>"), find(g, "<I>b</I>"), find(g, "−6")
    assert sorted(edges(g)) == sorted([(ia, ie + "_op"), (ib, ie + "_op"), (ie + "_op", ie)])


def test_a_value_used_twice_gets_two_edges_into_its_op():
    x = mg.Value(3.0, "x")
    g = draw_dot(x * x)
    ix = find(g, "<I>x</I>")
    assert [e for e in edges(g) if e[0] == ix] == [(ix, "v1_op"), (ix, "v1_op")]


def test_records_show_label_data_and_grad():
    x = mg.Value(3.0, "x")
    y = x * x
    y.backward()
    label = values(draw_dot(y))[find(draw_dot(y), "<I>x</I>")]
    assert ">3<" in label and "grad = 6" in label


def test_show_grads_false_hides_every_grad_and_delta():
    _, _, loss = small_mlp_loss()
    source = draw_dot(loss, show_grads=False).source
    assert "grad =" not in source and "δ" not in source


def test_mlp_labels_use_real_superscripts_and_subscripts():
    _, _, loss = small_mlp_loss()
    labels = " ".join(values(draw_dot(loss)).values())
    sup = '<SUP><FONT POINT-SIZE="10">{}</FONT></SUP>'
    sub = '<SUB><FONT POINT-SIZE="10">{}</FONT></SUB>'
    assert "<I>w</I>" + sup.format(2) + sub.format(12) in labels  # w^2_{12}
    assert "<I>b</I>" + sup.format(3) + sub.format(1) in labels  # b^3_1
    assert "<I>a</I>" + sup.format(1) + sub.format(2) in labels  # the input a^1_2


def test_math_label_reads_braced_and_bare_scripts():
    assert math_label("z^{10}_{12,3}", script_size=8) == (
        '<I>z</I><SUP><FONT POINT-SIZE="8">10</FONT></SUP>'
        '<SUB><FONT POINT-SIZE="8">12,3</FONT></SUB>'
    )
    assert math_label("loss") == "loss"  # a word stays upright; a single letter is a variable


def test_neurons_are_boxed_by_document_layer_and_their_weights_stand_between_the_boxes():
    mlp, t, loss = small_mlp_loss()
    g = draw_dot(loss)
    clusters = cluster_members(g)
    assert set(clusters) == {"cluster_layer_1", "cluster_layer_2", "cluster_layer_3"}
    def named(symbol, layer):
        sup = f'<B><I>{symbol}</I><SUP><FONT POINT-SIZE="10">{layer}<'
        return {k for k, v in values(g).items() if sup in v}

    box2 = {n for n in clusters["cluster_layer_2"] if not n.endswith("_op")}
    assert box2 == named("z", 2) | named("a", 2) and len(box2) == 3 + 3  # z^2_j, a^2_j
    assert set(clusters["cluster_layer_1"]) == named("a", 1)
    boxed = {n for members in clusters.values() for n in members}
    # the connections w^2_jk and biases b^2_j stand between the boxes, as in a network picture
    assert len(named("w", 2)) == 6 and not (named("w", 2) | named("b", 2)) & boxed
    assert 'label=<<I>layer 2</I>>' in g.source


def test_a_network_of_ten_and_more_layers_is_grouped_by_layer_with_two_digit_labels():
    # Layers 2 … 12 (docs/backprop.md §1 numbering): labels such as w^{10}_{11} and z^{12}_1
    # carry a two-digit layer.
    mlp = mg.MLP(2, [2] * 10 + [1], seed=0)
    t = mlp.trace([0.5, -1.0])
    loss = 0.5 * (t.output - 1.0) ** 2
    loss.backward()
    g = draw_dot(loss, max_nodes=None)
    clusters = cluster_members(g)
    assert set(clusters) == {f"cluster_layer_{l}" for l in range(1, 13)}
    shown = values(g)
    layer_of = re.compile(r'<B><I>[wbza]</I><SUP><FONT POINT-SIZE="\d+">(\d+)<')
    for name, members in clusters.items():
        l = int(name.rsplit("_", 1)[1])
        nodes = [n for n in members if not n.endswith("_op")]
        assert {int(layer_of.search(shown[n]).group(1)) for n in nodes} == {l}, name
        if l >= 2:
            nout = 2 if l < 12 else 1
            assert len(nodes) == 2 * nout, name  # z^l, a^l (w^l, b^l stand between the boxes)
        assert f"label=<<I>layer {l}" in g.source


def test_clusters_false_draws_no_clusters():
    _, _, loss = small_mlp_loss()
    assert "subgraph" not in draw_dot(loss, clusters=False).source


def test_each_z_node_shows_delta_equal_to_bp1():
    mlp, t, loss = small_mlp_loss()
    # BP1 by hand for C = ½(a − y)², y = 1: δ^3_1 = (a − y) σ'(z) = (a − 1) a (1 − a)
    a = t.output.data
    delta = (a - 1.0) * a * (1.0 - a)
    g = draw_dot(loss, precision=6)
    label = values(g)[find(g, "<I>z</I><SUP><FONT POINT-SIZE=\"10\">3</FONT>")]
    shown = re.search(r"</SUB> = ([−\d.e+]+)<", label).group(1).replace("−", "-")
    assert "<I>δ</I>" in label
    assert math.isclose(float(shown), delta, rel_tol=1e-5)


def test_hidden_constants_fold_into_their_operation():
    x = mg.Value(3.0, "x")
    g = draw_dot(2 * x)
    assert len(values(g)) == 2
    assert list(ops(g).values()) == ["× 2"]


def test_a_constant_on_the_left_stays_on_the_left():
    x = mg.Value(3.0, "x")
    assert list(ops(draw_dot(1 - x)).values()) == ["1 −"]


def test_constants_are_drawn_when_not_hidden():
    x = mg.Value(3.0, "x")
    g = draw_dot(2 * x, hide_constants=False)
    assert len(values(g)) == 3 and "const" in g.source
    assert list(ops(g).values()) == ["×"]


def test_local_grads_label_the_parent_to_op_edges():
    a, b = mg.Value(2.0, "a"), mg.Value(-3.0, "b")
    g = draw_dot(a * b, local_grads=True)
    labels = {(t, h): attrs for t, h, attrs in EDGE.findall(g.source)}
    ia, ib = find(g, "<I>a</I>"), find(g, "<I>b</I>")
    assert 'label="−3"' in labels[(ia, "v2_op")]  # ∂(ab)/∂a = b
    assert 'label=2' in labels[(ib, "v2_op")]  # ∂(ab)/∂b = a


def test_colour_by_gradient_sign():
    a, b = mg.Value(2.0, "a"), mg.Value(-3.0, "b")
    e = a * b
    e.backward()  # a.grad = −3 (red), b.grad = 2 (blue)
    g = draw_dot(e, color_grads=True)
    colour = {k: re.search(r'BGCOLOR="#(\w\w)(\w\w)(\w\w)"', v).groups() for k, v in
              values(g).items()}
    ra, _, ba = (int(c, 16) for c in colour[find(g, "<I>a</I>")])
    rb, _, bb = (int(c, 16) for c in colour[find(g, "<I>b</I>")])
    assert ra > ba and bb > rb


def test_no_colour_unless_asked():
    assert "BGCOLOR" not in draw_dot(mg.Value(1.0) * 2).source


# ------------------------------------------------------------------ limits and bad input
def test_more_values_than_max_nodes_is_a_clear_error():
    x = mg.Value(1.0, "x")
    y = x
    for _ in range(10):
        y = y + x
    with pytest.raises(ValueError, match=r"11 values, more than max_nodes=10.*sub-graph"):
        draw_dot(y, max_nodes=10)


def test_max_nodes_none_lifts_the_limit():
    x = mg.Value(1.0, "x")
    y = x
    for _ in range(600):
        y = y.tanh()
    assert len(values(draw_dot(y, max_nodes=None))) == 601


def test_a_deep_chain_is_walked_without_recursion():
    y = mg.Value(0.5)
    for _ in range(100_000):
        y = y * 1.0
    with pytest.raises(ValueError, match="max_nodes"):  # not RecursionError
        draw_dot(y)


def test_a_few_hundred_nodes_are_all_drawn():
    # How fast is measured in bench/, not asserted here (a loaded machine would flake).
    mlp = mg.MLP(4, [8, 8, 1], seed=0)
    loss = mg.sum((mlp([0.1 * i, 0.2, -0.3, 0.4]) - 1) ** 2 for i in range(3))
    loss.backward()
    # every value, and every plain number folded into an operation drawn as a constant
    folded = [x for v in topological(loss) for x in v.operands if not isinstance(x, mg.Value)]
    assert len(folded) == 3  # the three "- 1"
    drawn = len(values(draw_dot(loss, hide_constants=False)))
    assert drawn == len(topological(loss)) + len(folded) > 200


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="Value"):
        draw_dot(3.0)


def test_unknown_rankdir_is_rejected():
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(mg.Value(1.0) * 2, rankdir="sideways")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_max_nodes_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(mg.Value(1.0) * 2, max_nodes=bad)


HOSTILE = [
    '"]; evil [label="pwn',
    "</TD></TR></TABLE>> <b>&amp; 'q'",
    "a<b && c>d ^ _ \\",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_are_escaped(label):
    x = mg.Value(1.0, label)
    g = draw_dot(x * 2)
    assert len(values(g)) == 2 and len(ops(g)) == 1  # nothing injected
    record = values(g)["v0"]
    text = re.sub(r"</?(I|B|TD|TR|TABLE|SUP|SUB|FONT)\b[^>]*>", "", record)
    assert "<" not in text and ">" not in text and '"' not in text.replace("=\"", "")


# ------------------------------------------------------------------ rendering with dot
def test_svg_render_contains_the_documents_labels(tmp_path):
    _, t, loss = small_mlp_loss()
    out = render(loss, tmp_path / "mlp.svg")
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for text in (">w<", ">z<", ">δ<", ">13<", ">layer 2<", ">layer 3<", ">σ<"):
        assert text in svg, text
    assert f"{t.output.data:.4g}" in svg


def test_svg_superscripts_sit_above_and_subscripts_below_the_line(tmp_path):
    svg = render(mg.Value(1.0, "w^2_{13}") * 2, tmp_path / "w.svg").read_text(encoding="utf-8")
    y = {text: float(y) for y, text in re.findall(r'<text [^>]*y="(-?[\d.]+)"[^>]*>([^<]*)<', svg)}
    assert "baseline-shift" not in svg  # browsers ignore it; explicit positions instead
    assert y["2"] < y["w"] < y["13"]  # SVG y grows downwards


def test_hostile_labels_render(tmp_path):
    x = mg.Value(1.0, HOSTILE[0])
    y = mg.Value(2.0, HOSTILE[1])
    svg = render(x * y, tmp_path / "h.svg").read_text(encoding="utf-8")
    assert "evil [label=" in svg.replace("&quot;", '"')  # shown as text, not parsed as DOT
    assert "&lt;/TD&gt;" in svg


def test_render_infers_png_from_the_suffix(tmp_path):
    out = render(mg.Value(1.0, "x") * 2, tmp_path / "x.png")
    assert out.read_bytes().startswith(b"\x89PNG")


def test_render_rejects_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        render(mg.Value(1.0) * 2, tmp_path / "x.svg", format="docx")


def test_jupyter_display_is_svg():
    bundle = draw_dot(mg.Value(1.0, "x") * 2)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


# ------------------------------------------------------------------ without Graphviz's dot
@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_without_dot_the_graph_and_its_source_still_build(no_dot):
    g = draw_dot(mg.Value(1.0, "x") * 2)
    assert "digraph" in g.source and len(values(g)) == 2


@pytest.mark.parametrize(
    "how",
    [
        lambda g, p: g.pipe(format="svg"),
        lambda g, p: g.render(p / "g"),
        lambda g, p: g._repr_mimebundle_(),
        lambda g, p: render(g, p / "g.svg"),
    ],
    ids=["pipe", "Digraph.render", "jupyter", "render"],
)
def test_without_dot_rendering_says_how_to_install_graphviz(no_dot, tmp_path, how):
    g = draw_dot(mg.Value(1.0, "x") * 2)
    with pytest.raises(GraphvizNotInstalled) as info:
        how(g, tmp_path)
    message = str(info.value)
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "conda install -c conda-forge graphviz" in message


def test_without_dot_render_writes_no_file(no_dot, tmp_path):
    with pytest.raises(GraphvizNotInstalled):
        render(mg.Value(1.0) * 2, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def test_the_missing_dot_error_is_still_a_graphviz_executable_not_found(no_dot):
    with pytest.raises(graphviz.ExecutableNotFound):
        draw_dot(mg.Value(1.0) * 2).pipe(format="svg")


# ------------------------------------------------------------------ more shapes of graph
def test_constants_of_an_n_ary_operation_are_listed_in_it():
    x = mg.Value(3.0, "x")
    g = draw_dot(mg.sum([x, 1.0, 2.0]))
    assert len(values(g)) == 2
    assert list(ops(g).values()) == ["Σ<BR/>1, 2"]


def test_a_constant_root_is_drawn():
    assert len(values(draw_dot(mg.Const(2.0)))) == 1


def test_only_z_nodes_name_their_grad_delta():
    _, t, loss = small_mlp_loss()
    g = draw_dot(loss)
    a_label = values(g)[find(g, '<I>a</I><SUP><FONT POINT-SIZE="10">3</FONT>')]
    assert "δ" not in a_label and "grad = " in a_label
    assert sum("<I>δ</I>" in v for v in values(g).values()) == 4  # z^2_1..3, z^3_1


def test_render_rejects_what_is_not_a_graph(tmp_path):
    with pytest.raises(TypeError, match="Value or a graphviz.Digraph"):
        render("digraph {}", tmp_path / "x.svg")


def test_digraph_render_to_an_svg_file_places_the_scripts(tmp_path):
    out = draw_dot(mg.Value(1.0, "w^2_{13}") * 2).render(tmp_path / "w", format="svg")
    svg = Path(out).read_text(encoding="utf-8")
    assert ">13<" in svg and "baseline-shift" not in svg


def test_render_of_a_plain_digraph_places_the_scripts_too(tmp_path):
    g = graphviz.Digraph()
    g.node("a", label="<x<SUP>2</SUP>>")
    svg = render(g, tmp_path / "p.svg").read_text(encoding="utf-8")
    assert ">2<" in svg and "baseline-shift" not in svg


def test_repr_says_how_many_values_and_has_no_address():
    a, b = mg.Value(2.0, "a"), mg.Value(-3.0, "b")
    assert repr(draw_dot(a * b)) == "<microgrid Drawing of 3 values; .source is its DOT text>"


# ------------------------------------------------------------ the drawing as a browser shows it
# Layout is read back from Graphviz's own answer (`dot -Tplain`: node centres in points, y up)
# and from the SVG a browser is given.
LABEL_HTML = re.compile(
    r'<B><I>(\w)</I><SUP><FONT POINT-SIZE="10">(\d+)</FONT></SUP>'
    r'<SUB><FONT POINT-SIZE="10">([\d,]+)</FONT></SUB></B>'
)


def cost_graph(sizes, seed=3):
    """C = ½(a^L_1 − y)² (or Σ of the outputs for a wider last layer) of an MLP, after
    backward()."""
    mlp = mg.MLP(sizes[0], sizes[1:], seed=seed)
    out = mlp([0.5, -1.0, 0.25, 2.0][: sizes[0]])
    if isinstance(out, list):
        root = mg.sum(out)
    else:
        root = 0.5 * (out - mg.Value(1.0, "y")) ** 2
        root.label = "C"
    root.backward()
    return root


def layout(g):
    """{node id: (x, y)} of the laid-out graph (y up), and {node id: (symbol, l, indices)} for
    the values an MLP labelled."""
    plain = g.pipe(format="plain").decode()
    pos = {}
    for line in plain.splitlines():
        part = line.split()
        if part[0] == "node":
            pos[part[1]] = (float(part[2]), float(part[3]))
    names = {}
    for k, v in values(g).items():
        m = LABEL_HTML.search(v)
        if m:
            names[k] = notation.parse_label(f"{m.group(1)}^{{{m.group(2)}}}_{{{m.group(3)}}}")
    return pos, names


def reading_order(ids, pos, rankdir):
    """The ids as a reader meets them in one column: top to bottom (LR/RL), left to right
    (TB/BT)."""
    if rankdir in ("LR", "RL"):
        return sorted(ids, key=lambda k: -pos[k][1])
    return sorted(ids, key=lambda k: pos[k][0])


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
@pytest.mark.parametrize("sizes", [[2, 2, 1], [2, 3, 2, 1], [4, 2], [4, 3, 2], [1, 3, 1, 3]],
                         ids=lambda s: "-".join(map(str, s)))
def test_each_layer_column_reads_in_index_order(sizes, rankdir):
    # z^l_1, z^l_2, … top to bottom; w^l_11, w^l_12, …, b^l_1, w^l_21, … likewise; inputs too
    g = draw_dot(cost_graph(sizes), rankdir=rankdir, local_grads=len(sizes) == 3)
    pos, names = layout(g)
    columns = {}
    for k, (symbol, layer, idx) in names.items():
        if symbol in "wb":
            columns.setdefault(("w", layer), []).append((idx[0], symbol == "b", idx[1:], k))
        else:
            columns.setdefault((symbol, layer), []).append((idx, k))
    assert len(columns) == 3 * (len(sizes) - 1) + 1  # w/b, z, a per layer; the inputs a^1
    for key, members in columns.items():
        wanted = [m[-1] for m in sorted(members)]
        assert reading_order(wanted, pos, rankdir) == wanted, key


def cost_with_a_constant_target(sizes):
    """C = ½(a^L_1 − 1)²: the 1 is folded into "− 1", so no edge of the graph has a label (the
    layout differs when one has: Graphviz then doubles its ranks)."""
    out = mg.MLP(sizes[0], sizes[1:], seed=3)([0.5, -1.0])
    root = 0.5 * (out - 1.0) ** 2
    root.label = "C"
    root.backward()
    return root


@pytest.mark.parametrize("make", [cost_graph, cost_with_a_constant_target],
                         ids=["target y", "target 1"])
def test_layers_stand_side_by_side_left_to_right_not_in_a_staircase(make):
    g = draw_dot(make([2, 3, 2, 1]))  # LR
    pos, names = layout(g)
    boxes = cluster_members(g)
    x = {layer: [pos[k][0] for k in boxes[f"cluster_layer_{layer}"]] for layer in range(1, 5)}
    for layer in range(1, 4):  # each box wholly right of the one before: read by layer
        assert max(x[layer]) < min(x[layer + 1])
    # neuron 1 of every layer (and input 1) on one line: no step up or down between boxes
    row1 = [pos[k][1] for k, n in names.items() if n[0] in "za" and n[2] == (1,)]
    assert len(row1) == 1 + 2 * 3 and max(row1) - min(row1) < 1.0
    # the inputs and the cost sit within the height of the neurons, not in a corner
    neurons = [pos[k][1] for k, n in names.items() if n[0] == "z"]
    inputs = [pos[k][1] for k, n in names.items() if n[:2] == ("a", 1)]
    cost = pos[find(g, "<I>C</I>")][1]
    for y in [*inputs, cost]:
        assert min(neurons) - 1.0 <= y <= max(neurons) + 1.0


SVG_TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")


def test_svg_text_runs_keep_their_spaces_for_browsers(tmp_path):
    # Graphviz writes " = −0.136" (after δ^3_1) and " + " (in Σ w·a + b) as runs of their own;
    # a browser drops a run's leading and trailing spaces unless they are no-break spaces
    g = draw_dot(cost_graph([2, 2, 1]))
    for svg in (g.pipe(format="svg").decode(),
                render(g, tmp_path / "g.svg").read_text(encoding="utf-8"),
                render(cost_graph([2, 1]), tmp_path / "v.svg").read_text(encoding="utf-8")):
        runs = SVG_TEXT.findall(svg)
        assert runs and not [r for r in runs if r != r.strip(" ")]
        assert any(r.startswith("\u00a0= ") for r in runs)  # δ^l_j = …
        assert "\u00a0+\u00a0" in runs  # Σ w·a + b
    plain = graphviz.Digraph()
    plain.node("n", label="<<I>a</I><SUB>1</SUB> = 2>")
    runs = SVG_TEXT.findall(render(plain, tmp_path / "p.svg").read_text(encoding="utf-8"))
    assert "\u00a0= 2" in runs


@pytest.mark.parametrize(
    "make, formula",
    [
        (lambda c, d: c - d, "<I>x</I> − <I>y</I>"),
        (lambda c, d: c / d, "<I>x</I> ÷ <I>y</I>"),
        (lambda c, d: c**d, "<I>x</I><SUP>"),
    ],
    ids=["sub", "div", "pow"],
)
def test_an_operation_that_cannot_swap_its_operands_names_them(make, formula):
    c, d = mg.Value(10.0, "c"), mg.Value(2.0, "d")
    for first, second in ((c, d), (d, c)):  # the names follow the operands, not the drawing
        g = draw_dot(make(first, second))
        (op,) = ops(g).values()
        assert formula in op
        labels = {a: attrs for a, b, attrs in EDGE.findall(g.source) if b.endswith("_op")}
        x, y = find(g, f"<I>{first.label}</I>"), find(g, f"<I>{second.label}</I>")
        assert re.search(r"label=<<FONT[^>]*><I>x</I></FONT>>", labels[x])
        assert re.search(r"label=<<FONT[^>]*><I>y</I></FONT>>", labels[y])


def test_operand_names_come_before_the_local_gradient_and_constants_need_none():
    c, d = mg.Value(10.0, "c"), mg.Value(2.0, "d")
    g = draw_dot(c - d, local_grads=True)
    labels = {a: attrs for a, _, attrs in EDGE.findall(g.source)}
    assert "<I>y</I></FONT>: −1>" in labels[find(g, "<I>d</I>")]  # ∂(x − y)/∂y = −1
    g = draw_dot(c - 2)  # "− 2": the constant's side already says which operand it is
    assert list(ops(g).values()) == ["− 2"] and "<I>x</I>" not in g.source


def _bezier_points(d):
    """Points along an SVG path "M x,y C x,y x,y x,y …" (Graphviz's edges)."""
    nums = [float(v) for v in re.findall(r"-?[\d.]+", d)]
    pts = list(zip(nums[::2], nums[1::2]))
    out = []
    for i in range(0, len(pts) - 3, 3):
        p0, p1, p2, p3 = pts[i : i + 4]
        for t in (j / 20 for j in range(21)):
            s = 1 - t
            out.append(tuple(s**3 * a + 3 * s * s * t * b + 3 * s * t * t * c + t**3 * e
                             for a, b, c, e in zip(p0, p1, p2, p3)))
    return out


def test_local_gradients_are_readable_labels_next_to_their_own_edge():
    for root in (cost_graph([2, 2, 1]), mg.Value(2.0, "a") * mg.Value(-3.0, "b")):
        g = draw_dot(root, local_grads=True)
        labelled = [attrs for _, b, attrs in EDGE.findall(g.source) if b.endswith("_op")]
        assert labelled and all(re.search(r"\blabel=", a) and "fontsize=12" in a
                                for a in labelled)
        svg = g.pipe(format="svg").decode()
        paths, texts = {}, {}
        for title, body in re.findall(r'<g id="edge\d+" class="edge">\s*<title>(.*?)</title>'
                                      r"(.*?)</g>", svg, re.S):
            paths[title] = _bezier_points(re.search(r' d="([^"]+)"', body).group(1))
            t = re.search(r'<text [^>]*x="([-\d.]+)" y="([-\d.]+)"', body)
            if t:
                texts[title] = (float(t.group(1)), float(t.group(2)) - 4)  # baseline → middle
        assert texts
        nearest_is_own = 0
        for title, (tx, ty) in texts.items():
            dist = {e: min(math.dist((tx, ty), p) for p in pts) for e, pts in paths.items()}
            assert dist[title] < 32  # points (two lines of text) from its own edge
            nearest_is_own += dist[title] <= min(dist.values()) + 1
        # where two edges cross, a label may sit nearer the other one; elsewhere never
        assert nearest_is_own >= len(texts) - 2


def test_the_readme_picture_reads_at_full_size_in_a_readme_column():
    images = Path(__file__).parent.parent / "docs" / "images"
    svg = (images / "neuron_graph.svg").read_text(encoding="utf-8")
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3  # px
    assert width <= 900  # a README column is ~800-900 px: shown at (nearly) 100 %
    assert svg.count(">δ<") == 1 and ">layer 2<" in svg and ">\u00a0= " in svg
    wide = (images / "network_graph.svg").read_text(encoding="utf-8")
    assert wide.count(">δ<") == 3 and ">layer 3<" in wide  # z^2_1, z^2_2, z^3_1


# In Chromium (Debian's, driven by Playwright): what a reader of a notebook or README sees.
GAPS_BEFORE_EQUALS = """() => {
  // the run " = −0.1" after δ^l_j: how far its "=" starts from the end of the subscript
  const gaps = [];
  for (const run of document.querySelectorAll('svg text')) {
    const prev = run.previousElementSibling;
    if (!/^[ \\u00a0]*=/.test(run.textContent) || !prev || prev.tagName !== 'text') continue;
    const end = prev.getEndPositionOfChar(prev.getNumberOfChars() - 1).x;
    // a collapsed (dropped) space is no character a browser can address: count without it
    const equals = run.textContent.replace(/^ +/, '').indexOf('=');
    gaps.push(run.getStartPositionOfChar(equals).x - end);
  }
  return gaps;
}"""


def test_in_chromium_the_spaces_show_and_neurons_stand_in_order(browser):
    g = draw_dot(cost_graph([2, 3, 1]))
    _, names = layout(g)
    z2 = sorted((n[2], k) for k, n in names.items() if n[:2] == ("z", 2))
    page = browser.new_page()
    try:
        page.set_content(f"<!doctype html><body>{g.pipe(format='svg').decode()}</body>")
        gaps = page.evaluate(GAPS_BEFORE_EQUALS)
        tops = [page.locator("g.node", has=page.locator(f"title:text-is('{k}')"))
                .bounding_box()["y"] for _, k in z2]
    finally:
        page.close()
    # a space of 14 px Times is ~3.5 px wide; a dropped one leaves the "=" touching the "1"
    assert len(gaps) == 4 and all(gap > 2.5 for gap in gaps)  # δ^2_1..3, δ^3_1
    assert tops == sorted(tops) and len(tops) == 3  # z^2_1 above z^2_2 above z^2_3
