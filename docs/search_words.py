"""mkdocs hook (mkdocs.yml: hooks): the site's search finds the notation by its name.

The pages write δ, σ, Σ, ∇, ∂ (and \\delta … in their TeX), which nobody types into a search box:
"delta" found nothing about δ.  Each entry of the search index whose title or text holds one of
these symbols gets the symbol's names in a field of its own, `keywords`, which the search
indexes (the index's config lists it among its fields) but no result shows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import mkdocs.plugins

# symbol → (its TeX, the words a reader types for it)
NAMES = {
    "δ": (r"\delta", "delta"),
    "σ": (r"\sigma", "sigma"),
    "Σ": (r"\sum", "sigma sum"),
    "∇": (r"\nabla", "nabla"),
    "∂": (r"\partial", "partial"),
    "θ": (r"\theta", "theta"),
    "η": (r"\eta", "eta"),
    "λ": (r"\lambda", "lambda"),
    "⊙": (r"\odot", "hadamard"),
}
# A name is rarer in the text than here, where every section about δ has it: the boost keeps
# those sections above a page that only spells "delta" in its code.
FIELD = "keywords"


def keywords(text: str) -> str:
    """The names of the symbols `text` holds, as Unicode or as TeX (\\delta, not \\deltax),
    each once per use up to 10, so that the sections about δ rank above one that mentions it."""
    found = []
    for symbol, (tex, words) in NAMES.items():
        uses = text.count(symbol) + len(re.findall(re.escape(tex) + r"(?![A-Za-z])", text))
        found += [words] * min(uses, 10)
    return " ".join(found)


def add_keywords(index: dict) -> dict:
    index["config"]["fields"][FIELD] = {"boost": 5.0}
    for doc in index["docs"]:
        words = keywords(doc.get("title", "") + " " + doc.get("text", ""))
        if words:
            doc[FIELD] = words
    return index


# after the search plugin writes search_index.json (priority 0), before the offline plugin
# copies it into search_index.js (priority -100), which is what the site reads from file://
@mkdocs.plugins.event_priority(-50)
def on_post_build(config) -> None:
    path = Path(config.site_dir) / "search" / "search_index.json"
    if path.is_file():
        index = add_keywords(json.loads(path.read_text(encoding="utf-8")))
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")
