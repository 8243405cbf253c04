"""Take the documentation's picture of the explorer: docs/images/explorer.png.

    python docs/images/make_explorer_screenshot.py            # → docs/images/explorer.png
    python docs/images/make_explorer_screenshot.py --states DIR
                                   # also start, mid-wave and end in both views, at 1280×720
                                   # and 1920×1080, and the δ's and a certificate, in DIR

The page is `microgrid explore`'s (the demo network), opened from file:// in headless Chromium
(Debian's `chromium`, driven by Playwright) in a 1280×720 window, stopped at the BP2 step that
gives δ²₁, the whole Σ_k w³_k1 δ³_k on screen.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from microgrid import MLP  # noqa: E402
from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y  # noqa: E402
from microgrid.explorer import explore  # noqa: E402
from microgrid.losses import quadratic  # noqa: E402

SIZES = ((1280, 720), (1920, 1080))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "explorer.png"))
    parser.add_argument("--states", metavar="DIR", help="also save one picture per state here")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs Chromium: apt-get install chromium (and pip install playwright)")

    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, seed=DEMO_SEED)
    C = quadratic(mlp(DEMO_X), DEMO_Y)
    C.label = "C"
    page_data = explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y)
    bp2 = next(s for s, step in enumerate(page_data.steps) if step.get("kind") == "BP2")
    states = {"start": 0, "mid-wave": bp2, "end": len(page_data.steps) - 1}

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = page_data.save(Path(tmp) / "explorer.html")
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for width, height in SIZES if args.states else SIZES[:1]:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(path.as_uri())

            def goto(step: int, page: object = page) -> None:
                page.click(f"#steps li[data-step='{step}']")

            if args.states:
                out = Path(args.states)
                out.mkdir(parents=True, exist_ok=True)
                for view in ("graph", "network"):
                    for name, step in states.items():
                        goto(step)
                        shot = out / f"explore-{view}-{name}-{width}x{height}.png"
                        page.screenshot(path=str(shot))
                    page.click("#view")  # the other view; after both, the graph again
                page.click("#graph g.mg-leaf-clickable")
                page.screenshot(path=str(out / f"explore-below-{width}x{height}.png"),
                                full_page=True)
            if (width, height) == SIZES[0]:
                goto(bp2)  # the documentation's picture: δ²₁ from BP2, every term on screen
                page.screenshot(path=args.out)
            page.close()
        browser.close()
    print(args.out)


if __name__ == "__main__":
    main()
