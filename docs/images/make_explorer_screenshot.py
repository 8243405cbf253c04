"""Take the README's picture of the explorer: docs/images/explorer.png.

    python docs/images/make_explorer_screenshot.py            # → docs/images/explorer.png
    python docs/images/make_explorer_screenshot.py --states DIR
                                   # also start, mid-forward, mid-backward, end, certificate
                                   # and layer-view pictures in DIR, to look at

The page is `microgrid explore`'s (the demo network), opened from file:// in headless Chromium
(Debian's `chromium`, driven by Playwright), stopped in the middle of the backward pass with a
weight's certificate open, 900 px wide so its text stays readable in a README column.
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
from microgrid.cli import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y  # noqa: E402
from microgrid.engine import Const, topological  # noqa: E402
from microgrid.explore import explore  # noqa: E402
from microgrid.losses import quadratic  # noqa: E402

WIDTH, HEIGHT = 900, 1020


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
    values = [v for v in topological(C) if not isinstance(v, Const)]
    w = mlp.layers[1].neurons[0].w[1]  # w^3_12: its BP4 step and its certificate
    bp4 = next(s for s, step in enumerate(page_data.steps)
               if step["phase"] == "backward" and step["parent"] == values.index(w))
    forward_mid = page_data.data["firstBackward"] // 2

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = page_data.save(Path(tmp) / "explorer.html")
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(path.as_uri())

        def goto(step: int) -> None:
            page.keyboard.press("Home")
            for _ in range(step):
                page.keyboard.press("ArrowRight")

        def shot(name: str, **kw: object) -> None:
            if args.states:
                Path(args.states).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(args.states) / f"explore-{name}.png"), **kw)

        shot("start")
        goto(forward_mid)
        shot("mid-forward")
        goto(bp4)
        shot("mid-backward")
        page.keyboard.press("End")
        shot("end")
        page.click(f"#graph g.mg-value[data-node='{values.index(w)}']")
        shot("certificate", full_page=True)
        page.locator("#layers").screenshot(path=str(Path(args.states or tmp) /
                                                    "explore-layer-view.png"))
        goto(bp4)  # the README's picture: a BP4 step, with that weight's certificate open
        page.screenshot(path=args.out)
        browser.close()
    print(args.out)


if __name__ == "__main__":
    main()
