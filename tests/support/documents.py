"""Real Office documents for the tests, made with python-docx."""

from __future__ import annotations

import io

import docx


def docx_bytes(*paragraphs: str) -> bytes:
    """A .docx with one paragraph per argument."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
