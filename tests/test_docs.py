"""The project cites only what a user can open: its own derivation, docs/backprop.md.

* no file cites documents outside the repository ("document 004", "DESIGN.md", ...);
* every "§N" cited points at a section docs/backprop.md has, and its headings stay the ones
  the code cites (§1 Notation … §11 the op table);
* the code and tests docs/backprop.md names exist, and its code blocks run;
* the README links it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DERIVATION = ROOT / "docs" / "backprop.md"

# What the code, tests and notebooks cite, by section (HELPERS' list; changing a title or a
# number breaks every "docs/backprop.md §N" citation, so it is a contract).
SECTIONS = {
    1: "Notation",
    2: "The forward pass",
    3: "The cost of one example and of a data set",
    4: "The chain rule on a graph",
    5: "BP1: the error at the output layer",
    6: "BP2: the error of a hidden layer",
    7: "BP3 and BP4: gradients of biases and weights",
    8: "σ'(z) = σ(z)(1 − σ(z))",
    9: "Cross-entropy with sigmoid outputs: δ^L = a^L − y",
    10: "Further reading",
    11: "Every operation's derivative, written once: the op table",
}

# Citations of documents a user cannot open: the reference notes the project started from
# ("document 004", "doc 002", "documents 000/001") and its internal design contract.
OUTSIDE = re.compile(
    r"doc(?:ument)?s? ?0\d\d"
    r"|DESIGN\.md|shared/docs"
    r"|\bthe (?:reference )?documents\b|\bdocuments'|\bdocument layers?\b",
    re.IGNORECASE,
)


def project_files() -> list[Path]:
    """Every text file a user reads: code, tests, notebooks, docs, README, benchmarks."""
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "dev.sh"]
    for folder, pattern in [
        ("microgrid", "*.py"),
        ("tests", "*.py"),
        ("notebooks", "*.ipynb"),
        ("docs", "*.md"),
        ("docs", "*.py"),
        ("docs", "*.svg"),
        ("bench", "*.py"),
        ("bench", "*.md"),
    ]:
        files += sorted((ROOT / folder).rglob(pattern))
    this = Path(__file__).resolve()
    return [f for f in files if f.is_file() and f.resolve() != this]


def headings() -> dict[int, str]:
    """{N: title} of the derivation's ``## §N title`` headings, in file order."""
    found = re.findall(r"^## §(\d+) (.+?)\s*$", DERIVATION.read_text(encoding="utf-8"), re.M)
    return {int(n): title for n, title in found}


def test_there_are_files_to_check():
    names = {f.name for f in project_files()}
    assert {"README.md", "engine.py", "test_equations.py", "backprop.md"} <= names
    assert any(n.endswith(".ipynb") for n in names)


def test_no_file_cites_a_document_outside_the_repository():
    hits = []
    for f in project_files():
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for m in OUTSIDE.finditer(line):
                hits.append(f"{f.relative_to(ROOT)}:{n}: {m.group(0)!r} in {line.strip()[:90]!r}")
    assert not hits, "cite docs/backprop.md §N instead:\n" + "\n".join(hits)


def test_the_derivation_has_the_sections_the_code_cites_in_order():
    found = re.findall(r"^## §(\d+) ", DERIVATION.read_text(encoding="utf-8"), re.M)
    assert [int(n) for n in found] == list(SECTIONS)
    assert headings() == SECTIONS


def test_every_section_cited_anywhere_exists():
    # A citation is "docs/backprop.md §6", a list "§3, §5" or a range "§5–§7"; files that
    # cite the derivation also say "(BP2, §6)".  Every § number must be a section.
    sections = headings()
    bad = []
    for f in [*project_files(), DERIVATION]:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for number in re.findall(r"§\s?(\d+)", line):
                if int(number) not in sections:
                    bad.append(f"{f.relative_to(ROOT)}:{n}: §{number} in {line.strip()[:90]!r}")
    assert not bad, f"docs/backprop.md has sections §1–§{max(sections)} only:\n" + "\n".join(bad)


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → '-'."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_links_into_the_derivation_point_at_its_headings():
    anchors = {slug(f"§{n} {title}") for n, title in headings().items()}
    bad = []
    for f in [*project_files(), DERIVATION]:
        text = f.read_text(encoding="utf-8")
        for anchor in re.findall(r"backprop\.md#([^)\s\"]+)", text):
            if anchor not in anchors:
                bad.append(f"{f.relative_to(ROOT)}: #{anchor}")
        if f == DERIVATION:
            bad += [f"docs/backprop.md: #{a}" for a in re.findall(r"\]\(#([^)]+)\)", text)
                    if a not in anchors]
    assert not bad, f"no such heading (anchors are {sorted(anchors)}):\n" + "\n".join(bad)


def test_readme_links_the_derivation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/backprop.md)" in readme


def test_tests_named_in_the_derivation_exist():
    text = DERIVATION.read_text(encoding="utf-8")
    named = re.findall(r"(tests/test_\w+\.py)::(test_\w+)", text)
    assert len(named) >= 10
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert not missing, missing


def test_code_named_in_the_derivation_exists():
    # "**In the code:** `microgrid/backprop.py` `output_error` ...": each function, class or
    # Class.method named after a file must be defined in that file.
    text = DERIVATION.read_text(encoding="utf-8")
    checked, missing = 0, []
    for paragraph in re.findall(r"\*\*In the code:\*\*(.*?)(?:\*\*Checked by|\n\n)", text, re.S):
        for path, rest in re.findall(r"`(microgrid/\w+\.py)`((?:(?!`microgrid/).)*)", paragraph,
                                     re.S):
            source = (ROOT / path).read_text(encoding="utf-8")
            for name in re.findall(r"`((?:[A-Z]\w*\.)?[A-Za-z_]\w*)`", rest):
                *cls, attr = name.split(".")
                ok = re.search(rf"^\s*(?:def|class) {attr}\b", source, re.M) and all(
                    re.search(rf"^class {c}\b", source, re.M) for c in cls
                )
                checked += 1
                if not ok:
                    missing.append(f"{path} {name}")
    assert checked >= 20
    assert not missing, missing


@pytest.mark.parametrize(
    "block",
    re.findall(r"```python\n(.*?)```", DERIVATION.read_text(encoding="utf-8"), re.S),
    ids=lambda b: b.splitlines()[0][:40],
)
def test_code_blocks_of_the_derivation_run(block):
    exec(compile(block, str(DERIVATION), "exec"), {})  # each block asserts what it shows
