"""Small but valid Office Open XML files (.docx, .xlsx, .pptx), written from scratch with zipfile.

Used for the demo data and for "new document" buttons: the files open in Word, Excel, PowerPoint,
LibreOffice and ONLYOFFICE. Each package carries what the strictest of them (Microsoft Office) demands:
``[Content_Types].xml``, the package relationships, core and app properties, the main part with its own
relationships and, for presentations, a slide master, a slide layout and a theme.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

APPLICATION = "onlyoffice-attachments"

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot carry at all; a stray one makes the whole part unreadable, so drop them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"

_REL_OFFICE_DOCUMENT = f"{_NS_DOC_REL}/officeDocument"
_REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_REL_APP = f"{_NS_DOC_REL}/extended-properties"

_CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
_CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
_CT_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CT_PRES = "application/vnd.openxmlformats-officedocument.presentationml"
_CT_THEME = "application/vnd.openxmlformats-officedocument.theme+xml"

Rel = tuple[str, str, str]  # (id, type, target)
Cell = str | int | float


def _text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_XML_INVALID.sub("", value))


def _relationships(rels: Sequence[Rel]) -> str:
    items = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in rels)
    return f'{_XML_HEAD}<Relationships xmlns="{_NS_REL}">{items}</Relationships>'


def _content_types(overrides: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides)
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{items}</Types>"
    )


def _core_properties(title: str, now: datetime) -> str:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_XML_HEAD}<cp:coreProperties"
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_text(title)}</dc:title><dc:creator>{APPLICATION}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app_properties() -> str:
    return (
        f"{_XML_HEAD}<Properties"
        ' xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>{APPLICATION}</Application></Properties>"
    )


def _package(*, main_part: str, title: str, overrides: Sequence[tuple[str, str]], parts: dict[str, str]) -> bytes:
    """Zip the parts with the package-level ones every format shares."""
    now = datetime.now(UTC).replace(microsecond=0)
    package_rels = [
        ("rId1", _REL_OFFICE_DOCUMENT, main_part),
        ("rId2", _REL_CORE, "docProps/core.xml"),
        ("rId3", _REL_APP, "docProps/app.xml"),
    ]
    all_parts = {
        # Some readers sniff the first entry, so the content types come first, as Office writes them.
        "[Content_Types].xml": _content_types(
            [*overrides, ("/docProps/core.xml", _CT_CORE), ("/docProps/app.xml", _CT_APP)]
        ),
        "_rels/.rels": _relationships(package_rels),
        "docProps/core.xml": _core_properties(title, now),
        "docProps/app.xml": _app_properties(),
        **parts,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, xml in all_parts.items():
            info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, xml.encode("utf-8"))
    return buffer.getvalue()


# --- Word ------------------------------------------------------------------------------------------------------


def _docx_paragraph(text: str) -> str:
    if not text:
        return "<w:p/>"
    return f'<w:p><w:r><w:t xml:space="preserve">{_text(text)}</w:t></w:r></w:p>'


_DOCX_STYLES = (
    f'{_XML_HEAD}<w:styles xmlns:w="{_NS_W}">'
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    '<w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/>'
    '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-US"/>'
    "</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="259" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
    "</w:docDefaults>"
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>'
    "</w:styles>"
)


def docx_bytes(paragraphs: Sequence[str], *, title: str = "") -> bytes:
    """A Word document with one plain paragraph per string (an A4 page, Calibri 11)."""
    # A body needs at least one paragraph before its section properties, even when the document is empty.
    body = "".join(_docx_paragraph(text) for text in paragraphs) or "<w:p/>"
    document = (
        f'{_XML_HEAD}<w:document xmlns:w="{_NS_W}" xmlns:r="{_NS_DOC_REL}"><w:body>{body}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"'
        ' w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>'
        "</w:body></w:document>"
    )
    return _package(
        main_part="word/document.xml",
        title=title,
        overrides=[
            ("/word/document.xml", f"{_CT_WORD}.document.main+xml"),
            ("/word/styles.xml", f"{_CT_WORD}.styles+xml"),
        ],
        parts={
            "word/document.xml": document,
            "word/_rels/document.xml.rels": _relationships([("rId1", f"{_NS_DOC_REL}/styles", "styles.xml")]),
            "word/styles.xml": _DOCX_STYLES,
        },
    )


# --- Excel -----------------------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """The spreadsheet name of a zero-based column index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# Excel refuses a workbook whose styles lack the default font, the two reserved fills and one border.
_XLSX_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_NS_S}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xlsx_cell(ref: str, value: Cell, strings: dict[str, int]) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"cell {ref}: {value!r} cannot be stored in a spreadsheet")
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    # Text goes to the shared strings table, which is how every spreadsheet program writes it.
    index = strings.setdefault(str(value), len(strings))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def xlsx_bytes(rows: Sequence[Sequence[Cell]], *, sheet_name: str = "Sheet1", title: str = "") -> bytes:
    """A workbook with one sheet holding the rows (text is text, numbers are numbers; no formulas)."""
    strings: dict[str, int] = {}
    row_xml = []
    for row_number, row in enumerate(rows, start=1):
        cells = "".join(
            _xlsx_cell(f"{column_letter(col)}{row_number}", value, strings)
            for col, value in enumerate(row)
            if value != ""
        )
        if cells:
            row_xml.append(f'<row r="{row_number}">{cells}</row>')
    sheet = f'{_XML_HEAD}<worksheet xmlns="{_NS_S}"><sheetData>{"".join(row_xml)}</sheetData></worksheet>'
    shared = "".join(f'<si><t xml:space="preserve">{_text(text)}</t></si>' for text in strings)
    shared_strings = (
        f'{_XML_HEAD}<sst xmlns="{_NS_S}" count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
    )
    # Sheet names are at most 31 characters and exclude a few characters Excel reserves.
    safe_name = re.sub(r"[\\/?*\[\]:]", " ", sheet_name).strip()[:31] or "Sheet1"
    workbook = (
        f'{_XML_HEAD}<workbook xmlns="{_NS_S}" xmlns:r="{_NS_DOC_REL}">'
        f'<sheets><sheet name={_attr(safe_name)} sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = [
        ("rId1", f"{_NS_DOC_REL}/worksheet", "worksheets/sheet1.xml"),
        ("rId2", f"{_NS_DOC_REL}/styles", "styles.xml"),
        ("rId3", f"{_NS_DOC_REL}/sharedStrings", "sharedStrings.xml"),
    ]
    return _package(
        main_part="xl/workbook.xml",
        title=title,
        overrides=[
            ("/xl/workbook.xml", f"{_CT_SHEET}.sheet.main+xml"),
            ("/xl/worksheets/sheet1.xml", f"{_CT_SHEET}.worksheet+xml"),
            ("/xl/styles.xml", f"{_CT_SHEET}.styles+xml"),
            ("/xl/sharedStrings.xml", f"{_CT_SHEET}.sharedStrings+xml"),
        ],
        parts={
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": _relationships(workbook_rels),
            "xl/worksheets/sheet1.xml": sheet,
            "xl/styles.xml": _XLSX_STYLES,
            "xl/sharedStrings.xml": shared_strings,
        },
    )


# --- PowerPoint ------------------------------------------------------------------------------------------------

_P_NAMESPACES = f'xmlns:a="{_NS_A}" xmlns:r="{_NS_DOC_REL}" xmlns:p="{_NS_P}"'
# A 16:9 slide in EMU, and where the title and the body sit on it.
_SLIDE_CX, _SLIDE_CY = 12192000, 6858000
_TITLE_BOX = (838200, 365125, 10515600, 1325563)
_BODY_BOX = (838200, 1825625, 10515600, 4351338)
# Ids of the master and its layouts share one range that starts at 2^31; slide ids start at 256.
_MASTER_ID, _LAYOUT_ID, _FIRST_SLIDE_ID = 2147483648, 2147483649, 256

_GROUP_HEADER = (
    '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
    '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
    '<a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>'
)


def _xfrm(box: tuple[int, int, int, int]) -> str:
    x, y, cx, cy = box
    return f'<a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'


def _pptx_paragraphs(lines: Sequence[str]) -> str:
    paragraphs = [
        f'<a:p><a:r><a:rPr lang="en-US" dirty="0"/><a:t>{_text(line)}</a:t></a:r></a:p>'
        if line
        else '<a:p><a:endParaRPr lang="en-US" dirty="0"/></a:p>'
        for line in lines
    ]
    return "".join(paragraphs) or '<a:p><a:endParaRPr lang="en-US" dirty="0"/></a:p>'


def _placeholder(*, shape_id: int, name: str, ph: str, sp_pr: str, lines: Sequence[str]) -> str:
    return (
        f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/>'
        f'<p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr>{ph}</p:nvPr></p:nvSpPr>'
        f"{sp_pr}<p:txBody><a:bodyPr/><a:lstStyle/>{_pptx_paragraphs(lines)}</p:txBody></p:sp>"
    )


def _title_and_body(title_lines: Sequence[str], body_lines: Sequence[str], *, boxes: bool) -> str:
    """The title and body placeholders; only the master places them, the others inherit the position."""
    title_pr = f"<p:spPr>{_xfrm(_TITLE_BOX)}</p:spPr>" if boxes else "<p:spPr/>"
    body_pr = f"<p:spPr>{_xfrm(_BODY_BOX)}</p:spPr>" if boxes else "<p:spPr/>"
    return _placeholder(
        shape_id=2, name="Title 1", ph='<p:ph type="title"/>', sp_pr=title_pr, lines=title_lines
    ) + _placeholder(shape_id=3, name="Content 2", ph='<p:ph idx="1"/>', sp_pr=body_pr, lines=body_lines)


def _level_style(size: int, font: str, *, bullet: bool) -> str:
    bullet_xml = '<a:buFont typeface="Arial"/><a:buChar char="&#8226;"/>' if bullet else "<a:buNone/>"
    margin = ' marL="228600" indent="-228600"' if bullet else ""
    return (
        f'<a:lvl1pPr{margin} algn="l">{bullet_xml}'
        f'<a:defRPr sz="{size}" kern="1200"><a:solidFill><a:schemeClr val="tx1"/></a:solidFill>'
        f'<a:latin typeface="{font}"/><a:ea typeface="{font}"/><a:cs typeface="{font}"/></a:defRPr></a:lvl1pPr>'
    )


_PPTX_MASTER = (
    f"{_XML_HEAD}<p:sldMaster {_P_NAMESPACES}><p:cSld><p:spTree>{_GROUP_HEADER}"
    + _title_and_body(["Title"], ["Text"], boxes=True)
    + "</p:spTree></p:cSld>"
    '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3"'
    ' accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
    f'<p:sldLayoutIdLst><p:sldLayoutId id="{_LAYOUT_ID}" r:id="rId1"/></p:sldLayoutIdLst>'
    "<p:txStyles>"
    f"<p:titleStyle>{_level_style(4400, '+mj-lt', bullet=False)}</p:titleStyle>"
    f"<p:bodyStyle>{_level_style(2800, '+mn-lt', bullet=True)}</p:bodyStyle>"
    f"<p:otherStyle>{_level_style(1800, '+mn-lt', bullet=False)}</p:otherStyle>"
    "</p:txStyles></p:sldMaster>"
)

_PPTX_LAYOUT = (
    f'{_XML_HEAD}<p:sldLayout {_P_NAMESPACES} type="obj" preserve="1">'
    f'<p:cSld name="Title and Content"><p:spTree>{_GROUP_HEADER}'
    + _title_and_body(["Title"], ["Text"], boxes=False)
    + "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"
)


def _theme() -> str:
    colours = {
        "dk1": '<a:sysClr val="windowText" lastClr="000000"/>',
        "lt1": '<a:sysClr val="window" lastClr="FFFFFF"/>',
        "dk2": '<a:srgbClr val="1F2937"/>',
        "lt2": '<a:srgbClr val="F3F4F6"/>',
        "accent1": '<a:srgbClr val="2563EB"/>',
        "accent2": '<a:srgbClr val="EA580C"/>',
        "accent3": '<a:srgbClr val="16A34A"/>',
        "accent4": '<a:srgbClr val="CA8A04"/>',
        "accent5": '<a:srgbClr val="7C3AED"/>',
        "accent6": '<a:srgbClr val="DB2777"/>',
        "hlink": '<a:srgbClr val="1D4ED8"/>',
        "folHlink": '<a:srgbClr val="6D28D9"/>',
    }
    colour_xml = "".join(f"<a:{name}>{value}</a:{name}>" for name, value in colours.items())
    fill = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = f'<a:ln w="6350">{fill}</a:ln>'
    effect = "<a:effectStyle><a:effectLst/></a:effectStyle>"
    # The format scheme's lists must hold at least three entries each, or PowerPoint calls the file corrupt.
    return (
        f'{_XML_HEAD}<a:theme xmlns:a="{_NS_A}" name="Attachments"><a:themeElements>'
        f'<a:clrScheme name="Attachments">{colour_xml}</a:clrScheme>'
        '<a:fontScheme name="Attachments">'
        '<a:majorFont><a:latin typeface="Calibri Light"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont>'
        '<a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont>'
        "</a:fontScheme>"
        '<a:fmtScheme name="Attachments">'
        f"<a:fillStyleLst>{fill * 3}</a:fillStyleLst>"
        f"<a:lnStyleLst>{line * 3}</a:lnStyleLst>"
        f"<a:effectStyleLst>{effect * 3}</a:effectStyleLst>"
        f"<a:bgFillStyleLst>{fill * 3}</a:bgFillStyleLst>"
        "</a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"
    )


def _pptx_slide(title: str, body: str) -> str:
    return (
        f"{_XML_HEAD}<p:sld {_P_NAMESPACES}><p:cSld><p:spTree>{_GROUP_HEADER}"
        + _title_and_body([title] if title else [], body.splitlines(), boxes=False)
        + "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
    )


def pptx_bytes(slides: Sequence[tuple[str, str]], *, title: str = "") -> bytes:
    """A 16:9 presentation with one "Title and Content" slide per (title, body); body lines become bullets."""
    rel = _NS_DOC_REL
    slide_parts = {f"ppt/slides/slide{n}.xml": _pptx_slide(*slide) for n, slide in enumerate(slides, start=1)}
    slide_count = len(slide_parts)
    slide_ids = "".join(f'<p:sldId id="{_FIRST_SLIDE_ID + n}" r:id="rId{n + 2}"/>' for n in range(slide_count))
    presentation = (
        f'{_XML_HEAD}<p:presentation {_P_NAMESPACES} saveSubsetFonts="1">'
        f'<p:sldMasterIdLst><p:sldMasterId id="{_MASTER_ID}" r:id="rId1"/></p:sldMasterIdLst>'
        + (f"<p:sldIdLst>{slide_ids}</p:sldIdLst>" if slide_ids else "")
        + f'<p:sldSz cx="{_SLIDE_CX}" cy="{_SLIDE_CY}"/><p:notesSz cx="6858000" cy="9144000"/>'
        "</p:presentation>"
    )
    after_slides = slide_count + 2
    presentation_rels: list[Rel] = [
        ("rId1", f"{rel}/slideMaster", "slideMasters/slideMaster1.xml"),
        *[(f"rId{n + 2}", f"{rel}/slide", f"slides/slide{n + 1}.xml") for n in range(slide_count)],
        (f"rId{after_slides}", f"{rel}/presProps", "presProps.xml"),
        (f"rId{after_slides + 1}", f"{rel}/viewProps", "viewProps.xml"),
        (f"rId{after_slides + 2}", f"{rel}/theme", "theme/theme1.xml"),
        (f"rId{after_slides + 3}", f"{rel}/tableStyles", "tableStyles.xml"),
    ]
    slide_rels = dict.fromkeys(
        (f"ppt/slides/_rels/slide{n}.xml.rels" for n in range(1, slide_count + 1)),
        _relationships([("rId1", f"{rel}/slideLayout", "../slideLayouts/slideLayout1.xml")]),
    )
    return _package(
        main_part="ppt/presentation.xml",
        title=title,
        overrides=[
            ("/ppt/presentation.xml", f"{_CT_PRES}.presentation.main+xml"),
            ("/ppt/slideMasters/slideMaster1.xml", f"{_CT_PRES}.slideMaster+xml"),
            ("/ppt/slideLayouts/slideLayout1.xml", f"{_CT_PRES}.slideLayout+xml"),
            *[(f"/{name}", f"{_CT_PRES}.slide+xml") for name in slide_parts],
            ("/ppt/theme/theme1.xml", _CT_THEME),
            ("/ppt/presProps.xml", f"{_CT_PRES}.presProps+xml"),
            ("/ppt/viewProps.xml", f"{_CT_PRES}.viewProps+xml"),
            ("/ppt/tableStyles.xml", f"{_CT_PRES}.tableStyles+xml"),
        ],
        parts={
            "ppt/presentation.xml": presentation,
            "ppt/_rels/presentation.xml.rels": _relationships(presentation_rels),
            "ppt/slideMasters/slideMaster1.xml": _PPTX_MASTER,
            "ppt/slideMasters/_rels/slideMaster1.xml.rels": _relationships(
                [
                    ("rId1", f"{rel}/slideLayout", "../slideLayouts/slideLayout1.xml"),
                    ("rId2", f"{rel}/theme", "../theme/theme1.xml"),
                ]
            ),
            "ppt/slideLayouts/slideLayout1.xml": _PPTX_LAYOUT,
            "ppt/slideLayouts/_rels/slideLayout1.xml.rels": _relationships(
                [("rId1", f"{rel}/slideMaster", "../slideMasters/slideMaster1.xml")]
            ),
            **slide_parts,
            **slide_rels,
            "ppt/theme/theme1.xml": _theme(),
            "ppt/presProps.xml": f"{_XML_HEAD}<p:presentationPr {_P_NAMESPACES}/>",
            "ppt/viewProps.xml": f"{_XML_HEAD}<p:viewPr {_P_NAMESPACES}/>",
            "ppt/tableStyles.xml": (
                f'{_XML_HEAD}<a:tblStyleLst xmlns:a="{_NS_A}" def="{{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}}"/>'
            ),
        },
    )


# --- Blank files -----------------------------------------------------------------------------------------------

BLANK_EXTENSIONS = ("docx", "xlsx", "pptx")


def blank(ext: str) -> bytes:
    """An empty document, sheet or presentation (one empty slide, so editors open on something to type in)."""
    kind = ext.lower().lstrip(".")
    if kind == "docx":
        return docx_bytes([])
    if kind == "xlsx":
        return xlsx_bytes([])
    if kind == "pptx":
        return pptx_bytes([("", "")])
    raise ValueError(f"no blank file for {ext!r}; expected one of {', '.join(BLANK_EXTENSIONS)}")
