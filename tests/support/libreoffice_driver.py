"""Drive a real LibreOffice over UNO: open a document by URL, type, save twice, close, quit.

Run by the system Python (/usr/bin/python3), which has LibreOffice's ``uno`` module; the venv's Python has not.
tests/desktop/test_real_clients.py starts it and talks to it over stdin/stdout, one line at a time:

    -> "soffice <pid>"   LibreOffice started, in a process group of its own (the test kills it if we hang)
    -> "opened"          the document is loaded (and, over WebDAV, locked): the test looks, then answers
    <- "go"
    -> "stored <n>"      after typing the n-th text as a new paragraph and store()
    -> "closed"          the document is closed (over WebDAV, unlocked)
    -> "done"            LibreOffice has quit

    /usr/bin/python3 tests/support/libreoffice_driver.py <document URL> <profile folder> <text>...
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress

import uno  # type: ignore[import-not-found]  # LibreOffice's, in the system Python only
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]
from com.sun.star.lang import DisposedException  # type: ignore[import-not-found]
from com.sun.star.text.ControlCharacter import PARAGRAPH_BREAK  # type: ignore[import-not-found]

SOFFICE = "/usr/bin/soffice"
# Starting LibreOffice with a fresh profile takes a few seconds; a loaded CI machine gets more.
CONNECT_SECONDS = 30
POLL_SECONDS = 0.1


def say(line: str) -> None:
    print(line, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(profile: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            SOFFICE,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;",
        ],
        # Never our stdout: the test reads it to the end, and a LibreOffice left behind would hold it open.
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # In a group of its own: soffice is a launcher that starts soffice.bin, and both must go in the end.
        start_new_session=True,
    )


def connect(port: int, process: subprocess.Popen[bytes]):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if process.poll() is not None:
                raise SystemExit(f"LibreOffice exited with status {process.returncode} before accepting") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"LibreOffice did not accept connections within {CONNECT_SECONDS} s") from None
            time.sleep(POLL_SECONDS)


def prop(name: str, value: object) -> PropertyValue:
    found = PropertyValue()
    found.Name = name
    found.Value = value
    return found


def main(url: str, profile: str, texts: list[str]) -> None:
    # A test that gives up terminates us: quit through the ``finally`` below, which takes LibreOffice along.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit("terminated"))
    port = free_port()
    process = start(profile, port)
    say(f"soffice {process.pid}")
    try:
        context = connect(port, process)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        if document is None:
            raise SystemExit(f"LibreOffice could not open {url}")
        say("opened")
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("the test did not say go")
        for number, text in enumerate(texts, start=1):
            body = document.getText()
            # A paragraph of its own: one run in word/document.xml, easy to find there.
            body.insertControlCharacter(body.getEnd(), PARAGRAPH_BREAK, False)
            body.insertString(body.getEnd(), text, False)
            document.store()
            say(f"stored {number}")
        document.close(True)
        say("closed")
        # The bridge may drop as LibreOffice quits, before terminate() returns: that is the success case.
        with suppress(DisposedException):
            desktop.terminate()
        process.wait(timeout=CONNECT_SECONDS)
        say("done")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
