"""The documentation site, built as `./dev.sh docs` builds it and read in Chromium as a reader
reads it: from file://, with no network.

The build is strict (mkdocs.yml) and docs/hooks.py checks what mkdocs does not: nothing is
loaded from outside the site, and every relative link and #anchor of every page resolves, also
inside the rendered notebooks.  In the browser: no request leaves file:, nothing is logged as
an error, every formula is typeset (no raw `$$` or `\\frac` left in the text), the notebooks
show their outputs, the API page lists `Value.backward`, and the live explorer steps with →.

Building needs the `docs` extra and KaTeX from npm (`./dev.sh docs` installs both); without
them the tests are skipped with that hint, which CI reports as a failure (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("mkdocs", reason="the site needs the docs tools: ./dev.sh docs installs "
                    "them (pip install -e '.[docs]')")
sys.path.insert(0, str(ROOT / "docs"))  # hooks.py, search_words.py
import hooks  # noqa: E402 - docs/hooks.py, the site's build hooks
from pages import Opened, checked_at_the_end  # noqa: E402

MATH_PAGES = ["index.html", "backprop.html", "notebooks/02_backprop_equations.html"]


class Reader(Opened):
    """A page of the site, opened at a laptop's size."""

    local = (*Opened.local, "blob:")  # the search plugin's worker

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 720) -> None:
        super().__init__(browser, path, width, height)

    def prose(self) -> str:
        """The page's text without code, where `$` and backslashes may stand as they are."""
        return self.page.evaluate("""() => {
            const body = document.querySelector('article') || document.body;
            const copy = body.cloneNode(true);
            copy.querySelectorAll('pre, code, script, style, .katex-mathml, iframe')
                .forEach(e => e.remove());
            return copy.innerText; }""")


@pytest.fixture
def read(browser, site):
    with checked_at_the_end() as opened:
        def open_(name: str) -> Reader:
            opened.append(Reader(browser, site / name))
            return opened[-1]

        yield open_


# ---------------------------------------------------------------------------- in the browser
@pytest.mark.parametrize("name", MATH_PAGES)
def test_every_formula_is_typeset_and_nothing_is_fetched(read, name):
    r = read(name)
    typeset = r.page.eval_on_selector_all(".katex", "ks => ks.length")
    assert typeset >= 3, f"{name}: {typeset} formulas typeset"
    raw = r.prose()
    for token in ("$$", "\\frac", "\\delta", "\\sigma", "\\partial", "\\(", "\\["):
        assert token not in raw, f"{name}: {token!r} left untypeset in the text"
    assert not re.search(r"\$[^$\s][^$\n]*\$", raw), f"{name}: $…$ left in the text"
    assert r.page.eval_on_selector_all(".katex-error", "es => es.length") == 0


def test_the_derivation_keeps_every_section_anchor_the_code_cites(read):
    r = read("backprop.html")
    ids = set(r.page.eval_on_selector_all("h2[id]", "hs => hs.map(h => h.id)"))
    # the anchors GitHub gives the headings, which code and notebooks link to
    assert {"1-notation", "6-bp2-the-error-of-a-hidden-layer", "8-σz--σz1--σz",
            "9-cross-entropy-with-sigmoid-outputs-δl--al--y", "10-further-reading"} <= ids


def test_a_notebook_is_rendered_with_its_outputs_from_this_build(read):
    r = read("notebooks/02_backprop_equations.html")
    outputs = r.page.eval_on_selector_all(".jp-OutputArea-output", "os => os.length")
    assert outputs >= 10
    # draw_dot's graphs, as Jupyter shows them: the SVG at its natural size in a scrolling box
    assert r.page.eval_on_selector_all(".jp-OutputArea-output .microgrid-drawing svg",
                                       "s => s.length") >= 1
    text = r.page.inner_text("article")
    assert "BP2" in text and "Traceback" not in text
    # its link to the derivation was written for GitHub (../docs/backprop.md); here it is a page
    hrefs = r.page.eval_on_selector_all("article a[href*='backprop.']",
                                        "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("../backprop.html") for h in hrefs), hrefs


def test_the_api_page_lists_value_backward(read):
    r = read("api.html")
    assert r.page.locator("[id='microgrid.Value.backward']").count() == 1
    assert "backward" in r.page.inner_text("[id='microgrid.Value.backward']")
    doc = r.page.locator("[id='microgrid.Value.backward'] ~ .doc-contents").first.inner_text()
    assert "grad" in doc  # its docstring is there, whatever the engine's words


def test_the_live_explorer_steps_forward_with_the_arrow_key(read):
    r = read("explorer-demo.html")
    frame = r.page.frame_locator("iframe.mg-explorer")
    counter = frame.locator("#counter")
    first = counter.inner_text()
    assert re.fullmatch(r"0 / \d+", first), first
    frame.locator("#graph").click()  # the reader clicks into it, then presses →
    r.page.keyboard.press("ArrowRight")
    assert counter.inner_text() == "1 / " + first.split(" / ")[1]
    r.page.keyboard.press("ArrowRight")
    assert counter.inner_text().startswith("2 / ")


def test_search_works_from_file_without_a_network(read):
    r = read("index.html")
    r.page.click(".md-search__input")
    r.page.keyboard.type("hinge")
    r.page.wait_for_selector(".md-search-result__item", timeout=15000)
    assert r.page.eval_on_selector_all(".md-search-result__item", "is => is.length") >= 1


# ---------------------------------------------------------------------------- the build's checks
def test_the_built_site_has_every_page_of_the_nav(site):
    for name in ["index.html", "backprop.html", "api.html", "reliability.html", "benchmarks.html",
                 "explorer-demo.html", "demo-explorer.html", "guide/engine.html",
                 "guide/explorer.html", "guide/ops.html", "guide/torch.html",
                 *(f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb"))]:
        assert (site / name).is_file(), name
    assert hooks.check_site(site) == []


def test_the_benchmarks_page_shows_bench_results_tables(site):
    results = (ROOT / "bench" / "results.md").read_text(encoding="utf-8")
    first_row = next(line for line in results.splitlines() if line.startswith("| microgrid |"))
    cell = first_row.split("|")[2].strip()  # e.g. "16.2 ms": the generated file's number
    page = (site / "benchmarks.html").read_text(encoding="utf-8")
    assert f"<td>{cell}</td>" in page


def test_the_check_refuses_a_cdn_a_broken_link_and_a_missing_anchor(tmp_path):
    (tmp_path / "a.html").write_text(
        '<html><head><script src="https://cdn.example/katex.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/css"></head><body id="top">'
        '<a href="b.html#there">b</a><a href="missing.html">m</a><a href="#top">ok</a>'
        '<a href="https://example.org/">a link out is fine</a></body></html>',
        encoding="utf-8")
    (tmp_path / "b.html").write_text('<html><body><h2 id="here">b</h2></body></html>',
                                     encoding="utf-8")
    (tmp_path / "s.css").write_text("@import url(https://fonts.example/x.css);", encoding="utf-8")
    problems = hooks.check_site(tmp_path)
    assert any("loads https://cdn.example/katex.js" in p for p in problems)
    assert any("loads //fonts.example/css" in p for p in problems)
    assert any("missing.html: no such file" in p for p in problems)
    assert any("b.html has no #there" in p for p in problems)
    assert any("s.css: loads https://fonts.example/x.css" in p for p in problems)
    assert len(problems) == 5, problems


def test_notebook_pages_lose_the_cdn_mathjax_and_get_site_links():
    class File:
        src_uri = "notebooks/01_value_and_chain_rule.ipynb"

    class Page:
        file = File()
        toc = None

    html = ('<!-- Load mathjax --><script src="https://cdnjs.cloudflare.com/mathjax.js"> '
            '</script><!-- End of mathjax configuration -->'
            '<h1 id="1-a-value">1 · A <code>Value</code><a class="anchor-link" '
            'href="#1-a-value">¶</a></h1><p>see <a href="../docs/backprop.md'
            '#6-bp2-the-error-of-a-hidden-layer">§6</a> and '
            '<a href="02_backprop_equations.ipynb">next</a></p><h2 id="sub">Sub</h2>')
    page = Page()
    out = hooks.on_page_content(html, page, None, None)
    assert "cdnjs" not in out and "mathjax" not in out.lower()
    assert 'href="../backprop.html#6-bp2-the-error-of-a-hidden-layer"' in out
    assert 'href="02_backprop_equations.html"' in out
    (top,) = list(page.toc)
    assert top.id == "1-a-value" and top.title == "1 · A Value"
    assert [c.id for c in top.children] == ["sub"]


# ------------------------------------------------------------- the newcomer's pass (issue 28)
# Each page as a reader opens it on a laptop (1280×720) and on a large screen (1920×1080).
SIZES = [(1280, 720), (1920, 1080)]
NOTEBOOK_PAGES = [f"notebooks/{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
CODE_PAGES = ["index.html", "backprop.html", "guide/compile.html", "guide/training.html",
              "guide/saving.html", "benchmarks.html", "api.html", *NOTEBOOK_PAGES]
TABLE_PAGES = ["benchmarks.html", "backprop.html", "reliability.html", "guide/ops.html",
               "guide/training.html"]

# Every word or number (a signed, dotted run of letters and digits) of the given boxes' text that
# the browser set on more than one line: "-0.⏎1212595883", "com⏎pile".  A line may still break
# where a reader expects it (at a space, between ")(").
BROKEN_TOKENS = """(selector) => {
    const broken = [], word = /[-+−]?[\\p{L}\\p{N}_]+(?:\\.[\\p{L}\\p{N}_]+)*/gu;
    const r = document.createRange();  // one, reused: each Range stays live (tests/legible.py)
    for (const box of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode;
            for (const m of node.data.matchAll(word)) {
                r.setStart(node, m.index);
                r.setEnd(node, m.index + m[0].length);
                const tops = new Set([...r.getClientRects()].filter(q => q.width > 0)
                                     .map(q => Math.round(q.top)));
                if (tops.size > 1) broken.push(m[0]);
            }
        }
    }
    return broken; }"""

CODE_BOXES = ".md-typeset pre > code, .highlight-ipynb pre, .jp-OutputArea-output pre"


def open_at(browser, site, name: str, width: int, height: int, opened: list) -> Reader:
    opened.append(Reader(browser, site / name, width, height))
    return opened[-1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_notebook_outputs_never_break_a_line_inside_a_number_or_a_word(browser, site, name,
                                                                        size):
    with checked_at_the_end() as opened:
        r = open_at(browser, site, name, *size, opened)
        assert r.page.eval_on_selector_all(".jp-OutputArea-output pre", "ps => ps.length") >= 1
        broken = r.page.evaluate(BROKEN_TOKENS, ".jp-OutputArea-output pre")
        assert broken == [], f"{name}: set on two lines: {broken[:10]}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", CODE_PAGES)
def test_no_code_block_hides_text_to_the_right_or_breaks_a_word(browser, site, name, size):
    """A long line wraps at a space, inside its box: nothing to scroll to, nothing cut."""
    with checked_at_the_end() as opened:
        r = open_at(browser, site, name, *size, opened)
        wider = r.page.eval_on_selector_all(CODE_BOXES, """bs => bs
            .filter(b => b.scrollWidth > b.clientWidth + 1)
            .map(b => [b.scrollWidth, b.clientWidth, b.innerText.slice(0, 60)])""")
        assert wider == [], f"{name}: code wider than its box: {wider[:5]}"
        broken = r.page.evaluate(BROKEN_TOKENS, CODE_BOXES)
        assert broken == [], f"{name}: code set on two lines inside a word: {broken[:10]}"


@pytest.mark.parametrize("name", ["index.html", "api.html", "guide/compile.html"])
def test_the_copy_button_covers_no_code(read, name):
    r = read(name)
    covered = r.page.evaluate("""() => {
        const hit = [], range = document.createRange();  // one, reused (tests/legible.py)
        for (const nav of document.querySelectorAll('pre > .md-code__nav')) {
            const n = nav.getBoundingClientRect();
            const code = nav.parentElement.querySelector('code');
            const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const t = walker.currentNode;
                for (const m of t.data.matchAll(/\\S+/g)) {  // the ink, not a hanging space
                    range.setStart(t, m.index);
                    range.setEnd(t, m.index + m[0].length);
                    for (const q of range.getClientRects())
                        if (q.right > n.left && q.left < n.right && q.bottom > n.top
                            && q.top < n.bottom) hit.push(m[0]);
                }
            }
        }
        return hit; }""")
    assert covered == [], f"{name}: under the copy button: {covered[:5]}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", TABLE_PAGES)
def test_every_table_fits_the_text_column_in_type_a_reader_can_read(browser, site, name, size):
    with checked_at_the_end() as opened:
        r = open_at(browser, site, name, *size, opened)
        tables = r.page.evaluate("""() => {
            const column = document.querySelector('article').getBoundingClientRect();
            return [...document.querySelectorAll('article table')].map(t => {
                const box = t.getBoundingClientRect();
                const sizes = [...t.querySelectorAll('th, td, code')]
                    .map(e => parseFloat(getComputedStyle(e).fontSize));
                return {right: box.right - column.right, scroll: t.scrollWidth - t.clientWidth,
                        smallest: Math.min(...sizes), head: t.rows[0].innerText.slice(0, 50)};
            }); }""")
        assert tables
        for t in tables:
            assert t["right"] <= 1 and t["scroll"] <= 1, f"{name}: wider than the column: {t}"
            assert t["smallest"] >= 11, f"{name}: text under 11 px: {t}"


def test_the_benchmarks_chains_stay_on_one_line(read):
    """W2's chain column: `y = y + 1.0` is code a reader compares row by row."""
    r = read("benchmarks.html")
    lines = r.page.eval_on_selector_all(
        "article table td code", "cs => cs.map(c => [c.innerText, c.getClientRects().length])")
    chains = [(text, n) for text, n in lines if text.startswith("y = ")]
    assert len(chains) >= 4
    assert all(n == 1 for _, n in chains), chains


# plain notation a reader should see typeset: a one-letter (or Greek) base with ^ or _ after
# it (δ^L, ∇_a, Σ_n, C^n, z^l_j), or TeX left as text; identifiers (make_moons) do not match
RAW_NOTATION = re.compile(r"(?<![\w.])[A-Za-zδσ∇Σθ][\^_][\w{(]|\\(nabla|delta|sigma|partial)")
NOTATION_TEXT = """(selector) => [...document.querySelectorAll(selector)].map(e => {
    const copy = e.cloneNode(true);
    copy.querySelectorAll('pre, code, .katex, .headerlink').forEach(x => x.remove());
    return copy.textContent; }).join('\\n')"""


@pytest.mark.parametrize("name, where", [
    ("backprop.html", "article h2, article h3"),
    ("backprop.html", ".md-sidebar--secondary .md-nav"),
    ("api.html", ".doc-contents"),
    ("api.html", ".md-sidebar--secondary .md-nav"),
    ("notebooks/04_compiled_step.html", "article .jp-MarkdownCell"),
], ids=["derivation-headings", "derivation-toc", "api-docstrings", "api-toc", "notebook-4"])
def test_no_notation_is_left_as_plain_text(read, name, where):
    r = read(name)
    text = r.page.evaluate(NOTATION_TEXT, where)
    assert text.strip()
    raw = sorted({m.group(0) for m in RAW_NOTATION.finditer(text)})
    assert raw == [], f"{name} ({where}): left as plain text: {raw}"


def test_the_derivations_formula_headings_and_their_toc_entries_are_typeset(read):
    r = read("backprop.html")
    for anchor in ("8-σz--σz1--σz", "9-cross-entropy-with-sigmoid-outputs-δl--al--y"):
        assert r.page.locator(f"h2[id='{anchor}'] .katex").count() == 1, anchor
        toc = r.page.locator(f".md-sidebar--secondary a[href='#{anchor}'] .katex")
        assert toc.count() == 1, anchor
    # the API's BP1 reads as the derivation writes it: δ^L = ∇_a C ⊙ σ'(z^L)
    r = read("api.html")
    bp1 = r.page.locator("[id='microgrid.backprop.output_error'] ~ .doc-contents .katex").first
    assert "∇" in bp1.inner_text() and "⊙" in bp1.inner_text()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_api_badges_are_legible_and_member_headings_are_not_smaller_than_the_text(browser, site,
                                                                                  size):
    with checked_at_the_end() as opened:
        r = open_at(browser, site, "api.html", *size, opened)
        sizes = r.page.evaluate("""() => {
            const px = e => parseFloat(getComputedStyle(e).fontSize);
            return {body: px(document.querySelector('.doc-contents p')),
                    badges: [...document.querySelectorAll('.doc-label, .doc-label *')]
                        .map(e => [e.textContent.trim(), px(e)]),
                    names: [...document.querySelectorAll('.doc-heading .doc-object-name')]
                        .map(e => [e.textContent.trim(), px(e)])}; }""")
        assert {text for text, _ in sizes["badges"]} >= {"classmethod", "property"}
        small = [b for b in sizes["badges"] if b[1] < 11]
        assert small == [], f"badges under 11 px: {small[:5]}"
        smaller = [n for n in sizes["names"] if n[1] < sizes["body"]]
        assert smaller == [], f"headings smaller than the body's {sizes['body']} px: {smaller[:5]}"


def test_no_api_table_has_an_empty_cell(read):
    """Value's attributes have no types: a Name | Type | Description table left the Type cells
    of six of its seven rows empty."""
    r = read("api.html")
    empty = r.page.evaluate("""() => [...document.querySelectorAll('.doc-contents table')]
        .flatMap(t => [...t.rows].slice(1).filter(row => [...row.cells]
            .some(c => !c.innerText.trim())).map(row => row.innerText.trim().slice(0, 40)))""")
    assert empty == [], f"rows with an empty cell: {empty}"


def test_searching_delta_finds_the_derivation_and_the_pages_about_δ(read):
    r = read("index.html")
    r.page.click(".md-search__input")
    r.page.keyboard.type("delta")
    r.page.wait_for_selector(".md-search-result__item", timeout=15000)
    box = r.page.locator(".md-search-result__list").bounding_box()
    r.page.mouse.move(box["x"] + 50, box["y"] + 50)
    shown, same = 0, 0
    while same < 4:  # the results beyond the first ten load as the reader scrolls the list
        r.page.mouse.wheel(0, 3000)
        r.page.wait_for_timeout(250)
        now = r.page.locator(".md-search-result__item").count()
        same = same + 1 if now == shown else 0  # four scrolls that load nothing: all are listed
        shown = now
    found = r.page.eval_on_selector_all(
        ".md-search-result__link", "as => as.map(a => a.getAttribute('href').split('?')[0])")
    assert any(h.endswith("/backprop.html") for h in found), sorted(set(found))
    assert any(h.endswith("/guide/explorer.html") for h in found), sorted(set(found))


def test_the_search_index_names_the_symbols_a_section_uses(site):
    import search_words  # docs/search_words.py, the hook that adds the names

    assert search_words.keywords("the error δ^l_j and σ'(z)").split() == ["delta", "sigma"]
    assert search_words.keywords(r"\(\delta^L = \nabla_a C\)").split() == ["delta", "nabla"]
    assert search_words.keywords(r"\deltax and deltas") == ""
    js = (site / "search" / "search_index.js").read_text(encoding="utf-8")
    index = json.loads(js.removeprefix("var __index = "))
    assert "keywords" in index["config"]["fields"]
    derivation = [d for d in index["docs"] if d["location"].startswith("backprop.html#6-")]
    assert derivation and "delta" in derivation[0]["keywords"].split()


def test_the_compile_guide_says_what_w1_is_where_it_first_names_it():
    text = (ROOT / "docs" / "guide" / "compile.md").read_text(encoding="utf-8")
    first = text.index("W1")
    assert "2-16-16-1" in text[first:first + 200], text[first - 100:first + 200]


def test_notebook_titles_are_numbered_as_the_navigation_numbers_them():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        number = int(path.name.split("_")[0])
        nb = json.loads(path.read_text(encoding="utf-8"))
        title = "".join(nb["cells"][0]["source"]).splitlines()[0]
        assert title.startswith(f"# {number} · "), (path.name, title)
        assert re.search(rf'"{number} · [^"]+": notebooks/{path.name}', nav), path.name


# mkdocs-jupyter 0.27's MathJax loader (Python 3.12+), as it writes it into every page: no
# <script src>, the CDN's URL in a data attribute that its code reads and loads
MATHJAX_0_27 = (
    '<script data-mkdocs-jupyter-mathjax="{&quot;url&quot;: &quot;https://cdn.jsdelivr.net/'
    'npm/mathjax@4.1.3/tex-mml-chtml.js&quot;, &quot;version&quot;: 4}">\n(() => {\n  const '
    'config = JSON.parse(document.currentScript.dataset.mkdocsJupyterMathjax);\n  const s = '
    'document.createElement("script");\n  s.src = config.url;\n  document.head.append(s);\n'
    '})();\n</script>')


def test_every_script_that_loads_from_outside_is_stripped_whatever_its_spelling():
    keep = ('<script src="../assets/katex/katex.min.js"></script>'
            '<script>const svg = document.createElementNS("http://www.w3.org/2000/svg", "g");'
            '</script>')
    page = ("<html><head>" + keep + '<script type="module">const m = await import('
            '"https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs");</script>'
            '<SCRIPT SRC=//cdn.example/x.js></SCRIPT>'
            '<script defer src="https://cdn.example/y.js" data-x="a > b"></script>'
            "</head><body><p>text</p>" + MATHJAX_0_27 + "</body></html>")
    out = hooks.strip_outside_scripts(page)
    assert out == "<html><head>" + keep + "</head><body><p>text</p></body></html>"


def test_the_check_refuses_whatever_a_page_loads_from_outside_whatever_the_tag(tmp_path):
    (tmp_path / "a.html").write_text(
        "<html><head>" + MATHJAX_0_27 + '<style>@import "https://fonts.example/f.css";</style>'
        '</head><body><img srcset="a.html 1x, https://img.example/a.png 2x">'
        '<div style="background: url(https://img.example/c.png)"></div>'
        '<iframe src="https://embed.example/v"></iframe><object data="https://obj.example/o">'
        '</object><video poster="https://img.example/p.jpg"></video>'
        '<svg><image href="https://img.example/i.svg"/></svg>'
        '<link rel="canonical" href="https://microgrid.example/a.html">'
        '<script>document.createElementNS("http://www.w3.org/2000/svg", "g")</script>'
        '<a href="https://example.org/">a link out is the reader\'s to follow</a>'
        "</body></html>", encoding="utf-8")
    problems = hooks.check_site(tmp_path)
    for url in ("https://cdn.jsdelivr.net/npm/mathjax@4.1.3/tex-mml-chtml.js",
                "https://fonts.example/f.css", "https://img.example/a.png",
                "https://img.example/c.png", "https://embed.example/v", "https://obj.example/o",
                "https://img.example/p.jpg", "https://img.example/i.svg"):
        assert any(url in p for p in problems), (url, problems)
    assert len(problems) == 8, "\n".join(problems)
