"""The Document Server's format table (ONLYOFFICE/document-formats), as the fake needs it.

formats.json is a verbatim copy of the shared table so the fake stays independent of the project's own copy.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

# Document keys: the server's DOC_ID_REGEX. The 128-character limit is only in the docs.
KEY_PATTERN = re.compile(r"^[0-9-.a-zA-Z_=]*$")
DOCUMENT_TYPES = ("word", "cell", "slide", "pdf", "diagram")
# Deprecated since 6.1 but still accepted by the editor.
LEGACY_DOCUMENT_TYPES = {"text": "word", "spreadsheet": "cell", "presentation": "slide"}
OOXML_BY_TYPE = {"word": "docx", "cell": "xlsx", "slide": "pptx", "pdf": "docx"}
ODF_BY_TYPE = {"word": "odt", "cell": "ods", "slide": "odp"}

# The server's internal format codes (AVS_OFFICESTUDIO_FILE_*); they show up in conversion links.
FORMAT_CODES = {
    "docx": 65,
    "doc": 66,
    "odt": 67,
    "rtf": 68,
    "txt": 69,
    "html": 70,
    "epub": 72,
    "fb2": 73,
    "docm": 75,
    "dotx": 76,
    "dotm": 77,
    "ott": 79,
    "md": 87,
    "pptx": 129,
    "ppt": 130,
    "odp": 131,
    "ppsx": 132,
    "pptm": 133,
    "potx": 135,
    "otp": 138,
    "xlsx": 257,
    "xls": 258,
    "ods": 259,
    "csv": 260,
    "xlsm": 261,
    "xltx": 262,
    "xltm": 263,
    "xlsb": 264,
    "ots": 266,
    "pdf": 513,
    "pdfa": 521,
    "jpg": 1025,
    "png": 1029,
    "bmp": 1027,
    "gif": 1028,
}


@cache
def _table() -> dict[str, dict]:
    entries = json.loads((Path(__file__).with_name("formats.json")).read_text(encoding="utf-8"))
    return {entry["name"]: entry for entry in entries}


def document_type(file_type: str) -> str | None:
    """word/cell/slide/pdf/diagram for an editor format, None for unknown or image-only formats."""
    entry = _table().get(file_type.lower())
    return (entry or {}).get("type") or None


def convert_targets(file_type: str) -> list[str]:
    entry = _table().get(file_type.lower())
    return list((entry or {}).get("convert", []))


def all_document_formats() -> dict[str, str]:
    """Extension → document type, for every format the editor opens."""
    return {name: entry["type"] for name, entry in _table().items() if entry.get("type")}


def normalize_document_type(value: str) -> str | None:
    if value in DOCUMENT_TYPES:
        return value
    return LEGACY_DOCUMENT_TYPES.get(value)
