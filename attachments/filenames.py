"""Turning whatever a browser or client calls a file into a safe display title."""

from __future__ import annotations

import unicodedata

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
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: MAX_TITLE_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_TITLE_LENGTH]
    return name
