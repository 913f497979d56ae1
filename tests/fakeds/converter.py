"""The conversion service (protocol §5): POST /converter and the legacy /ConvertService.ashx."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from . import tokens
from .errors import DownloadFailed
from .formats import FORMAT_CODES, KEY_PATTERN, ODF_BY_TYPE, OOXML_BY_TYPE, convert_targets, document_type
from .rendering import CannotRender, page_png, render, source_lines

if TYPE_CHECKING:
    from .blobs import Blob
    from .server import FakeDocServer

UNKNOWN, TIMEOUT, CONVERSION, DOWNLOAD, PASSWORD, DATABASE, INPUT, TOKEN, FORMAT, SIZE = range(-1, -11, -1)
IN_PROGRESS = {"percent": 0, "endConvert": False}


@dataclass
class Conversion:
    """A finished conversion (blob) or failure (error), kept under conv_<key>_<outputtype>."""

    title: str
    output_type: str
    blob: Blob | None = None
    error: int | None = None


def handle(server: FakeDocServer, body: Any, headers: Mapping[str, str], base_url: str) -> dict[str, Any]:
    """The JSON-shaped reply: {fileUrl, fileType, percent, endConvert}, in-progress, or {error}."""
    if not isinstance(body, dict):
        return {"error": INPUT}
    params = dict(body)
    if server.jwt_on:
        try:
            params = tokens.inbound_request(body, headers, server.secret or "", server.header)
        except (tokens.TokenMissing, tokens.TokenInvalid):
            return {"error": TOKEN}  # expired tokens too
    request = _parse(params)
    if isinstance(request, int):
        return {"error": request}
    key, url, input_type, output_type, title, is_async = request
    thumbnail = _thumbnail(params.get("thumbnail"))
    if isinstance(thumbnail, int):
        return {"error": thumbnail}
    if thumbnail is not None:
        with server._lock:
            server.thumbnail_options.append(thumbnail)
    # As on the real server, the cache is keyed by key and output type only: the thumbnail option is not part of it.
    cache_key = f"conv_{key}_{output_type}"
    cached = server.conversion(cache_key)
    if cached is not None:
        return _answer(server, cache_key, cached, is_async, base_url)
    conversion = _convert(server, key, url, input_type, output_type, title, thumbnail)
    if is_async:
        # The first async answer is always "in progress"; the identical next request gets the result.
        server.store_conversion(cache_key, conversion)
        return dict(IN_PROGRESS)
    if conversion.error is None:
        server.store_conversion(cache_key, conversion)
    return _answer(server, cache_key, conversion, is_async, base_url)


def _parse(params: Mapping[str, Any]) -> tuple[str, str, str, str, str, bool] | int:
    key, url = params.get("key"), params.get("url")
    if not isinstance(key, str) or not key or not KEY_PATTERN.match(key):
        return INPUT
    if not isinstance(url, str) or not url:
        return INPUT
    title = params.get("title") if isinstance(params.get("title"), str) else ""
    input_type = str(params.get("filetype") or params.get("fileType") or _extension(url) or _extension(title)).lower()
    kind = document_type(input_type)
    if kind is None:
        return INPUT
    output_type = str(params.get("outputtype") or params.get("outputType") or "").lower()
    if output_type == "ooxml":
        output_type = OOXML_BY_TYPE.get(kind, "")
    elif output_type == "odf":
        output_type = ODF_BY_TYPE.get(kind, "")
    if not output_type:
        return FORMAT
    if output_type != input_type and output_type not in convert_targets(input_type):
        return INPUT
    return key, url, input_type, output_type, title, params.get("async") is True


def _thumbnail(raw: Any) -> dict[str, Any] | int | None:
    """The `thumbnail` option as converterservice.js reads it: a JSON string is parsed (a malformed one throws,
    which the server answers with -1), an object is taken as it is, anything falsy means none."""
    if not raw:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return UNKNOWN
    # new CThumbnailData(obj) copies the four fields off whatever it is given; a non-object gives undefined ones.
    fields = raw if isinstance(raw, dict) else {}
    return {name: fields.get(name) for name in ("aspect", "first", "width", "height")}


def _convert(
    server: FakeDocServer,
    key: str,
    url: str,
    input_type: str,
    output_type: str,
    title: str,
    thumbnail: dict[str, Any] | None = None,
) -> Conversion:
    stem = posixpath.splitext(title)[0] if _extension(title) else title
    conversion = Conversion(title=stem or "output", output_type=output_type)
    injected = server.take_conversion_failure()
    if injected is not None:
        conversion.error = injected
        return conversion
    try:
        source = server.download(url)
    except DownloadFailed:
        conversion.error = DOWNLOAD
        return conversion
    if output_type == input_type or server.converter_returns_input:
        data, content_type = source, "application/octet-stream"
    elif output_type == "png":
        try:
            data, content_type = page_png(source_lines(source, input_type), document_type(input_type), thumbnail)
        except CannotRender:
            conversion.error = CONVERSION
            return conversion
    else:
        try:
            data, content_type = render(source_lines(source, input_type), output_type, title=conversion.title)
        except CannotRender:
            conversion.error = CONVERSION
            return conversion
    folder = f"conv_{key}_{FORMAT_CODES.get(output_type, 0)}"
    conversion.blob = server.blobs.put(folder, f"output.{output_type}", data, content_type)
    return conversion


def _answer(server: FakeDocServer, cache_key: str, conversion: Conversion, is_async: bool, base_url: str) -> dict:
    if conversion.error is not None:
        # A reported failure is not kept: repeating the request converts again.
        server.store_conversion(cache_key, None)
        return {"error": conversion.error}
    assert conversion.blob is not None
    filename = f"{conversion.title}.{conversion.output_type}"
    return {
        "fileUrl": server.link(conversion.blob, filename, base_url=base_url),
        "fileType": conversion.output_type,
        "percent": 100,
        "endConvert": True,
    }


def _extension(name: str) -> str:
    path = unquote(urlsplit(name).path) if "://" in name else name
    base = posixpath.basename(path)
    return base.rsplit(".", 1)[1].lower() if "." in base else ""


def to_xml(reply: Mapping[str, Any]) -> bytes:
    """The legacy XML shape of the same reply."""
    if "error" in reply:
        inner = f"<Error>{int(reply['error'])}</Error>"
    else:
        inner = (
            f"<FileUrl>{escape(str(reply.get('fileUrl', '')))}</FileUrl>"
            f"<FileType>{escape(str(reply.get('fileType', '')))}</FileType>"
            f"<Percent>{int(reply['percent'])}</Percent>"
            f"<EndConvert>{'True' if reply['endConvert'] else 'False'}</EndConvert>"
        )
    return f'<?xml version="1.0" encoding="utf-8"?><FileResult>{inner}</FileResult>'.encode()
