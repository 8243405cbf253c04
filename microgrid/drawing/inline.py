"""A drawing as a notebook shows it (Jupyter, the site's notebook pages): legible, never shrunk.

Graphviz's own inline SVG is scaled down by every notebook to the width of its column: a
3-4-2 network's 2,800-point drawing in a 570 px column leaves 2–3 px text.  Here the drawing
keeps its natural size, one point of the drawing to one pixel (labels 14 px, operations 12 px,
sub- and superscripts 10 px: above the 11 px / 9 px floor), in a box that fits the
column and scrolls both ways; + and − buttons zoom in (never below the natural size: that is
the smallest size at which it reads).  Without JavaScript the box still scrolls.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r'<svg\b([^>]*?)\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"')
_SCRIPT_TEXT = re.compile(r'<text\b(?![^>]*\bclass=)([^>]*\bfont-size="(?:[0-9]|10)(?:\.0+)?"'
                          r'[^>]*)>')

# The buttons' few lines of script: scale the drawing by a factor ≥ 1 of its natural size.
_ZOOM = """<script>(function (box) {
  var svg = box.querySelector(".microgrid-drawing svg"), w = parseFloat(svg.getAttribute("width")),
      h = parseFloat(svg.getAttribute("height")), k = 1;
  function zoom(f) {
    k = Math.max(1, Math.min(4, k * f));
    svg.setAttribute("width", w * k); svg.setAttribute("height", h * k);
  }
  box.querySelector(".mg-zoom-in").onclick = function () { zoom(1.25); };
  box.querySelector(".mg-zoom-out").onclick = function () { zoom(0.8); };
  box.querySelector(".mg-zoom-bar").hidden = false;
}(document.currentScript.previousElementSibling));</script>"""


def inline_html(svg: str) -> str:
    """``svg`` (a fixed draw_dot SVG) as HTML for a notebook's output: natural size, scrolling."""
    svg = svg[svg.find("<svg"):]  # no XML prolog inside HTML
    svg = _SIZE.sub(lambda m: f'<svg{m.group(1)} width="{m.group(2)}" height="{m.group(3)}" '
                    'style="max-width: none; height: auto; display: block"', svg, count=1)
    # draw_dot sets sub- and superscripts at 10 pt: marked, for the size floor's 9 px
    svg = _SCRIPT_TEXT.sub(r'<text class="mg-script"\1>', svg)
    return (
        '<div class="microgrid-drawing-wrap">'
        '<div class="mg-zoom-bar" hidden style="text-align: right; margin-bottom: 2px">'
        '<button class="mg-zoom-in" title="zoom in" style="font-size: 14px">+</button> '
        '<button class="mg-zoom-out" title="zoom out (down to the natural size)" '
        'style="font-size: 14px">−</button></div>'
        '<div class="microgrid-drawing" style="max-width: 100%; overflow: auto; '
        'max-height: 560px; border: 1px solid #e4e4e4; background: #fff">'
        f"{svg}</div></div>{_ZOOM}"
    )
