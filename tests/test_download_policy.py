"""The "Block download" option of the ONLYOFFICE settings: while it is on, viewers get no copy of a file by any
path — the file page, the API, the editor, "Download as", "Save copy as", the links of older versions — and are
not offered one; editors and admins keep every download, and the Document Server still fetches the files it
shows viewers. While it is off, viewers download as before.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import jwt
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from attachments import services
from attachments.models import Attachment, VersionSource
from connector import ds_settings
from connector.models import ConversionJob
from tests.conftest import Personas

SECRET = "download-policy-secret-0123456789abcdef"
REFUSED = "Downloading is blocked for viewers"
KEEP_DOWNLOAD = ["editor", "owner", "staff"]  # an editor, the space's admin, a staff user (admin everywhere)


@pytest.fixture
def onlyoffice(db: None) -> ds_settings.DocServerConfig:
    # Never contacted: these tests read what the app answers, and play the Document Server themselves.
    return ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test", jwt_secret=SECRET)


@pytest.fixture
def blocked(onlyoffice: ds_settings.DocServerConfig) -> ds_settings.DocServerConfig:
    return ds_settings.update(block_download=True)


@pytest.fixture
def report(personas: Personas, make_attachment) -> Attachment:
    attachment = make_attachment(personas.space, "Report.docx", b"first version", user=personas.owner)
    services.version_create(
        attachment=attachment, chunks=[b"second version"], source=VersionSource.UPLOAD, created_by=personas.editor
    )
    return attachment


def download_paths(attachment: Attachment) -> dict[str, str]:
    page = reverse("attachment_download", args=[attachment.pk])
    api = reverse("api-attachment-download", args=[attachment.pk])
    return {"page": page, "page, version 1": f"{page}?version=1", "API": api, "API, version 1": f"{api}?version=1"}


PATHS = ["page", "page, version 1", "API", "API, version 1"]


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def editor_config(client: Client, attachment: Attachment) -> dict:
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def as_ds(client: Client, url: str, bearer: str) -> object:
    """GET a link meant for the Document Server with the given JWT in its header (the host does not matter)."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}", headers={"Authorization": f"Bearer {bearer}"})


def ds_jwt(url: str) -> str:
    """What the Document Server itself sends when it fetches a link: ``{"payload": {"url": ...}}``, signed."""
    return jwt.encode({"payload": {"url": url}}, SECRET, algorithm="HS256")


# --- the file page and the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_it_refuses_viewers_every_download_while_blocked(blocked, personas: Personas, report, path: str) -> None:
    response = personas.client_for("viewer").get(download_paths(report)[path])

    assert response.status_code == 403
    assert REFUSED in body_of(response).decode()
    if path.startswith("API"):
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"].startswith(REFUSED)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("persona", KEEP_DOWNLOAD)
def test_it_lets_editors_and_admins_download_while_blocked(blocked, personas, report, persona, path) -> None:
    response = personas.client_for(persona).get(download_paths(report)[path])

    assert response.status_code == 200
    assert body_of(response) == (b"first version" if path.endswith("version 1") else b"second version")


@pytest.mark.parametrize("path", PATHS)
def test_it_lets_viewers_download_while_the_policy_is_off(onlyoffice, personas: Personas, report, path: str) -> None:
    response = personas.client_for("viewer").get(download_paths(report)[path])

    assert response.status_code == 200
    assert body_of(response) == (b"first version" if path.endswith("version 1") else b"second version")


def test_it_offers_viewers_no_download_while_blocked(blocked, personas: Personas, report) -> None:
    download_url = reverse("attachment_download", args=[report.pk])
    pages = [reverse("attachment_detail", args=[report.pk]), reverse("space_detail", args=[personas.space.pk])]

    for page in pages:
        as_viewer = personas.client_for("viewer").get(page).content.decode()
        as_editor = personas.client_for("editor").get(page).content.decode()
        assert download_url not in as_viewer, page
        assert "Download as…" not in as_viewer, page
        assert download_url in as_editor, page
        assert "Download as…" in as_editor, page


def test_it_tells_space_admins_what_viewers_may_do(onlyoffice, personas: Personas) -> None:
    url = reverse("space_members", args=[personas.space.pk])
    before = personas.client_for("owner").get(url).content.decode()

    ds_settings.update(block_download=True)
    after = personas.client_for("owner").get(url).content.decode()

    assert "Viewers read and download." in before
    assert "Viewers read but may not download." in after


def test_it_offers_viewers_downloads_while_the_policy_is_off(onlyoffice, personas: Personas, report) -> None:
    detail = personas.client_for("viewer").get(reverse("attachment_detail", args=[report.pk])).content.decode()

    assert f"{reverse('attachment_download', args=[report.pk])}?version=1" in detail
    assert "Download as…" in detail


# --- the editor ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"), [("viewer", False), ("editor", True), ("owner", True), ("staff", True)]
)
def test_it_gives_only_viewers_an_editor_without_download_print_and_copy(blocked, personas, report, persona, allowed):
    permissions = editor_config(personas.client_for(persona), report)["document"]["permissions"]

    assert (permissions["download"], permissions["print"], permissions["copy"]) == (allowed, allowed, allowed)


def test_it_gives_viewers_download_print_and_copy_while_the_policy_is_off(onlyoffice, personas, report) -> None:
    permissions = editor_config(personas.client_for("viewer"), report)["document"]["permissions"]

    assert (permissions["download"], permissions["print"], permissions["copy"]) == (True, True, True)


def test_it_still_lets_the_document_server_fetch_what_a_viewer_views(blocked, personas: Personas, report) -> None:
    url = editor_config(personas.client_for("viewer"), report)["document"]["url"]

    response = as_ds(Client(), url, ds_jwt(url))

    assert response.status_code == 200
    assert body_of(response) == b"second version"


# --- "Download as" ---------------------------------------------------------------------------------------------


def test_it_refuses_viewers_download_as_while_blocked(blocked, personas: Personas, report) -> None:
    url = reverse("onlyoffice-convert", args=[report.pk])
    viewer = personas.client_for("viewer")

    page = viewer.get(url)
    posted = viewer.post(url, {"kind": "download", "output_type": "pdf"})

    assert page.status_code == 403 and REFUSED in page.content.decode()
    assert posted.status_code == 403 and REFUSED in posted.content.decode()
    assert not ConversionJob.objects.exists()


@pytest.mark.parametrize("persona", KEEP_DOWNLOAD)
def test_it_offers_editors_and_admins_download_as_while_blocked(blocked, personas, report, persona) -> None:
    page = personas.client_for(persona).get(reverse("onlyoffice-convert", args=[report.pk]))

    assert page.status_code == 200
    assert 'id="download-as"' in page.content.decode()


def test_it_stops_serving_a_viewers_download_as_result_once_blocked(onlyoffice, personas: Personas, report) -> None:
    name = default_storage.save("conversions/report.pdf", ContentFile(b"%PDF-1.7 converted"))
    job = ConversionJob.objects.create(
        attachment=report,
        version_number=2,
        source_title=report.title,
        input_type="docx",
        requested_by=personas.viewer,
        kind=ConversionJob.Kind.DOWNLOAD,
        output_type="pdf",
        state=ConversionJob.State.DONE,
        key="download-policy-job",
        connector_base="http://connector.test",
        result_file=name,
        result_name="Report.pdf",
    )
    url = reverse("onlyoffice-conversion-file", args=[job.pk])
    viewer = personas.client_for("viewer")
    before = viewer.get(url)

    ds_settings.update(block_download=True)
    after = viewer.get(url)

    assert before.status_code == 200
    assert after.status_code == 403 and REFUSED in after.content.decode()


# --- "Save copy as" in the editor ------------------------------------------------------------------------------


def test_it_refuses_viewers_save_copy_as_while_blocked(blocked, personas: Personas, report) -> None:
    archive = services.space_create(name="Archive", created_by=personas.viewer)
    viewer = personas.client_for("viewer")
    body = {"url": "http://127.0.0.1:9/cache/files/copy.pdf", "title": "Report", "fileType": "pdf"}

    spaces = viewer.get(reverse("onlyoffice-event-spaces", args=[report.pk]))
    saved = viewer.post(
        reverse("onlyoffice-event-save-as", args=[report.pk]),
        data=json.dumps({**body, "space_id": archive.pk}),
        content_type="application/json",
    )

    assert spaces.status_code == 403 and spaces.json()["message"].startswith(REFUSED)
    assert saved.status_code == 403 and saved.json()["message"].startswith(REFUSED)
    assert not Attachment.objects.filter(space=archive).exists()


@pytest.mark.parametrize("persona", KEEP_DOWNLOAD)
def test_it_lets_editors_and_admins_save_copies_while_blocked(blocked, personas, report, persona) -> None:
    response = personas.client_for(persona).get(reverse("onlyoffice-event-spaces", args=[report.pk]))

    assert response.status_code == 200


# --- history in the editor -------------------------------------------------------------------------------------


def test_it_gives_viewers_history_links_only_the_document_server_can_fetch(blocked, personas, report) -> None:
    viewer = personas.client_for("viewer")
    response = viewer.get(reverse("onlyoffice-history-data", args=[report.pk]) + "?version=1")
    data = response.json()

    # The editor shows version 1 because the Document Server fetches it with its own JWT...
    assert response.status_code == 200
    shown = as_ds(Client(), data["url"], ds_jwt(data["url"]))
    assert shown.status_code == 200 and body_of(shown) == b"first version"
    # ...but what the browser holds (the link and the token over setHistoryData) downloads nothing.
    assert as_ds(viewer, data["url"], data["token"]).status_code == 403
    assert viewer.get(urlsplit(data["url"]).path + "?" + urlsplit(data["url"]).query).status_code == 403


# --- the settings page -----------------------------------------------------------------------------------------


def test_it_says_on_the_settings_page_that_viewers_get_no_copy_by_any_path(onlyoffice, personas: Personas) -> None:
    page = personas.client_for("staff").get(reverse("onlyoffice-settings")).content.decode()

    assert "Block download for viewers" in page
    assert "file page, the API" in page
