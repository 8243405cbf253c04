"""Legible at every size (issue 28; the API contract, "explore"): in Chromium, for the demo, a
2-16-16-1 and a 2-32-32-3 net, in a 1280×720 window and in a 570 px wide notebook column, in
each view, on opening, at 10 sampled steps and at End, every visible text is ≥ 11 px on screen
(sub- and superscripts ≥ 9 px), nothing overflows its panel sideways and the current step is in
view in the list.  The floor is measured as tests/legible.py says."""

from __future__ import annotations

import pytest
from legible import too_small
from pages import checked_at_the_end

from microgrid import MLP
from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y
from microgrid.explorer import explore
from microgrid.losses import quadratic

NETS = {"demo": DEMO_SIZES, "2-16-16-1": (2, 16, 16, 1), "2-32-32-3": (2, 32, 32, 3)}
_built: dict[str, object] = {}


def explorer_of(name: str):
    if name not in _built:
        nin, *nouts = NETS[name]
        mlp = MLP(nin, nouts, seed=DEMO_SEED if name == "demo" else 1)
        x = DEMO_X if name == "demo" else [0.5 * (-1) ** k * (k + 1) for k in range(nin)]
        y = DEMO_Y if name == "demo" else [1.0] * nouts[-1]
        C = quadratic(mlp(x), y)
        C.label = "C"
        _built[name] = explore(C, mlp=mlp, x=x, y=y)  # the default max_nodes takes 2-32-32-3
    return _built[name]


OVERFLOW = """() => {
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth + 1) out.push('the page');
  for (const id of ['now', 'steps', 'layer', 'below']) {
    const el = document.getElementById(id);
    if (el && !el.hidden && el.scrollWidth > el.clientWidth + 1) out.push('#' + id);
  }
  const list = document.getElementById('steps'), cur = list.querySelector('li.current');
  const b = list.getBoundingClientRect(), r = cur.getBoundingClientRect();
  if (r.top < b.top - 1 || r.top > b.bottom - 8) out.push('the current step out of the list');
  return out;
}"""


def open_frame(browser, tmp_path, explorer, where: str, opened: list):
    from pages import Opened

    if where == "window 1280x720":
        path = explorer.save(tmp_path / "explorer.html")
        o = Opened(browser, path, 1280, 720)
        opened.append(o)
        return o.page
    host = tmp_path / "notebook.html"  # the explorer as a notebook shows it, 570 px wide
    host.write_text("<!DOCTYPE html><html><body style='margin:0'><div style='width:570px'>"
                    f"{explorer._repr_html_()}</div></body></html>", encoding="utf-8")
    o = Opened(browser, host, 1280, 800)
    opened.append(o)
    o.page.wait_for_function("document.querySelector('iframe').contentDocument && "
                             "document.querySelector('iframe').contentDocument.body && "
                             "document.querySelector('iframe').contentDocument.body"
                             ".getAttribute('data-step') === '0'")
    return o.page.frames[1]


def settle(frame) -> None:
    frame.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                   "requestAnimationFrame(r)))")


@pytest.mark.parametrize("where", ["window 1280x720", "notebook column 570 px"])
@pytest.mark.parametrize("net", list(NETS))
def test_every_text_is_legible_in_every_view_at_every_sampled_step(browser, tmp_path, net,
                                                                   where):
    explorer = explorer_of(net)
    last = len(explorer.steps) - 1
    sampled = sorted({round(k * last / 11) for k in range(1, 11)})
    problems = []
    with checked_at_the_end() as opened:
        frame = open_frame(browser, tmp_path, explorer, where, opened)
        settle(frame)
        for view in ("graph", "net", "layer"):
            frame.evaluate(f"() => document.getElementById('view-{view}').click()")
            frame.evaluate("() => document.getElementById('home').click()")
            for at in ["opening", *sampled, "End"]:
                if at == "End":
                    frame.evaluate("() => document.getElementById('end').click()")
                elif at != "opening":
                    frame.evaluate(f"() => document.querySelector(\"#steps li[data-step='{at}']\")"
                                   ".click()")
                settle(frame)
                small = too_small(frame)
                if small:
                    problems.append((view, at, "too small", small[:3]))
                sideways = frame.evaluate(OVERFLOW)
                if sideways:
                    problems.append((view, at, "overflow", sideways))
    assert problems == []


def test_in_the_network_view_no_text_spills_out_of_its_neurons_box(browser, tmp_path):
    explorer = explorer_of("2-16-16-1")
    with checked_at_the_end() as opened:
        page = open_frame(browser, tmp_path, explorer, "window 1280x720", opened)
        page.keyboard.press("n")
        page.keyboard.press("End")  # every δ written: the longest texts
        spills = page.evaluate("""() => [...document.querySelectorAll('#net g.net-neuron')]
            .flatMap(g => { const r = g.querySelector('rect').getBBox();
              return [...g.querySelectorAll('text')].filter(t => t.textContent).map(t => {
                const b = t.getBBox();
                return b.x >= r.x && b.y >= r.y && b.x + b.width <= r.x + r.width &&
                       b.y + b.height <= r.y + r.height ? null : t.textContent; }); })
            .filter(x => x)""")
        assert spills == []
