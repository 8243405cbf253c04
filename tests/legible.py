"""The size floor, measured as a person's eyes meet it (issue 28; the API contract, "explore" and
"draw_dot"): every visible text element in the viewport is at least 11 px on screen, a sub- or
superscript at least 9 px, where the size on screen is the font size × the element's screen
scale (an SVG text's getScreenCTM; an HTML text's scale is 1: the pages use no transforms).

A text counts when it is drawn: not hidden, not display:none, inside the viewport and not
scrolled out of a panel.  Sub- and superscripts are HTML <sub>/<sup> (and what they hold) and
SVG texts of class mg-script (draw_dot's scripts, marked by the explorer and the inline
display)."""

from __future__ import annotations

FLOOR, SCRIPT_FLOOR = 11.0, 9.0

SIZES = """() => {
  const out = [], W = innerWidth, H = innerHeight, seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  // One Range for every text: a Range stays live (updated on each change to the page) until it
  // is garbage-collected, and thousands of them made every later step of a big explorer slow.
  const range = document.createRange();
  while (walker.nextNode()) {
    const n = walker.currentNode, el = n.parentElement;
    if (!n.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('script, style, title, option, noscript')) continue;
    // where it is drawn first (cheap once laid out): most of a big graph is out of sight
    range.selectNodeContents(n);
    const r = [...range.getClientRects()].find(r => r.width > 0 && r.height > 0);
    if (!r || r.right <= 0 || r.bottom <= 0 || r.left >= W || r.top >= H) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || cs.display === 'none') continue;
    let clipped = false;  // scrolled out of a panel that clips it
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || (a.tagName === 'DETAILS' && !a.open &&
          !el.closest('summary'))) { clipped = true; break; }
      if (/(auto|scroll|hidden)/.test(s.overflowX + s.overflowY)) {
        const b = a.getBoundingClientRect();
        if (r.right <= b.left || r.left >= b.right || r.bottom <= b.top || r.top >= b.bottom) {
          clipped = true; break;
        }
      }
    }
    if (clipped) continue;
    const scale = el instanceof SVGElement ? el.getScreenCTM().a : 1;
    const script = !!el.closest('sub, sup') || el.classList.contains('mg-script');
    out.push([parseFloat(cs.fontSize) * scale, script, n.textContent.trim().slice(0, 40)]);
  }
  return out;
}"""


def too_small(frame) -> list[tuple[float, str]]:
    """The texts drawn below the floor in a page or frame: [(size in px, text)]."""
    return [(round(px, 2), text) for px, script, text in frame.evaluate(SIZES)
            if px < (SCRIPT_FLOOR if script else FLOOR) - 1e-6]


def smallest(frame) -> tuple[float, float]:
    """The smallest text and the smallest script drawn (px), for the report."""
    sizes = frame.evaluate(SIZES)
    return (min((px for px, s, _ in sizes if not s), default=float("inf")),
            min((px for px, s, _ in sizes if s), default=float("inf")))
