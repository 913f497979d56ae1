"""The suite's second run on S3: which tests touch storage, and each test's default storage in either run.

``pytest`` (the file-system run) gives every test a media folder of its own, notes each test that left anything
in it, and keeps their ids in ``tests/artifacts/storage-tests.txt``. ``pytest --storage=s3`` (``make test-s3``)
runs exactly those tests again, each with a fresh bucket on the session's moto server as its default storage,
configured by production's ``_s3_storage()`` from the ``AWS_*`` variables; the processes a test starts (celery
workers) get the same bucket through the same variables (``process_environment``).

A test that is about local files by nature (X-Accel-Redirect paths, ``Storage.path``, a full disk) is marked
``@pytest.mark.filesystem_only("why")`` and skipped in the S3 run with that reason.
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.loaders
import botocore.session
import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from attachments.storage import S3_BACKEND

if TYPE_CHECKING:
    from tests.support.s3 import S3Server

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Written by the file-system run, read by the S3 run; git-ignored like the rest of tests/artifacts/.
STORAGE_TESTS = BASE_DIR / "tests" / "artifacts" / "storage-tests.txt"
S3_SETTINGS_MODULE = "tests.support.s3_settings"
# django-storages' option and the variable config.settings._s3_storage() reads it from.
S3_VARIABLES = {
    "bucket_name": "AWS_STORAGE_BUCKET_NAME",
    "endpoint_url": "AWS_S3_ENDPOINT_URL",
    "region_name": "AWS_S3_REGION_NAME",
    "access_key": "AWS_S3_ACCESS_KEY_ID",
    "secret_key": "AWS_S3_SECRET_ACCESS_KEY",
    "addressing_style": "AWS_S3_ADDRESSING_STYLE",
    "location": "AWS_LOCATION",
}

_touched = pytest.StashKey[set[str]]()
_ran = pytest.StashKey[set[str]]()
_collected = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--storage",
        choices=("filesystem", "s3"),
        default="filesystem",
        help="filesystem: every test, files in a folder per test, and note which tests touch storage; "
        f"s3: only those tests ({STORAGE_TESTS.relative_to(BASE_DIR)}), each on a fresh bucket of a moto server",
    )


def on_s3(config: pytest.Config) -> bool:
    return config.getoption("storage") == "s3"


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_touched] = set()
    config.stash[_ran] = set()
    config.stash[_collected] = set()
    if on_s3(config):
        # Each test's storage, and each live-server thread, makes a boto3 session, and each session would read
        # botocore's S3 model anew (about 0.3 s, over a second on a busy machine). The model is data that never
        # changes: one loader for them all. Nothing else about the requests changes.
        botocore.session.create_loader = _shared_loader


class _UniquePaths(list[str]):
    """boto3 adds its data folder to the loader of every session it makes: once is enough for a shared one."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    # As botocore.loaders.create_loader makes it (AWS_DATA_PATH), with a list that ignores repeats.
    paths = [os.path.expanduser(os.path.expandvars(path)) for path in (search_path_string or "").split(os.pathsep)]
    return botocore.loaders.Loader(extra_search_paths=_UniquePaths(path for path in paths if path))


def pytest_itemcollected(item: pytest.Item) -> None:
    # Every test of the modules collected, before -k or -m leave some out: what exists now.
    item.config.stash[_collected].add(item.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_s3(config):
        return
    if not STORAGE_TESTS.exists():
        raise pytest.UsageError(
            f"{STORAGE_TESTS} is missing: the file-system run writes it (`make test`, or `pytest` then `make test-s3`)"
        )
    wanted = _read_list()
    kept = [item for item in items if item.nodeid in wanted]
    left_out = [item for item in items if item.nodeid not in wanted]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    for item in kept:
        marker = item.get_closest_marker("filesystem_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"about local files, not storage: {reason}"))


def _read_list() -> set[str]:
    # One id a line: a parametrized id may hold spaces.
    return {line for line in STORAGE_TESTS.read_text(encoding="utf-8").splitlines() if line}


def _as_lists(config: pytest.Config) -> dict[str, list[str]]:
    return {
        "touched": sorted(config.stash[_touched]),
        "ran": sorted(config.stash[_ran]),
        "collected": sorted(config.stash[_collected]),
    }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, in the controller: a worker's notes join the run's (the workers write no list themselves)."""
    notes = getattr(node, "workeroutput", {}).get("storage_run")
    if notes:
        config = node.config
        for key, name in ((_touched, "touched"), (_ran, "ran"), (_collected, "collected")):
            config.stash[key].update(notes[name])


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        # An xdist worker saw only its share of the tests: its notes go to the controller, which writes the list.
        workeroutput["storage_run"] = _as_lists(config)
        return
    if on_s3(config):
        if session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            # `make test PYTEST_ARGS=...` narrowed to tests that touch no storage: nothing to run again is no error.
            session.exitstatus = pytest.ExitCode.OK
        return
    if not config.stash[_ran]:
        return
    ran, collected = config.stash[_ran], config.stash[_collected]
    modules = {nodeid.split("::")[0] for nodeid in collected}
    previous = _read_list() if STORAGE_TESTS.exists() else set()
    # A run of a few tests refreshes their lines and keeps the others; a test gone from its module goes too.
    still_valid = {
        nodeid
        for nodeid in previous - ran
        if (BASE_DIR / nodeid.split("::")[0]).exists() and (nodeid.split("::")[0] not in modules or nodeid in collected)
    }
    STORAGE_TESTS.parent.mkdir(parents=True, exist_ok=True)
    lines = sorted(still_valid | config.stash[_touched])
    STORAGE_TESTS.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


@contextlib.contextmanager
def default_storage_for(
    request: pytest.FixtureRequest, django_settings: Any, location: Path, server: S3Server
) -> Iterator[None]:
    """This test's default storage: ``location`` (noting whether the test left anything there) or a fresh bucket."""
    if on_s3(request.config):
        with _fresh_bucket(server, django_settings):
            yield
        return
    django_settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    yield
    request.config.stash[_ran].add(request.node.nodeid)
    # Storage never removes folders: a test that wrote files and deleted them all still leaves its folders.
    if any(location.iterdir()):
        request.config.stash[_touched].add(request.node.nodeid)


@contextlib.contextmanager
def _fresh_bucket(server: S3Server, django_settings: Any) -> Iterator[None]:
    from config.settings import _s3_storage

    server.ensure_started()
    bucket = server.new_bucket(f"run-{uuid.uuid4().hex[:24]}")
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            for name, value in server.environment(bucket.name).items():
                monkeypatch.setenv(name, value)
            for name in S3_VARIABLES.values():
                monkeypatch.delenv(f"{name}_FILE", raising=False)  # a secret file would win over the value
            monkeypatch.setenv("STORAGE_BACKEND", "s3")
            django_settings.STORAGES = {**django_settings.STORAGES, "default": _s3_storage()}
            yield
    finally:
        bucket.remove()


def process_environment(media_root: Path) -> dict[str, str]:
    """The variables that give a process a test starts (a celery worker) the test's default storage.

    On S3 the bucket's settings, as an operator sets them, and a settings module that lets them win over the test
    settings' media folder; otherwise the folder.
    """
    default = settings.STORAGES["default"]
    if default["BACKEND"] != S3_BACKEND:
        return {"TEST_MEDIA_ROOT": str(media_root)}
    options = default["OPTIONS"]
    variables = {name: str(options.get(option) or "") for option, name in S3_VARIABLES.items()}
    return {**variables, "STORAGE_BACKEND": "s3", "DJANGO_SETTINGS_MODULE": S3_SETTINGS_MODULE}


def stored_names(folder: str = "") -> set[str]:
    """Every file name in the default storage under ``folder``, on a file system or in a bucket alike."""
    folders, files = default_storage.listdir(folder)
    names = {f"{folder}/{name}" if folder else name for name in files}
    for sub in folders:
        names |= stored_names(f"{folder}/{sub}" if folder else sub)
    return names
