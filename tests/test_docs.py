"""Every reference to the documentation resolves inside the repository.

A comment that cites `docs/tech-notes.md §2.4` must find that file and that section; a README
that names `docs/performance.md` must find it; nothing may send a reader to the shared notes
outside the repository, which a fresh clone does not have.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.settings import ROOT

TEXT_SUFFIXES = {".py", ".md", ".yml", ".yaml", ".toml", ".html", ".txt", ".cfg", ".ini", ""}
DOCS_PATH = re.compile(r"(?<![\w./-])docs/([\w./-]*\w)")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)")
OUTSIDE = re.compile(r"shared/(?:notes|spec)/")
TECH_NOTES = ROOT / "docs" / "tech-notes.md"
# Files that may still name the shared folder, and why.
MAY_NAME_SHARED = {
    # What the writers of blind sets read, in their own words: a record, not a reference.
    "tests/conversations/blind/README.md",
    "tests/conversations/blind2/README.md",
    "tests/nlu/blind4.yml",
    "tests/nlu/blind5.yml",
    "tests/nlu/blind6.yml",
    "tests/nlu/blind8.yml",
    "tests/nlu/blind9.yml",
    "tests/nlu/blind10.yml",
    "tests/nlu/blind11.yml",
    "tests/nlu/blind12.yml",
    "tests/nlu/blind13.yml",
    "tests/nlu/blind14.yml",
    "tests/nlu/blind15.yml",
    "tests/nlu/blind16.yml",
    "tests/nlu/blind17.yml",
    "tests/nlu/blind18.yml",
    "tests/nlu/blind19.yml",
    "tests/conversations/blind3/README.md",
    "tests/conversations/blind3/scenarios.yml",
    "tests/conversations/blind4/README.md",
    "tests/conversations/blind4/scenarios.yml",
    "tests/conversations/blind5/README.md",
    "tests/conversations/blind5/scenarios.yml",
    "tests/conversations/blind6/README.md",
    "tests/conversations/blind6/scenarios.yml",
    "tests/conversations/blind7/README.md",
    "tests/conversations/blind7/scenarios.yml",
    "tests/conversations/blind8/README.md",
    "tests/conversations/blind8/scenarios.yml",
    "tests/conversations/blind9/README.md",
    "tests/conversations/blind9/scenarios.yml",
    "tests/conversations/blind10/README.md",
    "tests/conversations/blind10/scenarios.yml",
    "tests/conversations/blind11/README.md",
    "tests/conversations/blind11/scenarios.yml",
    "tests/conversations/blind12/README.md",
    "tests/conversations/blind12/scenarios.yml",
    "tests/conversations/blind13/README.md",
    "tests/conversations/blind13/scenarios.yml",
    "tests/conversations/blind14/README.md",
    "tests/conversations/blind14/scenarios.yml",
    "tests/conversations/blind15/README.md",
    "tests/conversations/blind15/scenarios.yml",
    "tests/conversations/blind16/README.md",
    "tests/conversations/blind16/scenarios.yml",
    "tests/conversations/blind17/README.md",
    "tests/conversations/blind17/scenarios.yml",
}


def project_files() -> list[Path]:
    """The repository's text files (tracked or new, never ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    files = [ROOT / name for name in listed]
    return [p for p in files if p.is_file() and p.suffix in TEXT_SUFFIXES]


def sections(path: Path) -> set[str]:
    """The numbers of a Markdown file's numbered headings ("## 3. …", "### 2.4 …")."""
    found = re.findall(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", path.read_text(encoding="utf-8"), re.M)
    return set(found)


def references(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """(file, referenced text) for every match of `pattern` in the project's text files."""
    found = []
    for path in project_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [(str(path.relative_to(ROOT)), m.group(1)) for m in pattern.finditer(text)]
    return found


def test_the_scan_sees_the_references_it_checks() -> None:
    """The patterns find the known citations (a scan that finds nothing would prove nothing)."""
    cited = references(DOCS_PATH)
    assert ("bot/nlu/tokenizer.py", "tech-notes.md") in cited
    assert ("README.md", "performance.md") in cited
    assert ("bot/engine/locks.py", "3") in references(SECTION)


def test_every_docs_path_named_anywhere_exists() -> None:
    missing = [(f, ref) for f, ref in references(DOCS_PATH) if not (ROOT / "docs" / ref).exists()]
    assert missing == []


def test_every_section_cited_exists_in_the_tech_notes() -> None:
    known = sections(TECH_NOTES)
    assert {"1.4", "2.4", "3"} <= known
    missing = [(f, ref) for f, ref in references(SECTION) if ref not in known]
    assert missing == []


def test_nothing_sends_the_reader_outside_the_repository() -> None:
    outside = {f for f, _ in references(re.compile(f"({OUTSIDE.pattern})"))}
    assert outside - MAY_NAME_SHARED == set()


@pytest.mark.parametrize("name", ["triage-labels.md", "tech-notes.md", "facts-vi.md"])
def test_the_documents_brought_in_are_listed_in_the_docs_index(name: str) -> None:
    assert f"]({name})" in (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
