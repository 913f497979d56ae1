"""Which files ONLYOFFICE can open, edit or convert (data: connector/data/onlyoffice-formats.json).

The table is ONLYOFFICE's own document-formats list. "edit" formats are edited in place; "lossy-edit" ones
only when the admin allows it (saving may drop features the format cannot hold); "auto-convert" ones are
offered a conversion to OOXML first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data" / "onlyoffice-formats.json"
DOCUMENT_TYPES = ("word", "cell", "slide", "pdf", "diagram")
OOXML_TARGET = {"word": "docx", "cell": "xlsx", "slide": "pptx"}
# What people usually want from "Download as", listed before the rarer targets (sorting is stable).
_COMMON_TARGETS = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "txt", "csv", "rtf")


@dataclass(frozen=True)
class Format:
    name: str
    document_type: str
    actions: frozenset[str]
    convert: tuple[str, ...]
    mime: tuple[str, ...]

    @property
    def viewable(self) -> bool:
        return "view" in self.actions

    @property
    def editable(self) -> bool:
        return "edit" in self.actions

    @property
    def lossy_editable(self) -> bool:
        return "lossy-edit" in self.actions

    @property
    def auto_convert(self) -> bool:
        return "auto-convert" in self.actions

    @property
    def ooxml_target(self) -> str | None:
        target = OOXML_TARGET.get(self.document_type)
        if target is None and self.document_type == "pdf" and "docx" in self.convert:
            target = "docx"
        return target if target and target in self.convert else None


@cache
def _table() -> dict[str, Format]:
    entries = json.loads(_DATA.read_text(encoding="utf-8"))
    return {
        entry["name"]: Format(
            name=entry["name"],
            document_type=entry.get("type") or "",
            actions=frozenset(entry.get("actions", ())),
            convert=tuple(entry.get("convert", ())),
            mime=tuple(entry.get("mime", ())),
        )
        for entry in entries
        if entry.get("type") in DOCUMENT_TYPES
    }


def format_for(extension: str) -> Format | None:
    """The format of a document extension ("docx"), or None for files ONLYOFFICE does not open."""
    return _table().get(extension.lower())


def can_view(extension: str) -> bool:
    fmt = format_for(extension)
    return fmt is not None and fmt.viewable


def can_edit_in_place(extension: str, lossy_allowed: frozenset[str] | set[str]) -> bool:
    fmt = format_for(extension)
    if fmt is None:
        return False
    return fmt.editable or (fmt.lossy_editable and fmt.name in lossy_allowed)


def supports(extension: str, action: str) -> bool:
    fmt = format_for(extension)
    return fmt is not None and action in fmt.actions


def lossy_formats() -> list[str]:
    """Every format that can be edited in place at some loss; the admin chooses among these."""
    return sorted(name for name, fmt in _table().items() if fmt.lossy_editable)


def ooxml_target(extension: str) -> str | None:
    """The OOXML extension ("docx", "xlsx", "pptx") a file is offered conversion to, or None.

    Only formats the table marks auto-convert: OOXML itself, txt and csv are edited as they are.
    """
    fmt = format_for(extension)
    if fmt is None or not fmt.auto_convert:
        return None
    return fmt.ooxml_target


def conversion_targets(extension: str) -> list[str]:
    """The document formats a viewable file can be converted to, the usual ones first.

    Image outputs (png, jpg, ...) and pdfa are left out: they are not documents ONLYOFFICE opens, and a
    multi-page document comes back from them as a zip of pages.
    """
    fmt = format_for(extension)
    if fmt is None or not fmt.viewable:
        return []
    targets = [target for target in fmt.convert if target != fmt.name and format_for(target) is not None]
    return sorted(targets, key=lambda target: _COMMON_TARGETS.index(target) if target in _COMMON_TARGETS else 99)
