"""Request sequences that desktop office clients send to a WebDAV endpoint, as replayable test data.

Scenario: the user opens ``https://host/dav/<signed-token>/Report.docx`` from the browser via
``ms-word:ofe|u|<url>`` (Word 2016+/365) or ``vnd.libreoffice.command:ofe|u|<url>`` (LibreOffice 7.x),
edits, saves twice and closes the document.

Placeholders used in ``path`` / ``headers`` / ``body``:

* ``{folder}``      -- the file's collection WITHOUT trailing slash, e.g. ``/dav/<signed-token>``
* ``{folder}/``     -- the same collection WITH trailing slash (clients use both forms, see notes)
* ``{file}``        -- ``{folder}/Report.docx``
* ``{lock_token}``  -- the bare token the server returned for the client's LOCK, i.e. the value of the
  ``Lock-Token`` response header without the angle brackets (``opaquelocktoken:...``)
* ``{document}``    -- the bytes of the saved document (request body of PUT)

Each step is a ``Step`` dict; ``expect`` is the status (or tuple of acceptable statuses) the *client* needs
in order to carry on.  ``note`` starts with ``source:`` and says whether the step is captured, read from the
client's source code, or inferred.

Where the sequences come from
-----------------------------

Word (Windows, Office 16 / 365):
  * Captured sequence (Oct 2023, Word via ms-word:ofe on a WebDAV endpoint of the shape
    ``/webdav/<ticket>/<id>/test.docx`` -- the same shape as ours): ``semantic-machines/veda:
    source-web/tests/backend/test049-requests.js``.  The recorder kept methods, paths, some headers and the
    LOCK/PROPPATCH bodies, but dropped ``User-Agent``, ``If``, ``Lock-Token`` and the PROPFIND bodies, and
    contains no GET (probably served from Office's local document cache, or dropped by the recorder).
  * Ordering OPTIONS > HEAD > PROPFIND > LOCK > GET > HEAD > UNLOCK: https://github.com/sabre-io/dav/issues/961
  * LOCK body / owner format ``<D:owner><D:href>DOMAIN\\user</D:href></D:owner>``, ``Timeout: Second-3600``:
    veda capture, https://github.com/sabre-io/dav/issues/955 (``computerid/user``),
    ``sabre-io/dav:tests/Sabre/DAV/Locks/MSWordTest.php`` (``PC-Vista\\User``).
  * OPTIONS goes to the *folder* first; Word checks ``X-MSFSSHTTP`` then ``MS-Author-Via`` ([MS-OCPROTO]
    2.1.2.1.2, https://msdn.microsoft.com/en-us/openspecs/office_protocols/MS-OCPROTO/2d268a23-420b-4339-8c56-9e4f8a924171).
    Without ``MS-Author-Via: DAV`` Word opens read-only (https://github.com/FubarDevelopment/WebDavServer/issues/18,
    https://github.com/Winterleaf/Winterleaf-WebDavSharp.SQLExample/issues/11).
  * Probe headers ``User-Agent: Microsoft Office Word 2014``, ``X-Office-Major-Version: 16``,
    ``X-MS-CookieUri-Requested: t``, ``X-FeatureVersion: 1``, ``X-IDCRL_ACCEPTED: t`` and an EMPTY
    ``Authorization: Bearer``: https://github.com/mikedeboer/jsDAV/issues/129 (Office 16 log); the empty Bearer
    header is also sent when the server needs no auth and broke servers that answered it with 401
    (https://github.com/OpenMarshal/npm-WebDAV-Server/issues/37).
  * HEAD is used to learn Last-Modified so Word can re-acquire a lost lock after resume ("Microsoft Office
    Existence Discovery", https://blogs.msdn.microsoft.com/vsofficedeveloper/2008/03/11/description-of-the-microsoft-office-existence-discovery-protocol-2/).
  * PROPPATCH of Win32 times is sent WITHOUT lock token (sabre-io/sabre.io:source/dav/clients/msoffice.md and the
    veda capture).
  * Lock refresh must keep the same token (https://github.com/FubarDevelopment/WebDavServer/issues/24).
  * ``?OR=ProtocolHandler&CID=<guid>&CT=<epoch-ms>`` was appended to the document URL by Word builds of early 2023
    (16.0.16130) and had disappeared again two weeks later (https://github.com/jmix-framework/jmix/issues/1555).
    Word does not hand other query parameters back to the server
    (https://github.com/MicrosoftDocs/office-developer-client-docs/discussions/660) -- keep the token in the path.
  * Known-vs-inferred: captured = order, methods, paths, Translate/Cache-Control/Pragma/Timeout/Content-Type on
    LOCK/PROPPATCH/UNLOCK, both bodies.  Inferred = GET position, ``If`` on refresh/PUT, ``Lock-Token`` on
    UNLOCK (RFC 4918; Word 2016 LOCK refresh with ``If: (<token>)`` is in https://github.com/sabre-io/dav/issues/980),
    the second save (repeat of the first), User-Agent on every request.
  * Disagreement: sabre-io/dav#980 (one report, 2017, Word 2016) saw the PUT carry ``Lock-Token: <token>`` and NO
    ``If`` header; the fix PR (#981) was never merged.  Modelled as ``WORD_PUT_WITH_LOCK_TOKEN_HEADER`` -- a server
    should accept both forms.

Word for macOS: no capture of Word 2016+ for Mac against plain WebDAV was found (reports say Office 2016 for Mac
  does not work with WebDAV mounts: https://github.com/cryptomator/cryptomator/issues/206).  Only the Office 2011
  "Open URL" PROPFIND is documented (sabre-io/sabre.io:source/dav/clients/msoffice.md) -> ``WORD_MAC_2011_OPEN_URL``.

LibreOffice 7.x (webdav-curl UCP, the default since 7.3; the older neon UCP used the same owner/timeout):
  * Captured sequence (Oct 2023, LibreOffice with libcurl, endpoint ``/webdav/<ticket>/<id>/file0.docx``):
    ``semantic-machines/veda:source-web/tests/backend/test050-requests.js``.  That server answered
    ``DAV: 1,2`` but had no LOCK in ``Allow`` and no supportedlock, so LibreOffice never locked; LOCK / refresh /
    UNLOCK and the ``If`` header on PUT are therefore taken from the source code:
    ``LibreOffice/core:ucb/source/ucp/webdav-curl/CurlSession.cxx`` (LOCK body, ``Timeout: Second-180``,
    ``Depth: 0``, ``Content-Type: application/xml``, refresh = bodiless LOCK with ``If: (<token>)`` and
    ``Timeout: Second-180``, PUT ``If: (<token>)`` no-tag list, UNLOCK ``Lock-Token: <token>``),
    ``.../webdav-curl/webdavcontent.cxx`` (owner ``LibreOffice - http://www.libreoffice.org/``, 180 s, exclusive,
    depth 0; OPTIONS on the file itself; supportedlock check), ``.../webdav-curl/SerfLockStore.cxx`` (refresh when
    <= 30 s of the *granted* timeout remain, ticker polls every second), ``LibreOffice/core:sfx2/source/doc/
    docfile.cxx`` (lock after load, PROPFIND ``DAV:lockdiscovery`` on 423 to show the owner, save goes through the
    parent folder via UCB transfer).
  * LibreOffice does PROPFIND (Depth 0) on the parent folder ``{folder}/`` (trailing slash) on every save, plus
    OPTIONS on it.  No HEAD appears in the 7.x capture (webdavcontent.cxx can still send HEAD, or a
    ``Range: bytes=0-0`` GET if HEAD fails, when properties are missing from PROPFIND).
  * The user agent is ``LibreOffice <version> denylistedbackend/<curl> <ssl>`` (CurlSession.cxx; the string below
    is an example) and ``Accept-Encoding`` depends on the curl build.
  * Inferred: position of LOCK (between the captured supportedlock PROPFIND and the getlastmodified PROPFIND, which
    sfx2 issues right after a successful lock), one refresh between the saves (timing depends on the timeout the
    server grants), the OPTIONS before UNLOCK (LibreOffice's OPTIONS cache may absorb it), save #2 = save #1.
  * Refresh corroboration: LibreOffice refreshes "the lock (180s)" (https://github.com/owncloud/core/issues/34157);
    with a 30 s server timeout it sends a LOCK every second (https://github.com/OpenMarshal/npm-WebDAV-Server/issues/101)
    -- never grant LibreOffice a timeout <= 30 s.

Server-side facts worth testing alongside (not steps): WsgiDAV keeps locks per process unless a shared lock storage
is configured -> 412 on PUT/UNLOCK behind multi-worker gunicorn (https://github.com/mar10/wsgidav/issues/332,
https://github.com/mar10/wsgidav/issues/194); WsgiDAV adds ``MS-Author-Via: DAV`` by default
(``add_header_MS_Author_Via``); do not advertise ``X-MSDAVEXT: 1`` (MS-WDV: clients only use the extensions then)
nor ``X-MSFSSHTTP`` (Word would switch to FSSHTTP).
"""

from typing import TypedDict


class Step(TypedDict):
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    expect: int | tuple[int, ...]
    note: str


# --------------------------------------------------------------------------------------------------------------
# Shared constants
# --------------------------------------------------------------------------------------------------------------

WORD_USER_AGENT = "Microsoft Office Word 2014"
"""Office 16 desktop UA on DAV requests (jsDAV#129). Variants seen: 'Microsoft Office Word 2014 (16.0.4549) Windows
NT 6.1'; older probes used 'Microsoft Office Protocol Discovery' (OPTIONS) and 'Microsoft Office Existence
Discovery' (HEAD). Excel/PowerPoint use 'Microsoft Office Excel 2014' / 'Microsoft Office PowerPoint 2014'."""

WORD_LOCK_TIMEOUT_SECONDS = 3600
LIBREOFFICE_LOCK_TIMEOUT_SECONDS = 180
LIBREOFFICE_REFRESH_MARGIN_SECONDS = 30
"""LibreOffice re-LOCKs once (granted expiry - 30 s) <= now, so a granted 180 s lock is refreshed after ~150 s."""

WORD_PROTOCOL_HANDLER_QUERY = "?OR=ProtocolHandler&CID=E1F0B5DE-3C80-49DD-A08B-561DB59C9BFF&CT=1680092112035"
"""Seen appended to the document URL by Word 16.0.16130 (early 2023, jmix#1555); later builds stopped."""

WORD_OPTIONS_REQUIRED_RESPONSE_HEADERS: dict[str, str] = {
    "MS-Author-Via": "DAV",
    "DAV": "1,2",
    "Allow": "must list LOCK, UNLOCK, PUT, PROPFIND, PROPPATCH",
}
"""What Word needs on OPTIONS of the folder to open read-write; X-MSFSSHTTP and X-MSDAVEXT must be absent."""

LIBREOFFICE_OPTIONS_REQUIRED_RESPONSE_HEADERS: dict[str, str] = {
    "DAV": "1,2",
    "Allow": "should list LOCK (fallback if DAV:supportedlock lacks exclusive write)",
}
"""LibreOffice parses only 'Allow' and 'DAV' of OPTIONS (CurlSession.cxx); class 2 + exclusive write lock needed."""

# --- Word request headers -------------------------------------------------------------------------------------

_WORD_PROBE_HEADERS: dict[str, str] = {
    "User-Agent": WORD_USER_AGENT,
    "X-Office-Major-Version": "16",
    "X-MS-CookieUri-Requested": "t",
    "X-FeatureVersion": "1",
    "X-IDCRL_ACCEPTED": "t",
    "Authorization": "Bearer",
}
_WORD_HEADERS: dict[str, str] = {"User-Agent": WORD_USER_AGENT}
_WORD_DAV_HEADERS: dict[str, str] = {"User-Agent": WORD_USER_AGENT, "Translate": "f"}
_WORD_NOCACHE_HEADERS: dict[str, str] = {
    "User-Agent": WORD_USER_AGENT,
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
    "Translate": "f",
}

WORD_LOCK_BODY = (
    '<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
    "<D:locktype><D:write/></D:locktype><D:owner><D:href>DOMAIN\\user</D:href></D:owner></D:lockinfo>"
)
"""Captured verbatim (veda) except the owner, which was 'SLPK\\optiflos' (Windows DOMAIN\\user of the Office user)."""

WORD_PROPPATCH_BODY = (
    '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:">'
    "<D:set><D:prop><Z:Win32LastAccessTime>Wed, 25 Oct 2023 11:48:33 GMT</Z:Win32LastAccessTime>"
    "<Z:Win32LastModifiedTime>Wed, 25 Oct 2023 11:48:33 GMT</Z:Win32LastModifiedTime>"
    "</D:prop></D:set></D:propertyupdate>"
)

# --- LibreOffice request headers ------------------------------------------------------------------------------

LIBREOFFICE_USER_AGENT = "LibreOffice 7.6.7.2 denylistedbackend/8.5.0 OpenSSL/3.0.13"
"""Format from CurlSession.cxx: 'LibreOffice ' LIBO_VERSION_DOTTED ' denylistedbackend/' curl-version ' ' ssl."""

_LO_HEADERS: dict[str, str] = {
    "User-Agent": LIBREOFFICE_USER_AGENT,
    "Accept": "*/*",
    "Accept-Encoding": "deflate, gzip, br, zstd",
}
_LO_PROPFIND_HEADERS: dict[str, str] = {**_LO_HEADERS, "Content-Type": "application/xml", "Depth": "0"}

_LO_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
_UCB_NS = "http://ucb.openoffice.org/dav/props/"

LO_PROPFIND_RESOURCE_TYPE = (
    _LO_XML + '<propfind xmlns="DAV:"><prop><resourcetype xmlns="DAV:"/>'
    f'<IsReadOnly xmlns="{_UCB_NS}"/><getcontenttype xmlns="DAV:"/><supportedlock xmlns="DAV:"/></prop></propfind>'
)
"""First PROPFIND of every resource (Content::getResourceType: IsFolder/IsDocument/IsReadOnly/MediaType/
supportedlock); also in https://github.com/owncloud/core/issues/34394."""
LO_PROPFIND_IS_READ_ONLY = _LO_XML + f'<propfind xmlns="DAV:"><prop><IsReadOnly xmlns="{_UCB_NS}"/></prop></propfind>'
LO_PROPFIND_BASE_URI = _LO_XML + f'<propfind xmlns="DAV:"><prop><BaseURI xmlns="{_UCB_NS}"/></prop></propfind>'
LO_PROPFIND_OBJECT_ID = _LO_XML + f'<propfind xmlns="DAV:"><prop><ObjectId xmlns="{_UCB_NS}"/></prop></propfind>'
LO_PROPFIND_CREATABLE = (
    _LO_XML + f'<propfind xmlns="DAV:"><prop><CreatableContentsInfo xmlns="{_UCB_NS}"/></prop></propfind>'
)
LO_PROPFIND_SUPPORTEDLOCK = _LO_XML + '<propfind xmlns="DAV:"><prop><supportedlock xmlns="DAV:"/></prop></propfind>'
LO_PROPFIND_LASTMODIFIED = _LO_XML + '<propfind xmlns="DAV:"><prop><getlastmodified xmlns="DAV:"/></prop></propfind>'
LO_PROPFIND_CONTENTTYPE = _LO_XML + '<propfind xmlns="DAV:"><prop><getcontenttype xmlns="DAV:"/></prop></propfind>'
LO_PROPFIND_LOCKDISCOVERY = _LO_XML + '<propfind xmlns="DAV:"><prop><lockdiscovery xmlns="DAV:"/></prop></propfind>'
LO_PROPFIND_PROPNAME = _LO_XML + '<propfind xmlns="DAV:"><propname/></propfind>'

LIBREOFFICE_LOCK_OWNER = "LibreOffice - http://www.libreoffice.org/"
"""Plain-text owner (no <href>); identical for every LibreOffice user, so it cannot tell users apart."""

LIBREOFFICE_LOCK_BODY = (
    _LO_XML + '<lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype>'
    f"<owner>{LIBREOFFICE_LOCK_OWNER}</owner></lockinfo>"
)
"""Element order and owner from CurlSession::LOCK; serialisation style inferred from the captured PROPFIND bodies
written by the same XML writer (default namespace, self-closing empty elements)."""

_VEDA_WORD = "semantic-machines/veda:source-web/tests/backend/test049-requests.js"
_VEDA_LO = "semantic-machines/veda:source-web/tests/backend/test050-requests.js"
_LO_CURL = "LibreOffice/core:ucb/source/ucp/webdav-curl/CurlSession.cxx"
_LO_CONTENT = "LibreOffice/core:ucb/source/ucp/webdav-curl/webdavcontent.cxx"
_LO_SFX = "LibreOffice/core:sfx2/source/doc/docfile.cxx"

# --------------------------------------------------------------------------------------------------------------
# Word 2016+/365 on Windows
# --------------------------------------------------------------------------------------------------------------

_WORD_OPEN: list[Step] = [
    {
        "method": "OPTIONS",
        "path": "{folder}/",
        "headers": _WORD_PROBE_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #1 (captured, folder with slash); MS-OCPROTO 2.1.2.1.2 (OPTIONS on the folder"
        ", then X-MSFSSHTTP/MS-Author-Via); probe headers from github.com/mikedeboer/jsDAV/issues/129. Needs "
        "MS-Author-Via: DAV, DAV: 1,2, Allow with LOCK; empty 'Authorization: Bearer' must not cause 401.",
    },
    {
        "method": "HEAD",
        "path": "{file}",
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #2 (captured); needs Last-Modified, ETag, Content-Length (Office Existence "
        "Discovery blog: Last-Modified is used to re-acquire the lock after resume).",
    },
    {
        "method": "OPTIONS",
        "path": "{folder}",
        "headers": _WORD_DAV_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #3 (captured: folder WITHOUT trailing slash, Translate: f).",
    },
    {
        "method": "PROPFIND",
        "path": "{folder}",
        "headers": {**_WORD_DAV_HEADERS, "Depth": "0"},
        "body": None,
        "expect": 207,
        "note": f"source: {_VEDA_WORD} #4 (captured; request body not recorded -> None = allprop). Folder must be "
        "a collection.",
    },
    {
        "method": "PROPFIND",
        "path": "{file}",
        "headers": {**_WORD_DAV_HEADERS, "Depth": "0"},
        "body": None,
        "expect": 207,
        "note": f"source: {_VEDA_WORD} #5 (captured; body not recorded). Inferred: Word reads lockdiscovery/"
        "supportedlock here before locking.",
    },
    {
        "method": "LOCK",
        "path": "{file}",
        "headers": {
            **_WORD_NOCACHE_HEADERS,
            "Content-Type": 'text/xml; charset="utf-8"',
            "Timeout": f"Second-{WORD_LOCK_TIMEOUT_SECONDS}",
        },
        "body": WORD_LOCK_BODY,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #6 (captured headers+body; no Depth header -> RFC default infinity, treated "
        "as 0 on a file); github.com/sabre-io/dav/issues/955. Needs Lock-Token header + lockdiscovery body; "
        "non-2xx -> Word opens read-only.",
    },
    {
        "method": "GET",
        "path": "{file}",
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": "source: github.com/sabre-io/dav/issues/961 (order OPTIONS>HEAD>PROPFIND>LOCK>GET>HEAD>UNLOCK). "
        "Inferred position; absent from the veda capture (Office document cache or recorder).",
    },
    {
        "method": "HEAD",
        "path": "{file}",
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #7 (captured).",
    },
    {
        "method": "LOCK",
        "path": "{file}",
        "headers": {
            **_WORD_NOCACHE_HEADERS,
            "Timeout": f"Second-{WORD_LOCK_TIMEOUT_SECONDS}",
            "If": "(<{lock_token}>)",
        },
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #8 (captured bodiless refresh right after opening); If header inferred "
        "(RFC 4918 refresh; Word 2016 refresh with 'If: (<token>)' in github.com/sabre-io/dav/issues/980). "
        "Must keep the same token (github.com/FubarDevelopment/WebDavServer/issues/24).",
    },
    {
        "method": "HEAD",
        "path": "{file}",
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #9 (captured).",
    },
]

_WORD_SAVE: list[Step] = [
    {
        "method": "PUT",
        "path": "{file}",
        "headers": {**_WORD_HEADERS, "If": "(<{lock_token}>)"},
        "body": "{document}",
        "expect": (200, 201, 204),
        "note": f"source: {_VEDA_WORD} #10 (captured PUT; headers not recorded). If header inferred (RFC 4918); "
        "see WORD_PUT_WITH_LOCK_TOKEN_HEADER for the disputed Lock-Token-only variant. Replayed for save #2.",
    },
    {
        "method": "PROPPATCH",
        "path": "{file}",
        "headers": {**_WORD_NOCACHE_HEADERS, "Content-Type": 'text/xml; charset="utf-8"'},
        "body": WORD_PROPPATCH_BODY,
        "expect": 207,
        "note": f"source: {_VEDA_WORD} #11 (captured body); sabre-io/sabre.io:source/dav/clients/msoffice.md says "
        "Office sends it without lock token. WsgiDAV alone would answer 423 (a locked file, no If:); the product "
        "reads it as the lock owner's own write (desktop.views._own_lock_as_if_header) and answers 207, since "
        "whether Word tolerates 423 here is unknown.",
    },
    {
        "method": "HEAD",
        "path": "{file}",
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_WORD} #12 (captured; Word re-reads Last-Modified/ETag after saving).",
    },
]

_WORD_CLOSE: list[Step] = [
    {
        "method": "UNLOCK",
        "path": "{file}",
        "headers": {**_WORD_NOCACHE_HEADERS, "Lock-Token": "<{lock_token}>"},
        "body": None,
        "expect": (200, 204),
        "note": f"source: {_VEDA_WORD} #13 (captured headers; Lock-Token header inferred, RFC 4918).",
    },
]

WORD_OPEN_EDIT_SAVE_CLOSE: list[Step] = [*_WORD_OPEN, *_WORD_SAVE, *_WORD_SAVE, *_WORD_CLOSE]
"""Word 2016+/365 (Windows): open via ms-word:ofe, edit, save twice (save #2 = replay of save #1, inferred), close."""

WORD_PUT_WITH_LOCK_TOKEN_HEADER: Step = {
    "method": "PUT",
    "path": "{file}",
    "headers": {**_WORD_HEADERS, "Lock-Token": "<{lock_token}>"},
    "body": "{document}",
    "expect": (200, 201, 204),
    "note": "source: github.com/sabre-io/dav/issues/980 + sabre-io/dav:tests/Sabre/DAV/Locks/MSWord2016Test.php "
    "(unmerged branch): Word 2016 PUT with Lock-Token and no If. Single report, not confirmed by maintainers.",
}
"""Alternative to the PUT in WORD_OPEN_EDIT_SAVE_CLOSE; a tolerant server accepts it from the lock holder."""

WORD_OPEN_WITH_PROTOCOL_HANDLER_QUERY: list[Step] = [
    {
        "method": "HEAD",
        "path": "{file}" + WORD_PROTOCOL_HANDLER_QUERY,
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": "source: github.com/jmix-framework/jmix/issues/1555 (Word 16.0.16130 opened "
        "'...docx?OR=ProtocolHandler&CID=..&CT=..'). Which requests carried the query is not recorded (inferred).",
    },
    {
        "method": "GET",
        "path": "{file}" + WORD_PROTOCOL_HANDLER_QUERY,
        "headers": _WORD_HEADERS,
        "body": None,
        "expect": 200,
        "note": "source: github.com/jmix-framework/jmix/issues/1555; query must be ignored when resolving the file.",
    },
]

WORD_OPEN_LOCKED_BY_OTHER: list[Step] = [
    *_WORD_OPEN[:5],
    {
        "method": "LOCK",
        "path": "{file}",
        "headers": {
            **_WORD_NOCACHE_HEADERS,
            "Content-Type": 'text/xml; charset="utf-8"',
            "Timeout": f"Second-{WORD_LOCK_TIMEOUT_SECONDS}",
        },
        "body": WORD_LOCK_BODY,
        "expect": 423,
        "note": "source: sabre-io/sabre.io:source/dav/clients/msoffice.md (Office then offers read-only / local copy "
        "/ notify, polling the lock every <20 s). Inferred: the name shown comes from DAV:owner in lockdiscovery "
        "(PROPFIND before LOCK); no public capture confirms which field Word displays.",
    },
]

# --------------------------------------------------------------------------------------------------------------
# Word for macOS
# --------------------------------------------------------------------------------------------------------------

WORD_MAC_2011_OPEN_URL: list[Step] = [
    {
        "method": "PROPFIND",
        "path": "{file}",
        "headers": {
            "User-Agent": "Microsoft Office",
            "Accept": "*/*",
            "Accept-Language": "en",
            "Translate": "f",
            "Brief": "t",
            "Depth": "0",
            "Content-Type": "text/xml; charset=utf-8",
        },
        "body": (
            '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/>'
            "<D:getcontentlength/><D:getmodifiedby/><D:creationdate/><D:getlastmodified/><D:lockdiscovery/>"
            "<D:supportedlock/></D:prop></D:propfind>"
        ),
        "expect": 207,
        "note": "source: sabre-io/sabre.io:source/dav/clients/msoffice.md (Office 2011 for Mac 'Open URL'; picky "
        "about supportedlock and getlastmodified encoding). Only documented Mac request; Word 2016+ for Mac unknown.",
    },
]

# --------------------------------------------------------------------------------------------------------------
# LibreOffice 7.x
# --------------------------------------------------------------------------------------------------------------


def _lo_propfind(path: str, body: str, note: str) -> Step:
    return {
        "method": "PROPFIND",
        "path": path,
        "headers": _LO_PROPFIND_HEADERS,
        "body": body,
        "expect": 207,
        "note": note,
    }


_LO_LOCK: Step = {
    "method": "LOCK",
    "path": "{file}",
    "headers": {
        **_LO_HEADERS,
        "Content-Type": "application/xml",
        "Depth": "0",
        "Timeout": f"Second-{LIBREOFFICE_LOCK_TIMEOUT_SECONDS}",
    },
    "body": LIBREOFFICE_LOCK_BODY,
    "expect": 200,
    "note": f"source: {_LO_CURL} (CurlSession::LOCK) + {_LO_CONTENT} (Content::lock: owner, 180 s, exclusive, "
    f"depth 0) + {_LO_SFX} (LockOrigFileOnDemand after load). Needs a lockdiscovery body with the token in "
    "<locktoken><href> (LibreOffice stores LockTokens[0] from the body) and 'HTTP/1.1 200 OK'-style statuses. "
    "Position inferred (veda's server offered no locking).",
}

_LO_OPEN: list[Step] = [
    {
        "method": "OPTIONS",
        "path": "{file}",
        "headers": _LO_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_LO} #1 (captured: OPTIONS on the FILE, not the folder); {_LO_CURL} reads only "
        "Allow and DAV (needs class 2).",
    },
    _lo_propfind("{file}", LO_PROPFIND_RESOURCE_TYPE, f"source: {_VEDA_LO} #2 (captured); getResourceType."),
    _lo_propfind("{file}", LO_PROPFIND_IS_READ_ONLY, f"source: {_VEDA_LO} #3 (captured)."),
    {
        "method": "GET",
        "path": "{file}",
        "headers": _LO_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_LO} #4 (captured).",
    },
    _lo_propfind("{file}", LO_PROPFIND_BASE_URI, f"source: {_VEDA_LO} #5 (captured)."),
    _lo_propfind(
        "{file}",
        LO_PROPFIND_SUPPORTEDLOCK,
        f"source: {_VEDA_LO} #6 (captured); {_LO_CONTENT} resourceTypeForLocks: needs exclusive+write lockentry "
        "(else falls back to 'LOCK' in Allow).",
    ),
    _LO_LOCK,
    _lo_propfind(
        "{file}",
        LO_PROPFIND_LASTMODIFIED,
        f"source: {_VEDA_LO} #7 (captured); {_LO_SFX} GetInitFileDate after a successful lock.",
    ),
    _lo_propfind("{file}", LO_PROPFIND_PROPNAME, f"source: {_VEDA_LO} #8 (captured; <propname/>)."),
]

_LO_SAVE: list[Step] = [
    _lo_propfind("{file}", LO_PROPFIND_CONTENTTYPE, f"source: {_VEDA_LO} #9 (captured; save begins)."),
    _lo_propfind(
        "{file}", LO_PROPFIND_LASTMODIFIED, f"source: {_VEDA_LO} #10 (captured; CheckFileDate before saving)."
    ),
    _lo_propfind("{file}", LO_PROPFIND_SUPPORTEDLOCK, f"source: {_VEDA_LO} #11 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_LASTMODIFIED, f"source: {_VEDA_LO} #12 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_OBJECT_ID, f"source: {_VEDA_LO} #13 (captured; {_LO_SFX} Transfer_Impl)."),
    {
        "method": "OPTIONS",
        "path": "{folder}/",
        "headers": _LO_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_LO} #14 (captured: parent folder WITH trailing slash); {_LO_SFX} saves through "
        "the parent folder (UCB globalTransfer).",
    },
    _lo_propfind(
        "{folder}/",
        LO_PROPFIND_RESOURCE_TYPE,
        f"source: {_VEDA_LO} #15 (captured); folder must report resourcetype collection.",
    ),
    _lo_propfind("{folder}/", LO_PROPFIND_CREATABLE, f"source: {_VEDA_LO} #16 (captured)."),
    {
        "method": "PUT",
        "path": "{file}",
        "headers": {**_LO_HEADERS, "If": "(<{lock_token}>)"},
        "body": "{document}",
        "expect": (200, 201, 204),
        "note": f"source: {_VEDA_LO} #17 (captured PUT with Content-Length, no Content-Type, no chunking); If "
        f"header from {_LO_CURL} CurlSession::PUT (no-tag list, Sharepoint workaround). 412/400 -> LibreOffice "
        "PROPFINDs lockdiscovery to detect an expired lock. Replayed for save #2 (inferred).",
    },
    _lo_propfind(
        "{folder}/", LO_PROPFIND_SUPPORTEDLOCK, f"source: {_VEDA_LO} #18 (captured; tdf#95272 re-lock check)."
    ),
    {
        "method": "OPTIONS",
        "path": "{file}",
        "headers": _LO_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_VEDA_LO} #19 (captured; OPTIONS cache dropped by PUT). Re-LOCK after save is answered "
        "from LibreOffice's own lock store, no LOCK on the wire.",
    },
    _lo_propfind("{file}", LO_PROPFIND_SUPPORTEDLOCK, f"source: {_VEDA_LO} #20 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_LASTMODIFIED, f"source: {_VEDA_LO} #21 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_PROPNAME, f"source: {_VEDA_LO} #22 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_RESOURCE_TYPE, f"source: {_VEDA_LO} #23 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_LASTMODIFIED, f"source: {_VEDA_LO} #24 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_RESOURCE_TYPE, f"source: {_VEDA_LO} #25 (captured)."),
    _lo_propfind("{file}", LO_PROPFIND_LASTMODIFIED, f"source: {_VEDA_LO} #26 (captured; end of capture)."),
]

_LO_REFRESH: Step = {
    "method": "LOCK",
    "path": "{file}",
    "headers": {
        **_LO_HEADERS,
        "Timeout": f"Second-{LIBREOFFICE_LOCK_TIMEOUT_SECONDS}",
        "If": "(<{lock_token}>)",
    },
    "body": None,
    "expect": 200,
    "note": f"source: {_LO_CURL} NonInteractive_LOCK + LibreOffice/core:ucb/source/ucp/webdav-curl/SerfLockStore.cxx"
    " (bodiless refresh, Content-Length: 0, no Depth/Content-Type; sent when <= 30 s of the granted timeout "
    "remain; failure stops auto-refresh silently). Timing inferred: one refresh between the saves.",
}

_LO_CLOSE: list[Step] = [
    {
        "method": "OPTIONS",
        "path": "{file}",
        "headers": _LO_HEADERS,
        "body": None,
        "expect": 200,
        "note": f"source: {_LO_CONTENT} Content::unlock -> getResourceOptions (needs class 1). Inferred: may be "
        "served from LibreOffice's OPTIONS cache instead.",
    },
    {
        "method": "UNLOCK",
        "path": "{file}",
        "headers": {**_LO_HEADERS, "Lock-Token": "<{lock_token}>"},
        "body": None,
        "expect": (200, 204),
        "note": f"source: {_LO_CURL} CurlProcessor::Unlock ({_LO_SFX} UnlockFile on close). 405/501 are tolerated.",
    },
]

LIBREOFFICE_OPEN_EDIT_SAVE_CLOSE: list[Step] = [*_LO_OPEN, *_LO_SAVE, _LO_REFRESH, *_LO_SAVE, *_LO_CLOSE]
"""LibreOffice 7.x (webdav-curl): open via vnd.libreoffice.command:ofe, edit, save twice, close."""

LIBREOFFICE_OPEN_LOCKED_BY_OTHER: list[Step] = [
    *_LO_OPEN[:6],
    {**_LO_LOCK, "expect": 423},
    _lo_propfind(
        "{file}",
        LO_PROPFIND_LOCKDISCOVERY,
        f"source: {_LO_SFX} LockOrigFileOnDemand: on 423 reads DAV:lockdiscovery and shows the first lock's "
        "<owner> text as the user in the 'Document in Use' dialog ('Unknown user' if none); owner with a nested "
        "<href> probably shows empty (inferred from webdavresponseparser.cxx).",
    ),
]
