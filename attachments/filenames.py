"""File names: whatever a browser or client calls a file made into a safe display title, its extension, and
the numbered name ("Report (2).docx") a file gets when its space already has one of that name.

Pure functions only; the attachment store's services apply them (attachments/services.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

MAX_TITLE_LENGTH = 255
# Bidirectional controls let "invoice\u202Excod.exe" display as "invoiceexe.docx": never keep them.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def clean_title(raw: str, *, fallback: str = "untitled") -> str:
    """A title safe to store and show: no path, no control or bidi characters, at most 255 characters.

    The extension is kept when the name must be shortened, because it decides how the file is opened.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"}
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = fallback
    if len(name) > MAX_TITLE_LENGTH:
        stem, ext = split_extension(name)
        if ext and len(ext) <= 16:
            name = stem[: MAX_TITLE_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_TITLE_LENGTH]
    return name


def split_extension(name: str) -> tuple[str, str]:
    """The name before its last dot and the extension after it, as spelt: ("Report", "DOCX") for "Report.DOCX".

    A name without a dot, with only a leading one (".profile") or ending in one has no extension: (name, "").
    """
    stem, dot, extension = name.rpartition(".")
    return (stem, extension) if dot and stem and extension else (name, "")


def file_type(name: str) -> str:
    """The extension in lower case ("docx"), "" for none: what decides how a file is served and opened."""
    return split_extension(name)[1].lower()


def with_extension(name: str, extension: str) -> str:
    """A clean title of ``name``'s stem with ``extension`` instead of its own ("Report.odt", "docx" → "Report.docx")."""
    stem = split_extension(clean_title(name))[0]
    return clean_title(f"{stem}.{extension}" if extension else stem)


# " (2)" at the end of a stem: the number a free name was given, which a later copy continues.
_NUMBER_MARKER = re.compile(r"^(?P<base>.*\S) \((?P<number>[1-9][0-9]{0,8})\)$")
_MAX_NUMBER = 999_999_999


def numbering_base(title: str) -> str:
    """The stem without its " (n)": "Report" for "Report (2).docx", the name the numbers are added to."""
    stem = split_extension(title)[0]
    match = _NUMBER_MARKER.match(stem)
    return match["base"] if match else stem


def numbering_prefix(title: str) -> str:
    """What ``title`` and all its numbered names start with: its base, cut as a long name's numbers cut it."""
    extension = split_extension(title)[1]
    room = MAX_TITLE_LENGTH - len(f" ({_MAX_NUMBER})") - (len(extension) + 1 if extension else 0)
    return numbering_base(title)[: max(room, 0)]


def free_title(title: str, taken: Container[str]) -> str:
    """``title`` if its lower case is not in ``taken`` (lower-cased names), else the first free numbered name.

    "Report.docx" becomes "Report (2).docx", then "Report (3).docx"; "Report (2).docx" continues at
    "Report (3).docx" rather than "Report (2) (2).docx". The result stays within MAX_TITLE_LENGTH, extension kept.
    """
    if title.lower() not in taken:
        return title
    base = numbering_base(title)
    extension = split_extension(title)[1]
    suffix = f".{extension}" if extension else ""
    number = 2
    while True:
        marker = f" ({number})"
        candidate = clean_title(f"{base[: MAX_TITLE_LENGTH - len(marker) - len(suffix)]}{marker}{suffix}")
        if candidate.lower() not in taken:
            return candidate
        number += 1
