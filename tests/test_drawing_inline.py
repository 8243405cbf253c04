"""draw_dot shown inline (Jupyter, the site's notebook pages) is legible at 100 % (the API contract,
"draw_dot"): in a 570 px column every text is ≥ 11 px on screen, scripts ≥ 9 px, and a drawing
wider than the column scrolls instead of shrinking."""

from __future__ import annotations

import pytest
from legible import smallest, too_small
from pages import Opened, checked_at_the_end

from microgrid import MLP, draw_dot
from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y
from microgrid.losses import quadratic


def demo_drawing(**options):
    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, seed=DEMO_SEED)
    C = quadratic(mlp(DEMO_X), DEMO_Y)
    C.label = "C"
    C.backward()
    return draw_dot(C, **options)


def test_the_jupyter_display_offers_html_that_notebooks_prefer_and_the_svg():
    bundle = demo_drawing()._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "<svg" in bundle["text/html"]
    assert "<?xml" not in bundle["text/html"]


@pytest.mark.parametrize("options", [{}, {"local_grads": True}], ids=["plain", "local grads"])
def test_inline_in_a_570_px_column_every_text_is_legible_and_the_drawing_scrolls(
        browser, tmp_path, options):
    html = demo_drawing(**options)._repr_mimebundle_()["text/html"]
    path = tmp_path / "notebook.html"
    path.write_text("<!DOCTYPE html><html><body style='margin:0'><div style='width:570px'>"
                    f"{html}</div></body></html>", encoding="utf-8")
    with checked_at_the_end() as opened:
        opened.append(Opened(browser, path, 1280, 720))
        page = opened[-1].page
        assert too_small(page) == []
        text, script = smallest(page)
        assert text >= 11 and script >= 9
        box = page.evaluate("""() => { const d = document.querySelector('.microgrid-drawing');
            return [d.clientWidth, d.scrollWidth]; }""")
        assert box[0] <= 570 and box[1] > box[0]  # wider than the column: it scrolls
        page.click(".mg-zoom-out")  # never below its natural size
        assert too_small(page) == []
