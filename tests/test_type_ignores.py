"""Every silenced type error in the checked code names its error code and says why (pyproject.toml, [tool.mypy]).

mypy itself refuses an explicit ``Any`` (``disallow_any_explicit``) and reports an ignore that silences nothing
(``warn_unused_ignores``); what it cannot check is that an ignore carries a reason. The reason stands after the
ignore on its line (``# type: ignore[explicit-any]  # forwards Django's arguments``) or in a comment on the line
above.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("config", "attachments", "connector")
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)")


def _checked_files() -> list[Path]:
    return sorted(
        path for package in CHECKED for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
    )


def _unexplained_ignores(source: str) -> list[tuple[int, str]]:
    """(line, why) for each ``type: ignore`` comment without an error code or a reason."""
    comments = {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    lines = source.splitlines()
    found = []
    for number, comment in comments.items():
        match = IGNORE.search(comment)
        if match is None:
            continue
        if not match["codes"]:
            found.append((number, "names no error code"))
            continue
        reason_after = match["rest"].strip().lstrip("#").strip()
        above = lines[number - 2].strip() if number >= 2 else ""
        if not reason_after and not (above.startswith("#") and "type: ignore" not in above):
            found.append((number, "gives no reason"))
    return found


def test_it_finds_the_checked_code() -> None:
    assert len(_checked_files()) > 50


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = f()  # type: ignore\n", [(1, "names no error code")]),
        ("x = f()  # type: ignore[attr-defined]\n", [(1, "gives no reason")]),
        ("x = f()  # type: ignore[attr-defined]  # the stubs lack it\n", []),
        ("# The stubs lack it.\nx = f()  # type: ignore[attr-defined]\n", []),
        ('x = "# type: ignore"\n', []),
    ],
)
def test_it_tells_an_explained_ignore_from_an_unexplained_one(source: str, expected: list[tuple[int, str]]) -> None:
    assert _unexplained_ignores(source) == expected


def test_it_finds_a_reason_for_every_type_ignore() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{line}: {why}"
        for path in _checked_files()
        for line, why in _unexplained_ignores(path.read_text(encoding="utf-8"))
    ]
    assert unexplained == []
