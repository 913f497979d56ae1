"""Every command the product prints works as pasted, and a missing secret key is one line that says what to set.

The commands are run in a copy of the checkout (its virtualenv linked in), from a shell like a new user's: PATH
without the virtualenv and no Django variable. They are taken from where they are printed — `make run`'s output,
the README, docs/, the pages' templates and the messages in the code — never copied by hand into this file.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.support.workers import poll_until

BASE_DIR = Path(__file__).resolve().parent.parent
# A new user's shell: the system's python3 and make, no virtualenv on PATH.
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"
# What the docs ask the reader to have at hand when a command uses it ("$JWT_SECRET", "$SECRET").
DOC_VARIABLES = {"JWT_SECRET": "a-jwt-secret-from-the-document-server", "SECRET": "another-jwt-secret-to-set"}
NEW_PASSWORD = "Zebra-Quartz-9182-Lantern"
# After `make run` no Document Server is set up: these commands then say so and exit 1, which is their job.
WITHOUT_A_DOCUMENT_SERVER = {
    "./manage.py onlyoffice check": "checks did not pass",
    "./manage.py onlyoffice recover": "The Document Server URL is not set.",
    "./manage.py thumbnails": "The Document Server URL is not set.",
    "./manage.py thumbnails --all": "The Document Server URL is not set.",
    "./manage.py thumbnails --retry-failed": "The Document Server URL is not set.",
}
pytestmark = pytest.mark.slow


def _bare_env(home: Path, **variables: str) -> dict[str, str]:
    return {"PATH": BARE_PATH, "HOME": str(home), "LANG": "C.UTF-8", **variables}


def _run(
    command: str | list[str], checkout: Path, *, stdin: str = "", **variables: str
) -> subprocess.CompletedProcess[str]:
    """A command as typed in a shell (a string) or started by a process manager (a list), in ``checkout``."""
    args = ["/bin/sh", "-c", command] if isinstance(command, str) else command
    return subprocess.run(
        args,
        cwd=checkout,
        env=_bare_env(checkout.parent, **variables),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # No controlling terminal: changepassword's getpass then reads the answers from stdin.
        start_new_session=True,
    )


def _copy_checkout(target: Path) -> Path:
    """The working tree's files (tracked and new, as git sees them) and a link to the virtualenv running the tests."""
    listed = subprocess.run(
        ["git", "-C", str(BASE_DIR), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = BASE_DIR / name
        if not source.is_file():
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        # copy2: manage.py keeps its executable bit, and the requirements their times (make compares them).
        shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix))
    return target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@dataclass(frozen=True)
class MadeRun:
    checkout: Path
    output: str
    address: str
    address_status: int


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh checkout whose virtualenv exists (as after `make test`), before any `make run`."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("the tests do not run in a virtualenv to link into the copy")
    return _copy_checkout(tmp_path_factory.mktemp("fresh") / "checkout")


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> MadeRun:
    """`make run` in a copy of the checkout, until its web server answers; then Ctrl-C, as a user would."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("the tests do not run in a virtualenv to link into the copy")
    checkout = _copy_checkout(tmp_path_factory.mktemp("made") / "checkout")
    port = _free_port()
    log_path = checkout.parent / "make-run.log"
    with log_path.open("wb") as log:
        # `-o <stamp>`: never reinstall into the linked virtualenv, which belongs to the test run.
        process = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "run"],
            cwd=checkout,
            env=_bare_env(checkout.parent, PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    address = f"http://127.0.0.1:{port}/"
    try:

        def serving() -> int | None:
            if process.poll() is not None:
                pytest.fail(f"make run ended with {process.returncode}:\n{log_path.read_text()}")
            return _status_of(address) if "devserver: web on" in log_path.read_text() else None

        status = poll_until(serving, what="make run to serve", timeout=180)
    finally:
        # Ctrl-C reaches make and the devserver, which stops its web server and worker itself.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return MadeRun(checkout=checkout, output=log_path.read_text(), address=address, address_status=status)


def _copy_of(made: MadeRun, target: Path) -> Path:
    """The checkout after `make run`, data folder included: one per command, so that none sees another's changes."""
    return Path(shutil.copytree(made.checkout, target / "checkout", symlinks=True))


# --- where commands are printed -------------------------------------------------------------------------------


def _markdown_commands(text: str) -> list[str]:
    found: list[str] = []
    parts = re.split(r"^```.*$", text, flags=re.MULTILINE)
    for index, part in enumerate(parts):
        if index % 2:  # inside a fenced block: each line is a command, maybe with a comment
            lines = [line for line in part.splitlines() if "./manage.py" in line and not line.startswith("#")]
            found += [re.sub(r"\s+#\s.*$", "", line).strip() for line in lines]
        else:
            found += [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", part) if "./manage.py" in span]
    return found


def _template_commands(text: str) -> list[str]:
    spans = re.findall(r"<code>(.*?)</code>", text, flags=re.DOTALL)
    return [html.unescape(" ".join(span.split())) for span in spans if "./manage.py" in span]


def _python_commands(text: str) -> list[str]:
    return re.findall(r"“(\./manage\.py[^”]*)”", text) + re.findall(r"``(\./manage\.py[^`]*)``", text)


def _printed_commands() -> list[str]:
    commands: list[str] = []
    for path in [BASE_DIR / "README.md", *sorted((BASE_DIR / "docs").glob("*.md"))]:
        commands += _markdown_commands(path.read_text(encoding="utf-8"))
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        commands += _template_commands(path.read_text(encoding="utf-8"))
    for folder in ("attachments", "connector", "config", "scripts"):
        for path in sorted((BASE_DIR / folder).rglob("*.py")):
            commands += _python_commands(path.read_text(encoding="utf-8"))
    # Left out: commands run inside a container (docker ...), and general forms (`./manage.py <command>`) or
    # strings formatted at run time (%(user)s: `make run`'s own output is checked below).
    inside_a_container = re.compile(r"\bdocker (compose|run|exec)\b")
    runnable = {c for c in commands if not inside_a_container.search(c) and "<" not in c and "%(" not in c}
    return sorted(runnable)


def _sources_printing(pattern: str) -> list[str]:
    """``file:line: text`` of each line of the README, docs, templates and code that matches ``pattern``."""
    paths = [BASE_DIR / "README.md", *sorted((BASE_DIR / "docs").glob("*.md"))]
    paths += sorted((BASE_DIR / "templates").rglob("*.html"))
    for folder in ("attachments", "connector", "config", "scripts"):
        paths += sorted((BASE_DIR / folder).rglob("*.py"))
    hits = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(pattern, line) and "docker" not in line:
                hits.append(f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}")
    return hits


# --- make run ----------------------------------------------------------------------------------------------------


def test_it_prints_an_address_that_answers_and_a_password_command_when_make_run_starts(made_run: MadeRun) -> None:
    assert f"Log in at {made_run.address} as admin / " in made_run.output
    assert f"devserver: web on {made_run.address}" in made_run.output
    assert made_run.address_status in {200, 302}
    printed = re.findall(r"\./manage\.py [^\n]+", made_run.output)
    assert printed == ["./manage.py changepassword admin"], made_run.output


def test_it_changes_the_demo_password_with_the_command_make_run_prints(made_run: MadeRun, tmp_path: Path) -> None:
    checkout = _copy_of(made_run, tmp_path)
    command = re.search(r"Change it with: (\S.*)$", made_run.output, flags=re.MULTILINE).group(1).strip()

    result = _run(command, checkout, stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")

    assert result.returncode == 0, result.stderr
    assert "Password changed successfully for user 'admin'" in result.stdout
    with sqlite3.connect(checkout / "var" / "db.sqlite3") as db:
        (encoded,) = db.execute("SELECT password FROM auth_user WHERE username = 'admin'").fetchone()
    # Django's default hasher (the test settings use a faster one, so ask this one directly).
    assert PBKDF2PasswordHasher().verify(NEW_PASSWORD, encoded)


def test_it_prints_the_password_command_again_when_make_run_starts_again(made_run: MadeRun, tmp_path: Path) -> None:
    checkout = _copy_of(made_run, tmp_path)

    # The demo step of `make run`, as its recipe runs it.
    again = _run(["make", "-o", ".venv/.installed", "-n", "run"], checkout)
    demo_line = next(line for line in again.stdout.splitlines() if "manage.py demo" in line)
    result = _run(demo_line, checkout)

    assert result.returncode == 0, result.stderr
    assert "Forgot its password? Run: ./manage.py changepassword admin" in result.stdout


# --- the README, docs, pages and messages ------------------------------------------------------------------------


def test_it_finds_the_commands_the_readme_and_the_pages_print() -> None:
    commands = _printed_commands()

    assert "./manage.py changepassword admin" in commands
    assert './manage.py onlyoffice settings --url https://docs.example.com --secret "$JWT_SECRET"' in commands
    assert "./manage.py onlyoffice recover" in commands  # the failed-save e-mail


def test_it_prints_no_manage_py_command_that_needs_the_virtualenv_on_path() -> None:
    assert _sources_printing(r"\bpython3? manage\.py") == []


@pytest.mark.parametrize("command", _printed_commands())
def test_it_runs_each_printed_command_as_pasted_after_make_run(made_run: MadeRun, tmp_path: Path, command: str) -> None:
    checkout = _copy_of(made_run, tmp_path)

    result = _run(command, checkout, stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n", **DOC_VARIABLES)

    assert "Traceback" not in result.stderr, result.stderr
    assert "Configuration error" not in result.stderr
    expected = next(
        (message for prefix, message in WITHOUT_A_DOCUMENT_SERVER.items() if command.startswith(prefix)), None
    )
    if expected is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode == 1
        assert expected in result.stderr


# --- development mode and the missing secret ---------------------------------------------------------------------

SHOW_DEBUG = "./manage.py shell -c 'from django.conf import settings; print(settings.DEBUG)'"
PRODUCTION_KEY = "a-long-random-production-secret-key-for-this-test-only"


@pytest.mark.parametrize(
    ("variables", "debug"),
    [
        ({}, "True"),
        ({"DJANGO_SECRET_KEY": PRODUCTION_KEY}, "False"),
        ({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": PRODUCTION_KEY}, "False"),  # as in the Docker image
    ],
)
def test_it_runs_manage_py_in_development_mode_only_where_make_run_marked_and_nothing_says_otherwise(
    made_run: MadeRun, variables: dict[str, str], debug: str
) -> None:
    result = _run(SHOW_DEBUG, made_run.checkout, **variables)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == debug


def test_it_never_turns_on_development_mode_when_debug_is_set_to_false(made_run: MadeRun) -> None:
    result = _run(SHOW_DEBUG, made_run.checkout, DJANGO_DEBUG="false")

    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error: DJANGO_SECRET_KEY is required")


def test_it_never_turns_on_development_mode_with_a_secret_key_file(made_run: MadeRun, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(PRODUCTION_KEY, encoding="utf-8")

    result = _run(SHOW_DEBUG, made_run.checkout, DJANGO_SECRET_KEY_FILE=str(key_file))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"


def test_it_never_turns_on_development_mode_for_a_data_folder_make_run_did_not_mark(
    made_run: MadeRun, tmp_path: Path
) -> None:
    result = _run(SHOW_DEBUG, made_run.checkout, DATA_DIR=str(tmp_path / "data"))

    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error: DJANGO_SECRET_KEY is required")


@pytest.mark.parametrize(
    "command",
    [
        ["./manage.py", "check"],
        # The image's commands (Dockerfile, docker-compose.yml), with the checkout's virtualenv.
        [".venv/bin/gunicorn", "config.wsgi", "--bind", "127.0.0.1:0", "--workers", "2", "--no-control-socket"],
        [".venv/bin/celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"],
        [".venv/bin/celery", "-A", "config", "beat", "--loglevel=INFO"],
    ],
    ids=["manage.py", "gunicorn", "celery-worker", "celery-beat"],
)
def test_it_says_in_one_line_what_to_set_when_the_secret_key_is_missing(checkout: Path, command: list[str]) -> None:
    result = _run(command, checkout)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if "DJANGO_SECRET_KEY" in line]
    assert len(lines) == 1, output
    assert lines[0].startswith("Configuration error: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false")
    assert "make run" in lines[0]
    assert "python3 -c" in lines[0]  # how to make one


def test_it_says_what_to_run_when_the_checkout_has_no_virtualenv_yet(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy2(BASE_DIR / "manage.py", checkout / "manage.py")

    result = _run("./manage.py changepassword admin", checkout)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Django is not installed" in result.stderr
    assert "run `make run`" in result.stderr
