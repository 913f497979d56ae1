"""Real WebDAV clients against /dav/ on the live server: cadaver, scripted, and LibreOffice, driven over UNO.

They need cadaver, LibreOffice Writer and LibreOffice's Python bridge (python3-uno), which .ci/run installs:
locally a missing one skips its tests with the reason, under CI (REQUIRE_SERVICES=1) it fails them.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase
from django.test import Client
from django.urls import reverse

from attachments.models import Attachment, Version
from connector import ds_settings
from desktop import locks
from desktop.models import DesktopLock
from tests.conftest import Personas
from tests.support.documents import docx_bytes

pytestmark = pytest.mark.django_db(transaction=True)

DRIVER = Path(__file__).parents[1] / "support" / "libreoffice_driver.py"
# LibreOffice's ``uno`` module is in the system Python, not in the venv.
SYSTEM_PYTHON = "/usr/bin/python3"
# Every wait on a client is bounded by this. LibreOffice opens, saves twice and quits in about 5 s here.
TIMEOUT = 45


def _require(what: str, available: bool) -> None:
    if available:
        return
    reason = f"needs {what} (apt-get install cadaver libreoffice-writer-nogui python3-uno)"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"required client missing under CI: {reason}")
    pytest.skip(reason)


def _document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml").decode()


def _stored(version: Version) -> bytes:
    with default_storage.open(version.stored_name, "rb") as file:
        return file.read()


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", content=docx_bytes("Original plan"), user=personas.owner)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    body_sha256: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@pytest.fixture
def dav_requests(monkeypatch: pytest.MonkeyPatch) -> list[Seen]:
    """The /dav/ requests the live server answered, in order (Django's one entry point for every request)."""
    seen: list[Seen] = []
    get_response = BaseHandler.get_response

    def recording(self: BaseHandler, request: HttpRequest) -> HttpResponseBase:
        # Reading the body here leaves it to the view too: Django keeps it for request.read().
        body = request.body if request.path.startswith("/dav/") else b""
        response = get_response(self, request)
        if request.path.startswith("/dav/"):
            digest = hashlib.sha256(body).hexdigest()
            seen.append(Seen(request.method or "", request.path, dict(request.headers), response.status_code, digest))
        return response

    monkeypatch.setattr(BaseHandler, "get_response", recording)
    return seen


# --- cadaver -----------------------------------------------------------------------------------------------------


@pytest.fixture
def cadaver(dav_link, tmp_path: Path) -> Callable[..., str]:
    """``cadaver(user, attachment, commands)``: cadaver's output after it ran the commands in the link's folder.

    Each user gets a HOME of their own: an empty .netrc, so nothing prompts, and cadaver's lock store, which keeps
    a lock across sessions (as an app that crashed holds it)."""
    _require("cadaver", shutil.which("cadaver") is not None)

    def run(user, attachment: Attachment, commands: list[str]) -> str:
        home = tmp_path / f"home-{user.username}"
        home.mkdir(exist_ok=True)
        (home / ".netrc").write_text("")
        folder = dav_link(user, attachment).rsplit("/", 1)[0] + "/"
        finished = subprocess.run(
            ["cadaver", folder],
            input="\n".join([*commands, "quit"]) + "\n",
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={"HOME": str(home), "PATH": os.environ["PATH"], "LC_ALL": "C"},
            check=False,
        )
        # cadaver exits 0 whatever its commands did, once it connected: each command's outcome is in the output.
        assert finished.returncode == 0, finished.stdout + finished.stderr
        return finished.stdout

    return run


def test_it_locks_reads_saves_and_unlocks_with_cadaver(
    personas: Personas, plan: Attachment, cadaver, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.docx"
    edited.write_bytes(docx_bytes("Original plan", "Edited in cadaver"))
    got = tmp_path / "got.docx"

    output = cadaver(
        personas.editor,
        plan,
        ["lock Plan.docx", f"get Plan.docx {got}", f"put {edited} Plan.docx", "unlock Plan.docx"],
    )

    assert "Locking `Plan.docx': succeeded." in output
    assert re.search(rf"Downloading `[^']+/Plan.docx' to {re.escape(str(got))}: \[\.* succeeded\.", output), output
    assert re.search(rf"Uploading {re.escape(str(edited))} to `[^']+/Plan.docx': \[\.* succeeded\.", output), output
    assert "Unlocking `Plan.docx': succeeded." in output
    assert "failed" not in output, output
    assert got.read_bytes() == _stored(Version.objects.get(attachment=plan, number=1))
    plan.refresh_from_db()
    assert plan.current_version == 2
    saved = Version.objects.select_related("desktop_save").get(attachment=plan, number=2)
    assert _stored(saved) == edited.read_bytes()
    assert (saved.source, saved.created_by) == ("desktop", personas.editor)
    # Stored under the lock (the PUT's If: header named it), which UNLOCK then ended.
    assert saved.desktop_save.lock_token.startswith("opaquelocktoken:")
    assert not DesktopLock.objects.filter(attachment=plan).exists()


def test_it_refuses_a_second_users_lock_while_the_first_holds_it(
    personas: Personas, plan: Attachment, cadaver, tmp_path: Path
) -> None:
    held = cadaver(personas.editor, plan, ["set lockowner mailto:eddie@example.com", "lock Plan.docx"])
    assert "Locking `Plan.docx': succeeded." in held
    lock = locks.live().get(attachment=plan)
    assert (lock.user, "mailto:eddie@example.com" in lock.owner) == (personas.editor, True)
    theirs = tmp_path / "theirs.docx"
    theirs.write_bytes(docx_bytes("Olivia's plan"))
    got = tmp_path / "got.docx"

    output = cadaver(personas.owner, plan, ["lock Plan.docx", f"put {theirs} Plan.docx", f"get Plan.docx {got}"])

    assert "Locking `Plan.docx': failed:\n423 Locked" in output
    assert output.count("failed:\n423 Locked") == 2, output  # the lock, then the save
    assert got.read_bytes() == _stored(Version.objects.get(attachment=plan, number=1))  # reading is still allowed
    plan.refresh_from_db()
    assert plan.current_version == 1
    assert list(Version.objects.filter(attachment=plan).values_list("number", flat=True)) == [1]
    assert list(DesktopLock.objects.filter(attachment=plan)) == [lock]
    assert locks.live().get(attachment=plan).expires_at == lock.expires_at


# --- LibreOffice -------------------------------------------------------------------------------------------------


def _libreoffice_installed() -> bool:
    if shutil.which("soffice") is None or not os.path.exists(SYSTEM_PYTHON):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False).returncode == 0


class _Driver:
    """tests/support/libreoffice_driver.py, running: its lines as they come, each awaited with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.said: list[str] = []
        self.soffice_pid: int | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, wanted: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"LibreOffice did not get to {wanted!r} within {TIMEOUT} s; it said {self.said}")
            if line is None:
                assert self.process.stderr is not None
                pytest.fail(f"the driver quit before {wanted!r}; it said {self.said}: {self.process.stderr.read()}")
            self.said.append(line)
            if line.startswith("soffice "):
                self.soffice_pid = int(line.split()[1])
            if line == wanted:
                return

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


@contextmanager
def _libreoffice(url: str, profile: Path, texts: list[str]) -> Iterator[_Driver]:
    process = subprocess.Popen(
        [SYSTEM_PYTHON, str(DRIVER), url, str(profile), *texts],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    driver = _Driver(process)
    try:
        yield driver
    finally:
        if process.poll() is None:
            process.terminate()  # the driver then quits LibreOffice itself
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if driver.soffice_pid is not None and "done" not in driver.said:
            with suppress(ProcessLookupError):
                os.killpg(driver.soffice_pid, signal.SIGKILL)


def _open_in_libreoffice(client: Client, attachment: Attachment, live_server) -> str:
    """The URL "Open in LibreOffice" hands the app, clicked on a page of the live server: what the browser passes
    to LibreOffice after the ``vnd.libreoffice.command:ofe|u|`` of the redirect."""
    response = client.get(
        reverse("desktop-open-libreoffice", args=[attachment.pk]), HTTP_HOST=urlsplit(live_server.url).netloc
    )
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    prefix = "vnd.libreoffice.command:ofe|u|"
    assert location.startswith(prefix), location
    return location.removeprefix(prefix)


def _version_rows(client: Client, attachment: Attachment) -> dict[int, tuple[str, str]]:
    """The file page's version history as its user reads it: number -> (source, author)."""
    html = client.get(reverse("attachment_detail", args=[attachment.pk])).content.decode()
    row = r'<tr data-version="(\d+)".*?<span class="badge badge-source">([^<]*)</span>.*?<span class="who">([^<]*)<'
    rows = re.findall(row, html, re.S)
    return {int(number): (source, who) for number, source, who in rows}


@pytest.mark.slow
def test_it_edits_and_saves_twice_in_libreoffice(
    personas: Personas, plan: Attachment, live_server, dav_requests: list[Seen], tmp_path: Path
) -> None:
    _require("LibreOffice with python3-uno", _libreoffice_installed())
    editor = personas.client_for("editor")
    # The plain http URL: LibreOffice hands http(s) to its WebDAV content provider, which LOCKs on opening for
    # editing (vnd.sun.star.webdav:// is that provider's own scheme for the same thing).
    url = _open_in_libreoffice(editor, plan, live_server)
    assert url.startswith(live_server.url + "/dav/") and url.endswith("/Plan.docx"), url
    profile = tmp_path / "profile"

    with _libreoffice(url, profile, ["First edit", "Second edit"]) as driver:
        driver.expect("opened")
        lock = locks.live().get(attachment=plan)
        # While LibreOffice holds it, ONLYOFFICE opens it read-only with the holder's name, and the list says so.
        ds_settings.update(public_url="https://docs.example.com", jwt_secret="s" * 32)
        owner = personas.client_for("owner")
        editor_page = owner.get(reverse("onlyoffice-editor", args=[plan.pk])).content.decode()
        listing = owner.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
        driver.send("go")
        for line in ("stored 1", "stored 2", "closed", "done"):
            driver.expect(line)

    assert "Eddie Editor is editing this in a desktop app." in editor_page
    assert '"edit": false' in editor_page
    assert "Being edited in a desktop app by Eddie Editor" in listing
    history = "\n".join(map(str, dav_requests))
    # LibreOffice 7.4 asks for 180 s and refreshes before they run out; its <owner> is "LibreOffice - <name>".
    assert (lock.user, lock.timeout, "LibreOffice" in lock.owner) == (personas.editor, 180, True)
    puts = [seen for seen in dav_requests if seen.method == "PUT"]
    assert [seen.status for seen in puts] == [204, 204], history
    assert all(lock.token in seen.headers.get("If", "") for seen in puts), history
    assert (dav_requests[-1].method, dav_requests[-1].status) == ("UNLOCK", 204), history
    assert not DesktopLock.objects.filter(attachment=plan).exists()

    first, second = Version.objects.filter(attachment=plan, number__gt=1).order_by("number")
    assert [version.sha256 for version in (first, second)] == [seen.body_sha256 for seen in puts]
    for version in (first, second):
        assert (version.source, version.created_by) == ("desktop", personas.editor)
    first_xml, second_xml = _document_xml(_stored(first)), _document_xml(_stored(second))
    assert ("Original plan" in first_xml, "First edit" in first_xml, "Second edit" in first_xml) == (True, True, False)
    assert ("Original plan" in second_xml, "First edit" in second_xml, "Second edit" in second_xml) == (True,) * 3
    plan.refresh_from_db()
    assert plan.current_version == 3
    assert _version_rows(editor, plan) == {
        1: ("Upload", "Olivia Owner"),
        2: ("Desktop", "Eddie Editor"),
        3: ("Desktop", "Eddie Editor"),
    }
