"""The templates the product ships, and a picture of each one's first page, written by scripts/make_templates.py
into doctemplates/builtin/<language>/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_noop

FOLDER = Path(__file__).resolve().parent / "builtin"


@dataclass(frozen=True)
class Builtin:
    key: str
    language: str
    filename: str
    # The name in the template's own language: it is offered first to those who read that language.
    name: str

    @property
    def path(self) -> Path:
        return FOLDER / self.language / self.filename

    @property
    def thumbnail_path(self) -> Path:
        """Its first page as a small PNG, written beside it by the script: the picture "New document" shows."""
        return self.path.with_suffix(".png")


_NAMES = {
    "en": {"letter": "Letter", "meeting-notes": "Meeting notes", "budget": "Budget", "slides": "Slide deck"},
    "de": {"letter": "Brief", "meeting-notes": "Besprechungsprotokoll", "budget": "Budget", "slides": "Präsentation"},
}
_FILES = {
    "letter": "letter.docx",
    "meeting-notes": "meeting-notes.docx",
    "budget": "budget.xlsx",
    "slides": "slides.pptx",
}
# The English names, for `make messages`' catalog of what the product says; the names are stored as written here.
_ = [gettext_noop("Letter"), gettext_noop("Meeting notes"), gettext_noop("Budget"), gettext_noop("Slide deck")]

BUILTINS: tuple[Builtin, ...] = tuple(
    Builtin(key=f"{kind}-{language}", language=language, filename=filename, name=_NAMES[language][kind])
    for language in _NAMES
    for kind, filename in _FILES.items()
)
