"""A page opened in Chromium from file://, with every request and console error it caused:
what the explorer's and the site's browser tests both read (the browser is conftest's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Opened:
    local = ("file:", "data:", "about:")  # what the page may load: itself, nothing from outside

    def __init__(self, browser, path: Path, width: int = 1000, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")

    def check_clean(self) -> None:
        outside = [u for u in self.requests if not u.startswith(self.local)]
        assert outside == [], f"the page made requests outside itself: {outside}"
        assert self.errors == [], f"console errors: {self.errors}"


@contextmanager
def checked_at_the_end() -> Iterator[list[Opened]]:
    """The pages a test opens (append them): when it ends, each is checked clean and closed."""
    opened: list[Opened] = []
    yield opened
    for o in opened:
        o.check_clean()
        o.page.close()
