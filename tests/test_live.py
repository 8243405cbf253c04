"""microgrid running in the site's pages: Run buttons, notebooks, the Playground, drawings.

The site is built as `./dev.sh docs` builds it, served on 127.0.0.1 by Python's http.server (the
command README gives) and read in Chromium.  Every test fails on a request that leaves
127.0.0.1 and on any error the page or its worker logs.  Python is Pyodide from npm, in a Web
Worker (docs/assets/live/worker.js); microgrid and graphviz are the wheels the build put in the
site, and drawings come from the page's Graphviz in WebAssembly through microgrid's renderer
seam (microgrid/drawing/svg.py), which the first tests check in this Python.

Building the site takes a minute or two; MICROGRID_SITE=path reads a site already built there
(`./dev.sh docs` writes site/) instead.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import microgrid as mg
from microgrid.drawing import GraphvizNotInstalled, draw_dot, render
from microgrid.drawing.svg import fix_svg

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TIMEOUT = 120_000  # ms: a cold Python on a loaded 2-core machine, with room to spare
HANG = 900_000  # ms: only a hang takes this long (the training guide trains 200 steps, uncompiled)


def a_neuron() -> mg.Value:
    x, w = mg.Value(0.5, "x"), mg.Value(-2.0, "w")
    C = (x * w).sigmoid()
    C.label = "C"
    C.backward()
    return C


# ------------------------------------------------------------------ the renderer seam (here)
def refuse_processes(monkeypatch) -> None:
    """Make this Python as Pyodide's: starting any program fails with OSError errno 138."""

    def refuse(*args, **kwargs):
        raise OSError(138, "emscripten does not support processes")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)


@pytest.fixture
def no_processes(monkeypatch):
    refuse_processes(monkeypatch)


@pytest.fixture
def in_a_page(monkeypatch):
    """This Python as the page's: sys.platform 'emscripten', and a `js` module whose
    microgridRenderDot is the page's Graphviz (here: SVG made beforehand by the real dot)."""
    made = {}

    def render_dot(source: str, format: str) -> str:
        made["source"] = source
        if format != "svg":
            raise RuntimeError(f"Error: unsupported format {format}")
        return made["svg"]

    g = draw_dot(a_neuron())
    made["svg"] = graphviz_svg = dot_svg(g)  # made by the dot program, before it is gone
    refuse_processes(monkeypatch)
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setitem(sys.modules, "js", types.SimpleNamespace(microgridRenderDot=render_dot))
    return made, graphviz_svg


def dot_svg(g) -> str:
    import graphviz

    return graphviz.Digraph.pipe(g, format="svg", encoding="utf-8")


@pytest.mark.parametrize(
    "how",
    [
        lambda g, p: g.pipe(format="svg"),
        lambda g, p: g._repr_mimebundle_(),
        lambda g, p: render(g, p / "g.svg"),
        lambda g, p: g.render(p / "g"),
        lambda g, p: mg.explore(a_neuron()),
    ],
    ids=["pipe", "jupyter", "render", "Digraph.render", "explore"],
)
def test_a_python_that_cannot_start_programs_gets_the_install_graphviz_error(
        no_processes, tmp_path, how):
    g = draw_dot(a_neuron())
    with pytest.raises(GraphvizNotInstalled) as info:
        how(g, tmp_path)
    assert "apt-get install graphviz" in str(info.value)
    assert "emscripten does not support processes" in str(info.value)


def test_a_file_that_cannot_be_written_is_not_called_a_missing_graphviz(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError) as info:
        draw_dot(a_neuron()).render(tmp_path / "a-file" / "g")
    assert not isinstance(info.value, GraphvizNotInstalled)


def test_in_a_page_drawings_come_from_the_page_renderer_and_no_program_runs(in_a_page):
    made, svg = in_a_page
    g = draw_dot(a_neuron())
    assert g.pipe(format="svg").decode("utf-8") == fix_svg(svg)
    assert made["source"] == g.source
    assert g._repr_mimebundle_()["image/svg+xml"] == fix_svg(svg)


def test_in_a_page_render_writes_the_page_renderers_svg(in_a_page, tmp_path):
    made, svg = in_a_page
    assert render(a_neuron(), tmp_path / "g.svg").read_text(encoding="utf-8") == fix_svg(svg)
    written = Path(draw_dot(a_neuron()).render(tmp_path / "h"))
    assert written.name == "h.svg" and written.read_text(encoding="utf-8") == fix_svg(svg)


def test_in_a_page_explore_draws_with_the_page_renderer(in_a_page):
    made, svg = in_a_page
    page = mg.explore(a_neuron()).html
    assert "<svg" in page and made["source"].startswith("digraph")


def test_in_a_page_a_format_the_page_cannot_write_is_a_clear_error(in_a_page, tmp_path):
    with pytest.raises(ValueError, match="could not render 'png'"):
        render(a_neuron(), tmp_path / "g.png")


def test_in_a_page_without_the_page_renderer_it_is_the_install_graphviz_error(
        monkeypatch, no_processes):
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setitem(sys.modules, "js", types.SimpleNamespace())
    with pytest.raises(GraphvizNotInstalled):
        draw_dot(a_neuron()).pipe(format="svg")


# ------------------------------------------------------------------ the built site
pytest.importorskip("mkdocs", reason="the site needs the docs tools: ./dev.sh docs installs "
                    "them (pip install -e '.[docs]')")
sys.path.insert(0, str(ROOT / "docs"))
import hooks  # noqa: E402 - docs/hooks.py, the site's build hooks


class Live:
    """A page of the served site, with every request (the worker's too) and error it caused."""

    def __init__(self, browser, url: str, expected_errors: str | None = None) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 720})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.expected = re.compile(expected_errors) if expected_errors else None
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:|blob:|about:)"),
                           self._refuse)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.page.on("request", self._request)
        self.page.on("console", lambda m: m.type == "error" and self._error(m.text))
        self.page.on("pageerror", lambda e: self._error(str(e)))
        self.page.on("worker", lambda w: w.on("console", lambda m: m.type == "error"
                                               and self._error(m.text)))
        self.page.goto(url, wait_until="load")

    def _refuse(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def _request(self, request) -> None:
        if not re.match(r"http://127\.0\.0\.1[:/]|data:|blob:|about:", request.url):
            self.outside.append(request.url)

    def _error(self, text: str) -> None:
        if self.expected is None or not self.expected.search(text):
            self.errors.append(text)

    def check_clean(self) -> None:
        assert self.outside == [], f"requests outside 127.0.0.1: {self.outside}"
        assert self.errors == [], f"errors in the page: {self.errors}"

    # the Playground
    def play(self, code: str) -> str:
        self.page.fill('[data-role="code"]', code)
        return self.run()

    def run(self) -> str:
        self.page.click('[data-role="run"]')
        self.page.wait_for_function(
            "() => !document.querySelector('[data-role=run]').disabled", timeout=TIMEOUT)
        return self.page.inner_text('[data-role="output"]')


@pytest.fixture
def live(browser, served):
    opened: list[Live] = []

    def open_(name: str, expected_errors: str | None = None) -> Live:
        opened.append(Live(browser, served + name, expected_errors))
        return opened[-1]

    yield open_
    for o in opened:
        o.check_clean()
        o.context.close()


def readme_output() -> str:
    return re.search(r"```python\n.*?```\n\n```\n(.*?)```", README, re.S)[1].strip()


# ------------------------------------------------------------------ the site's files
def test_readmes_first_screen_says_the_site_runs_microgrid_and_how_to_serve_it():
    first_screen = "\n".join(README.splitlines()[:20])
    assert "runs microgrid itself in its pages" in first_screen
    assert "python3 -m http.server -d site -b 127.0.0.1 8000" in first_screen
    assert "./dev.sh serve" in first_screen



def test_the_lock_file_lists_only_microgrid_and_graphviz_with_their_hashes(site):
    import hashlib

    lock = json.loads((site / "assets/live/pyodide/pyodide-lock.json").read_text())
    assert sorted(lock["packages"]) == ["graphviz", "microgrid"]
    for entry in lock["packages"].values():
        wheel = site / "assets/live/pyodide" / entry["file_name"]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"]


def test_the_site_serves_pyodides_core_and_graphviz_in_webassembly(site):
    for name in hooks.PYODIDE_CORE:
        assert (site / "assets/live/pyodide" / name).is_file()
    assert (site / "assets/live/viz.js").is_file()


def test_the_playground_starts_with_the_readme_example(live):
    page = live("playground.html").page
    assert page.input_value('[data-role="code"]').strip() == hooks.readme_example().strip()


# ------------------------------------------------------------------ running in the page
def test_run_on_get_started_prints_the_readmes_numbers(live):
    page = live("index.html").page
    page.click("article .mg-live-run >> nth=0")
    out = page.locator("article .mg-live-output >> nth=0")
    out.locator("pre").first.wait_for()
    page.wait_for_function("() => !document.querySelector('article .mg-live-run').disabled")
    assert out.inner_text().strip() == readme_output()


def test_python_starts_loading_as_soon_as_a_run_button_is_within_a_screen_of_sight(live):
    page = live("index.html").page  # Get started's first Run: on the second screen at 1280×720
    assert 720 < page.locator("article .mg-live-run").first.bounding_box()["y"] < 2 * 720
    # nothing pressed: the runtime leaves "idle" by itself, once the page has been laid out
    page.wait_for_function("() => window.MicrogridRuntime.state() !== 'idle'", timeout=10_000)
    page.wait_for_function("() => window.MicrogridRuntime.state() === 'ready'")


def test_while_python_loads_a_bar_says_what_it_is_doing_and_how_far(live):
    page = live("index.html").page
    page.click("article .mg-live-run >> nth=0")
    loading = page.locator("article .mg-live-loading")
    loading.wait_for()
    assert re.match(r"Loading Python \([0-5] of 5\): \w", loading.inner_text().strip())
    assert 0 <= loading.locator("progress").evaluate("b => b.value / b.max") <= 1
    loading.wait_for(state="detached")  # gone once Python is ready
    # then the example runs, and its output follows the bar
    first = readme_output().splitlines()[0]
    page.locator(f"article .mg-live-output >> text={first}").first.wait_for()
    assert page.locator("article .mg-live-loading").count() == 0


def test_the_playground_runs_draw_dot_and_shows_its_svg(live):
    lv = live("playground.html")
    lv.page.select_option('[data-role="examples"]', "draw")
    lv.run()
    svg = lv.page.locator('[data-role="output"] svg')
    assert svg.count() == 1
    text = svg.text_content()
    assert "0.5" in text and "−0.8" in text  # a^1_1 and w^2_12, as draw_dot prints them
    assert svg.locator("g.node").count() >= 8


def test_the_playground_runs_explore_and_its_steps_play(live):
    lv = live("playground.html")
    lv.page.select_option('[data-role="examples"]', "explore")
    lv.run()
    frame = lv.page.frame_locator('[data-role="output"] iframe')
    counter = frame.locator("#counter")
    last = counter.inner_text().split(" / ")[1]
    assert counter.inner_text() == f"0 / {last}"
    frame.locator("body").click()
    lv.page.keyboard.press("ArrowRight")
    lv.page.keyboard.press("ArrowRight")
    assert counter.inner_text() == f"2 / {last}"
    lv.page.keyboard.press("End")
    assert counter.inner_text() == f"{last} / {last}"


def test_a_compiled_training_loop_in_the_playground_prints_decreasing_losses(live):
    lv = live("playground.html")
    lv.page.select_option('[data-role="examples"]', "compile")
    out = lv.run()
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", out)]
    assert len(losses) == 10
    assert losses[-1] < losses[0] / 2
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 7


def test_an_example_that_raises_shows_its_traceback_and_the_next_run_works(live):
    lv = live("playground.html")
    lv.page.select_option('[data-role="examples"]', "raise")
    out = lv.run()
    assert "Traceback (most recent call last)" in out
    assert 'File "<example>", line 4' in out and "ValueError" in out
    assert "_run" not in out  # the runner's own frames are not shown
    assert lv.play("print(2 + 3)").strip() == "5"


def test_stop_ends_an_infinite_loop_and_python_works_again(live):
    lv = live("playground.html")
    lv.play("print('ready')")
    lv.page.fill('[data-role="code"]', "print('looping')\nwhile True:\n    pass")
    lv.page.click('[data-role="run"]')
    lv.page.locator('[data-role="output"] >> text=looping').wait_for()
    lv.page.click('[data-role="stop"]')
    lv.page.wait_for_function("() => !document.querySelector('[data-role=run]').disabled")
    assert "Stopped" in lv.page.inner_text('[data-role="output"]')
    assert lv.play("import microgrid\nprint(microgrid.Value(3.0) * 2)").strip().startswith(
        "Value(data=6")


def test_freeing_a_chain_deeper_than_the_stack_restarts_python_and_says_why(live):
    # CPython frees a chain of Values one inside the next; in Pyodide that overflows the
    # browser's stack and Python is dead: the worker is replaced and the output says why
    lv = live("playground.html", expected_errors=r"fatal error|Maximum call stack|RangeError"
              r"|Pyodide|^\s+at |Stack \(most recent|_run|<module>")
    out = lv.play("import microgrid\nx = microgrid.Value(1.0)\nfor _ in range(20000):\n"
                  "    x = x * 1.0\nx = None")
    assert "the browser's stack overflowed" in out and "restarted" in out
    assert lv.play("print(sum(range(4)))").strip() == "6"


def test_a_notebook_runs_in_the_page(live):
    page = live("notebooks/01_value_and_chain_rule.html").page
    page.click(".mg-live-run-notebook")
    page.wait_for_function("() => !document.querySelector('.mg-live-run-notebook').disabled",
                           timeout=HANG)
    editors = page.locator("textarea.mg-live-editor")
    assert editors.count() >= 10
    assert page.locator(".mg-live-error, .mg-live-restart").count() == 0
    assert page.locator(".mg-live-output svg").count() >= 1   # its draw_dot cells
    assert page.locator(".jp-Cell-outputWrapper:visible").count() == 0  # the build's: replaced
    # edit a cell and run it again: its output changes
    first = page.locator(".mg-live-output pre.mg-live-text").first
    assert first.inner_text().strip()
    editors.nth(1).fill("print('edited', 6 * 7)")
    page.locator(".mg-live-run").nth(1).click()
    page.locator(".mg-live-output >> text=edited 42").wait_for()


def test_from_file_the_live_parts_say_they_need_http_and_the_page_works(browser, site):
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / "index.html").as_uri(), wait_until="load")
    hint = page.locator(".mg-live-http")
    assert hint.count() == 1
    assert "python -m http.server -d site -b 127.0.0.1 8000" in hint.inner_text()
    assert page.locator(".mg-live-run").count() == 0
    assert page.locator(".katex").count() >= 3  # the static page still works
    play = ctx.new_page()
    play.on("pageerror", lambda e: errors.append(str(e)))
    play.goto((site / "playground.html").as_uri(), wait_until="load")
    assert "served over HTTP" in play.inner_text('[data-role="output"]')
    assert errors == []
    ctx.close()


# ------------------------------------------------------------------ every example of the site
EXAMPLE_PAGES = ["index.html", "backprop.html"] + [
    f"guide/{md.stem}.html" for md in sorted((ROOT / "docs" / "guide").glob("*.md"))
    if "```python" in md.read_text(encoding="utf-8")]
SHOWS = {"guide/drawing.html": "svg", "guide/explorer.html": "iframe"}  # the file it writes


@pytest.mark.parametrize("name", EXAMPLE_PAGES)
def test_every_python_example_runs_in_the_page_or_says_what_it_needs(live, name):
    page = live(name).page
    blocks = page.locator("article div.language-python").count()
    runs = page.locator("article .mg-live-run")
    needs = page.locator("article .mg-live-needs")
    assert blocks >= 1 and blocks == runs.count() + needs.count()
    for i in range(runs.count()):
        runs.nth(i).click()
        page.wait_for_function(
            f"() => !document.querySelectorAll('article .mg-live-run')[{i}].disabled",
            timeout=HANG)
        out = page.locator("article .mg-live-output").nth(i)
        assert out.locator(".mg-live-error, .mg-live-restart").count() == 0, out.inner_text()
        assert out.inner_text().strip() or out.locator("svg, iframe").count()
    if name in SHOWS:
        assert page.locator(f"article .mg-live-output {SHOWS[name]}").count() >= 1


def test_an_example_that_needs_torch_says_so_instead_of_a_run_button(live):
    page = live("guide/torch.html").page
    assert page.locator("article .mg-live-run").count() == 0
    assert "needs PyTorch" in page.inner_text("article .mg-live-needs")


def test_the_build_refuses_a_live_script_that_loads_from_outside_the_site(tmp_path):
    live_dir = tmp_path / hooks.LIVE
    live_dir.mkdir(parents=True)
    for js in (ROOT / "docs" / "assets" / "live").glob("*.js"):
        (live_dir / js.name).write_text(js.read_text(encoding="utf-8"), encoding="utf-8")
    assert hooks.check_site(tmp_path) == []
    worker = live_dir / "worker.js"
    worker.write_text(worker.read_text(encoding="utf-8").replace(
        '"./pyodide/pyodide.mjs"', '"https://cdn.jsdelivr.net/pyodide/v0.28.0/full/pyodide.mjs"'),
        encoding="utf-8")
    assert hooks.check_site(tmp_path) == [
        f"{hooks.LIVE}/worker.js: loads https://cdn.jsdelivr.net/pyodide/v0.28.0/full/pyodide.mjs"]


def test_a_notebook_that_needs_numpy_says_so_instead_of_a_broken_run(live):
    page = live("notebooks/02_backprop_equations.html").page
    assert page.locator(".mg-live-run-notebook").count() == 0
    assert "uses numpy" in page.inner_text("article .mg-live-needs")
