"""A WebDAV client for the tests, on Django's test client: what Word and LibreOffice send, one method each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.test import Client

from attachments.models import Attachment
from desktop import links

LOCK_BODY = (
    '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
    "<D:locktype><D:write/></D:locktype><D:owner><D:href>{owner}</D:href></D:owner></D:lockinfo>"
)
PROPFIND_BODY = (
    '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/>'
    "<D:getcontentlength/><D:getetag/><D:resourcetype/><D:lockdiscovery/><D:supportedlock/></D:prop></D:propfind>"
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Dav:
    """One link's folder and file, spoken to as a desktop app does."""

    def __init__(self, *, user, attachment: Attachment, access: links.Access = "edit", token: str | None = None):
        self.token = token or links.make_token(user=user, attachment=attachment, access=access)
        self.folder = f"/dav/{self.token}/"
        self.file = f"/dav/{self.token}/{quote(attachment.title)}"
        self.client = Client()
        self.lock_token = ""

    def send(self, method: str, path: str, body: bytes | str = b"", **headers: str) -> Answer:
        data = body.encode() if isinstance(body, str) else body
        # As the apps do, even for an empty body (Django's test client leaves it out then).
        headers.setdefault("CONTENT_LENGTH", str(len(data)))
        response = self.client.generic(
            method, path, data, content_type=headers.pop("content_type", "text/xml"), **headers
        )
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, content)

    def options(self, path: str | None = None) -> Answer:
        return self.send("OPTIONS", path or self.folder)

    def propfind(self, path: str | None = None, depth: str = "0") -> Answer:
        return self.send("PROPFIND", path or self.file, PROPFIND_BODY, HTTP_DEPTH=depth)

    def get(self) -> Answer:
        return self.send("GET", self.file)

    def lock(self, owner: str = "someone", timeout: str = "Second-3600") -> Answer:
        answer = self.send("LOCK", self.file, LOCK_BODY.format(owner=owner), HTTP_TIMEOUT=timeout, HTTP_DEPTH="0")
        if answer.status == 200:
            self.lock_token = answer.headers["lock-token"].strip("<>")
        return answer

    def refresh(self, timeout: str = "Second-3600") -> Answer:
        return self.send("LOCK", self.file, HTTP_IF=f"(<{self.lock_token}>)", HTTP_TIMEOUT=timeout)

    def put(self, data: bytes, *, with_lock: bool = True) -> Answer:
        headers = {"HTTP_IF": f"(<{self.lock_token}>)"} if with_lock and self.lock_token else {}
        return self.send("PUT", self.file, data, content_type="application/octet-stream", **headers)

    def unlock(self) -> Answer:
        return self.send("UNLOCK", self.file, HTTP_LOCK_TOKEN=f"<{self.lock_token}>")


def prop(answer: Answer, name: str) -> str:
    """The text of the first <D:name> in a multistatus or lock answer ("" when absent or empty)."""
    match = re.search(rf"<D:{name}>(.*?)</D:{name}>", answer.text, re.S)
    return match.group(1) if match else ""
