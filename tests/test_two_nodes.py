"""Several machines (docs/deploy.md, "Several machines"): two web nodes, two workers and one beat, each a separate
process with a DATA_DIR of its own, on one PostgreSQL database, one Redis database and one S3 bucket.

The Document Server reaches the nodes through a load balancer that sends its downloads to node A and its
callbacks to node B (tests/support/nodes.py says why); the browsers' pages come from either node. What one node
or worker does, the others must see at once: sessions, the ONLYOFFICE settings, editors' presence, desktop
locks, login lockouts and share-link throttles. Each save makes exactly one version, whichever worker stores it
and however often the Document Server repeats the callback, and no node keeps a file on its own disk.

The cluster starts once for the module. The beat test comes last: beat's first run is one period after it starts.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.desktop.dav import LOCK_BODY
from tests.support import nodes
from tests.support.nodes import Cluster, dav_link, editor_config, form_values, login, login_attempt, sha256
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Bucket, S3Server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3, pytest.mark.worker, pytest.mark.slow]

SESSIONS = 20
# connector.sweep and connector.sessions_sweep: every 60 s (config/settings.py, CELERY_BEAT_SCHEDULE).
SWEEP_PERIOD = 60.0


def _require(name: str) -> None:
    # The conftest's check runs per test, after a module fixture: the cluster must not start without its services.
    from tests.conftest import _service_available

    available, reason = _service_available(name)
    if not available:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"required service missing under CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> Iterator[S3Bucket]:
    for name in ("postgres", "redis", "s3"):
        _require(name)
    s3_server.ensure_started()
    made = S3Bucket(name=f"test-{uuid.uuid4().hex[:24]}", client=s3_server.client())
    made.client.create_bucket(Bucket=made.name)
    yield made
    made.remove()


@pytest.fixture(scope="module")
def cluster(s3_server: S3Server, bucket: S3Bucket) -> Iterator[Cluster]:
    s3_env = {
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
    with nodes.cluster(
        s3_endpoint=s3_server.endpoint_url, bucket=bucket.name, s3_env=s3_env, sessions=SESSIONS
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _logs_on_failure(cluster: Cluster) -> Iterator[None]:
    yield
    # pytest shows a test's captured output only when it failed: then every process's log is at hand.
    print(cluster.logs(lines=200))


def _access_log_lines(node: nodes.Node, pattern: str) -> list[str]:
    return [line for line in node.log().splitlines() if re.search(pattern, line)]


def test_it_keeps_a_login_from_node_a_on_node_b_and_ends_it_on_both(cluster: Cluster) -> None:
    http = login(cluster.a.url, "eddie")
    page = cluster.seed["settings_file"]

    on_b = http.get(f"{cluster.b.url}/attachments/{page}/", allow_redirects=False, timeout=30)
    assert on_b.status_code == 200, "node B did not know node A's session"
    # Logging out on B (the page's own form) ends the session on A too.
    token = nodes.CSRF_INPUT.search(on_b.text)
    assert token is not None
    logout = {"csrfmiddlewaretoken": token.group(1)}
    assert http.post(f"{cluster.b.url}/accounts/logout/", data=logout, allow_redirects=False, timeout=30).ok
    on_a = http.get(f"{cluster.a.url}/attachments/{page}/", allow_redirects=False, timeout=30)
    assert on_a.status_code == 302 and "/accounts/login/" in on_a.headers["Location"]


def test_it_applies_a_settings_change_made_on_node_a_to_node_b_at_once(cluster: Cluster) -> None:
    editor = login(cluster.a.url, "eddie")
    attachment_id = cluster.seed["settings_file"]
    assert editor_config(editor, cluster.b.url, attachment_id)["document"]["permissions"]["chat"] is True
    staff = login(cluster.a.url, "stella")
    page = staff.get(f"{cluster.a.url}/onlyoffice/settings/", timeout=30)
    assert page.status_code == 200
    values = [(name, value) for name, value in form_values(page.text) if name != "chat"]

    saved = staff.post(
        f"{cluster.a.url}/onlyoffice/settings/", data=[*values, ("action", "save")], allow_redirects=False, timeout=30
    )

    assert saved.status_code == 302, saved.text[-2000:]
    # No wait, no poll: node B's very next editor config has it.
    config = editor_config(editor, cluster.b.url, attachment_id)
    assert config["document"]["permissions"]["chat"] is False


def test_it_saves_each_session_once_with_downloads_on_a_callbacks_on_b_and_either_worker(
    cluster: Cluster, bucket: S3Bucket
) -> None:
    ids: list[int] = cluster.seed["sessions"]
    editor = login(cluster.a.url, "eddie")
    viewer = login(cluster.a.url, "vera")
    texts = {attachment_id: f"saved once: {attachment_id} {uuid.uuid4().hex}".encode() for attachment_id in ids}

    def open_editor(attachment_id: int) -> tuple[str, str]:
        http = requests.Session()
        http.cookies.update(editor.cookies)
        config = editor_config(http, cluster.a.url, attachment_id)
        reply = cluster.fakeds.open(config)
        assert reply["callback"]["succeeded"], reply
        return reply["key"], str(config["editorConfig"]["user"]["id"])

    def presence(attachment_id: int) -> dict[str, Any]:
        http = requests.Session()
        http.cookies.update(viewer.cookies)
        return http.get(f"{cluster.a.url}/onlyoffice/editor/{attachment_id}/presence/", timeout=30).json()

    def save(attachment_id: int, key: str, uid: str) -> list[dict[str, Any]]:
        cluster.fakeds.edit(key, uid, texts[attachment_id].decode())
        closed = cluster.fakeds.close(key, uid)["callback"]
        assert closed["status"] == 2 and closed["succeeded"], closed
        # The Document Server's retries of the same status 2, to both nodes at once.
        return cluster.fakeds.call("resend", key=key, bases=[cluster.a.url, cluster.b.url])["answers"]

    with ThreadPoolExecutor(SESSIONS) as pool:
        sessions = dict(zip(ids, pool.map(open_editor, ids), strict=True))
        # Status 1 reached node B; node A shows the editor to someone else at once.
        seen = list(pool.map(presence, ids))
        assert all(any("Eddie" in name for name in answer["editors"]) for answer in seen), seen
        resent = list(pool.map(lambda item: save(item[0], *item[1]), sessions.items()))

    for answers in resent:
        assert [answer["http_status"] for answer in answers] == [200, 200], answers
        assert all('"error": 0' in answer["response"] or '"error":0' in answer["response"] for answer in answers)

    unsaved: dict[int, dict[str, Any]] = {}

    def all_saved() -> bool:
        answers = {attachment_id: presence(attachment_id) for attachment_id in ids}
        unsaved.clear()
        unsaved.update({pk: answer for pk, answer in answers.items() if answer["version"] != 2 or answer["saving"]})
        return not unsaved

    try:
        cluster.poll(all_saved, what=f"{SESSIONS} saves stored", timeout=120)
    except AssertionError as error:
        raise AssertionError(f"not saved (attachment id: presence): {unsaved}\n{error}") from None
    for attachment_id in ids:
        versions = editor.get(f"{cluster.b.url}/api/attachments/{attachment_id}/versions/", timeout=30).json()
        rows = versions["results"] if isinstance(versions, dict) else versions
        assert sorted(row["number"] for row in rows) == [1, 2], rows
        assert sha256(texts[attachment_id]) in {row["sha256"] for row in rows}

    # Every saved file is an object in the bucket, byte for byte.
    names = bucket.keys()
    stored = {sha256(bucket.read(name)) for name in names}
    assert {sha256(text) for text in texts.values()} <= stored

    # The route each request took: the Document Server's downloads to A, its callbacks to B.
    for attachment_id in ids:
        assert _access_log_lines(cluster.a, rf'"GET /onlyoffice/download/{attachment_id}/')
        assert _access_log_lines(cluster.b, rf'"POST /onlyoffice/callback/{attachment_id}/')
    assert not _access_log_lines(cluster.b, r'"GET /onlyoffice/download/')

    # Both workers stored saves, SESSIONS in all; which stored which is up to the broker. A resent callback may
    # enqueue a save again: that task finds nothing to claim and says so (connector/tasks.py).
    def stored_by(worker: nodes.Node) -> int:
        log = worker.log()
        ran = len(re.findall(r"Task connector\.tasks\.save_document\[[^\]]+\] succeeded", log))
        return ran - len(re.findall(r"save request \d+: nothing to claim", log))

    stored_by_worker = {worker.name: stored_by(worker) for worker in cluster.workers}
    print("saves stored by worker:", stored_by_worker)
    assert sum(stored_by_worker.values()) == SESSIONS and all(stored_by_worker.values()), stored_by_worker

    # No node kept a file on its own disk: the bucket holds them all. Only beat keeps one, its schedule.
    kept = {node.name: node.files() for node in cluster.nodes}
    print("files under each DATA_DIR:", kept)
    assert all(not kept[node.name] for node in [cluster.a, cluster.b, *cluster.workers]), kept
    assert all(name.startswith("celerybeat-schedule") for name in kept["beat"]), kept


def test_it_refuses_writes_and_editing_on_node_b_while_a_desktop_app_holds_a_lock_taken_on_node_a(
    cluster: Cluster,
) -> None:
    attachment_id = cluster.seed["desktop_file"]
    holder = login(cluster.a.url, "eddie")
    other = login(cluster.a.url, "erin")
    link = dav_link(holder, cluster.a.url, attachment_id)
    assert link.startswith(cluster.a.url)

    locked = requests.request(
        "LOCK",
        link,
        data=LOCK_BODY.format(owner="Eddie"),
        headers={"Content-Type": "text/xml", "Timeout": "Second-3600", "Depth": "0"},
        timeout=30,
    )
    assert locked.status_code == 200, locked.text
    other_link = dav_link(other, cluster.b.url, attachment_id)
    assert other_link.startswith(cluster.b.url)

    put = requests.put(other_link, data=b"someone else's copy", timeout=30)
    assert put.status_code == 423, put.text
    assert editor_config(other, cluster.b.url, attachment_id)["editorConfig"]["mode"] == "view"

    # Released through the other node, the file is editable again everywhere.
    on_b = link.replace(cluster.a.url, cluster.b.url)
    unlocked = requests.request("UNLOCK", on_b, headers={"Lock-Token": locked.headers["Lock-Token"]}, timeout=30)
    assert unlocked.status_code == 204, unlocked.text
    assert editor_config(other, cluster.a.url, attachment_id)["editorConfig"]["mode"] == "edit"


def test_it_counts_failed_logins_on_both_nodes_together(cluster: Cluster) -> None:
    http = requests.Session()
    limit = 5  # DJANGO_LOGIN_FAILURE_LIMIT's default, which the cluster keeps
    answers = [
        login_attempt(http, (cluster.a.url, cluster.b.url)[attempt % 2], "lockout", "wrong password").status_code
        for attempt in range(limit)
    ]

    assert answers[: limit - 1] == [200] * (limit - 1), answers
    # Three wrong passwords on A and two on B: the right one is refused on both, as after five on one node.
    for node in (cluster.b, cluster.a):
        assert login_attempt(requests.Session(), node.url, "lockout", nodes.PASSWORD).status_code == 429


def test_it_counts_wrong_share_link_passwords_on_both_nodes_together(cluster: Cluster) -> None:
    from sharing.services import PASSWORD_ATTEMPTS

    path = f"/s/{cluster.seed['share_secret']}/"
    http = requests.Session()

    # One CSRF cookie and token for both nodes: they share the secret key, as a browser behind the balancer sees.
    page = http.get(f"{cluster.a.url}{path}", timeout=30)
    token = nodes.CSRF_INPUT.search(page.text)
    assert token is not None, page.text[-2000:]

    def attempt(base_url: str, password: str) -> int:
        data = {"step": "password", "password": password, "csrfmiddlewaretoken": token.group(1)}
        return http.post(f"{base_url}{path}", data=data, allow_redirects=False, timeout=30).status_code

    wrong = [attempt((cluster.a.url, cluster.b.url)[number % 2], "not it") for number in range(PASSWORD_ATTEMPTS)]

    assert wrong == [403] * PASSWORD_ATTEMPTS, wrong
    assert attempt(cluster.b.url, "a link password") == 429
    assert attempt(cluster.a.url, "a link password") == 429


def test_it_runs_each_periodic_task_once_per_period_across_both_workers(cluster: Cluster) -> None:
    """The one beat sends each due task once a period; exactly one of the two workers runs each sending. Beat's
    first run of the 60-second sweeps is a period after it started, so this test waits for the rest of it."""

    def sent(task: str) -> list[str]:
        return re.findall(rf"{re.escape(task)} sent\. id->([0-9a-f-]+)", cluster.beat.log())

    def runs(task_id: str) -> list[str]:
        pattern = rf"\[{re.escape(task_id)}\] succeeded"
        return [worker.name for worker in cluster.workers for _ in re.findall(pattern, worker.log())]

    # The workers run no beat of their own (``celery worker -B``): the one beat process is the only scheduler.
    assert not [worker.name for worker in cluster.workers if "beat: Starting" in worker.log()]
    tasks = ("connector.sweep", "connector.sessions_sweep")
    for task in tasks:
        cluster.poll(lambda task=task: sent(task), what=f"beat to send {task}", timeout=SWEEP_PERIOD + 60)
        cluster.poll(
            lambda task=task: all(runs(task_id) for task_id in sent(task)), what=f"a worker to run {task}", timeout=60
        )
    periods = (time.monotonic() - cluster.beat.started_at) // SWEEP_PERIOD
    for task in tasks:
        sendings = sent(task)
        # Once a period (the first comes a period after beat starts), each sending run by one worker only.
        assert 1 <= len(sendings) <= periods, (task, sendings, periods)
        assert all(len(runs(task_id)) == 1 for task_id in sendings), {task_id: runs(task_id) for task_id in sendings}
