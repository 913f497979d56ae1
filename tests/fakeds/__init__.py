"""A fake ONLYOFFICE Document Server for tests: real HTTP on 127.0.0.1, the real wire format.

Independent of the project's code (it imports nothing from connector/ or attachments/), so the connector's
tests exercise the protocol as written in docs, not the project's own reading of it.

Typical use (fixture from tests/fakeds/fixtures.py)::

    session = fake_ds.open(signed_editor_config)        # downloads document.url with the outbox JWT, status 1
    session.edit("user-1", new_docx_bytes)               # the user changes the document
    record = session.close("user-1")                     # status 2 to the user's callbackUrl, with DS retries
    assert record.succeeded and record.response == {"error": 0}
    fake_ds.requests_to("/cache/files/")                 # what the integrator fetched from the fake
    fake_ds.blob(record.fields["url"]).fail_with(500)    # fault injection per file (or fake_ds.fail_with)
"""

from .callbacks import CallbackRecord
from .editor import EditorSession
from .errors import ConfigRejected, DownloadFailed, FakeDsError, KeyClosedForEditing, TokenRejected
from .server import DEFAULT_SECRET, FakeDocServer, RequestRecord

__all__ = [
    "DEFAULT_SECRET",
    "CallbackRecord",
    "ConfigRejected",
    "DownloadFailed",
    "EditorSession",
    "FakeDocServer",
    "FakeDsError",
    "KeyClosedForEditing",
    "RequestRecord",
    "TokenRejected",
]
