"""Take the documentation's pictures of the explorer: docs/images/explorer*.png.

    python docs/images/make_explorer_screenshot.py            # → docs/images/explorer.png,
                                                              #   explorer-layer.png,
                                                              #   explorer-predict.png
    python docs/images/make_explorer_screenshot.py --states DIR [--nets demo 2-16-16-1 2-32-32-3]
                                   # also Home, mid-wave and End in each view, at 1280×720 and
                                   # 1920×1080, predict mode wrong and right, the δ's and a
                                   # certificate, for each net, in DIR

The page is `microgrid explore`'s (the demo network), opened from file:// in headless Chromium
(Debian's `chromium`, driven by Playwright) in a 1280×720 window: the graph view stopped at the
BP2 step that gives δ²₁; the layer view at the same step (BP2 as (W³)ᵀδ³ ⊙ σ′(z²) = δ², BP3 and
BP4 as δ²(a¹)ᵀ, the cells of later steps blank); and predict mode after a wrong number at the
first BP1 step (the step's known numbers, the answer blank).
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
NETS = {"demo": DEMO_SIZES, "2-16-16-1": (2, 16, 16, 1), "2-32-32-3": (2, 32, 32, 3)}


def explorer_of(name: str):
    nin, *nouts = NETS[name]
    mlp = MLP(nin, nouts, seed=DEMO_SEED if name == "demo" else 1)
    x = DEMO_X if name == "demo" else [0.5 * (-1) ** k * (k + 1) for k in range(nin)]
    y = DEMO_Y if name == "demo" else [1.0] * nouts[-1]
    C = quadratic(mlp(x), y)
    C.label = "C"
    return explore(C, mlp=mlp, x=x, y=y, max_nodes=None)


def goto(page, step: int) -> None:
    page.evaluate(f"() => document.querySelector(\"#steps li[data-step='{step}']\").click()")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def ask_wrong_then_right(page, explorer, step: int, out: Path, tag: str) -> None:
    page.keyboard.press("p")
    goto(page, step)
    v = explorer.steps[step]["ask"]["v"]
    page.fill("input[data-predict]", f"{3 * v + 0.1:.3g}")
    page.press("input[data-predict]", "Enter")
    page.screenshot(path=str(out / f"predict-wrong-{tag}.png"))
    page.fill("input[data-predict]", f"{v:.4g}")
    page.press("input[data-predict]", "Enter")
    page.screenshot(path=str(out / f"predict-right-{tag}.png"))
    page.keyboard.press("p")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE), help="where the documentation's pictures go")
    parser.add_argument("--states", metavar="DIR", help="also save one picture per state here")
    parser.add_argument("--nets", nargs="+", default=["demo"], choices=list(NETS))
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs Chromium: apt-get install chromium (and pip install playwright)")
    out = Path(args.out)

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name in args.nets if args.states else ["demo"]:
            explorer = explorer_of(name)
            path = explorer.save(Path(tmp) / f"{name}.html")
            bp2 = next(s for s, step in enumerate(explorer.steps) if step.get("kind") == "BP2")
            bp1 = next(s for s, step in enumerate(explorer.steps) if step.get("kind") == "BP1")
            states = {"home": 0, "mid-wave": bp2, "end": len(explorer.steps) - 1}
            for width, height in SIZES if args.states else SIZES[:1]:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(path.as_uri())
                if args.states:
                    where = Path(args.states)
                    where.mkdir(parents=True, exist_ok=True)
                    tag = f"{name}-{width}x{height}"
                    for view in ("graph", "net", "layer"):
                        page.evaluate(f"() => document.getElementById('view-{view}').click()")
                        for state, step in states.items():
                            goto(page, step)
                            page.screenshot(path=str(where / f"{view}-{state}-{tag}.png"))
                    page.evaluate("() => document.getElementById('view-graph').click()")
                    ask_wrong_then_right(page, explorer, bp1, where, tag)
                    page.keyboard.press("End")
                    page.click("#cert-pick")
                    page.select_option("#cert-pick", index=1)
                    page.screenshot(path=str(where / f"below-{tag}.png"), full_page=True)
                if name == "demo" and (width, height) == SIZES[0]:
                    page.goto(path.as_uri())  # afresh: nothing answered yet
                    goto(page, bp2)  # δ²₁ from BP2, every term on screen
                    page.screenshot(path=str(out / "explorer.png"))
                    page.keyboard.press("l")  # the same step as matrices
                    page.screenshot(path=str(out / "explorer-layer.png"))
                    page.keyboard.press("g")
                    ask_wrong_then_right(page, explorer, bp1, Path(tmp), "demo")
                    shutil.copy(Path(tmp) / "predict-wrong-demo.png", out / "explorer-predict.png")
                page.close()
        browser.close()
    print(out)


if __name__ == "__main__":
    main()
