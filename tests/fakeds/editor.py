"""Co-editing sessions: what the Document Server does while browsers have a document open (protocol §2, §3).

One EditorSession per document key. Tests drive it like the browsers would (open, edit, close, Save button)
and get back the callbacks the fake sent, each with the integrator's answer.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .callbacks import CallbackRecord
from .errors import FakeDsError, KeyClosedForEditing

if TYPE_CHECKING:
    from .server import FakeDocServer

SERVER_VERSION = "9.0.4"

# Callback statuses (c_oAscServerStatus) and user actions (c_oAscUserAction).
EDITING, MUST_SAVE, CORRUPTED, CLOSED, MUST_FORCESAVE, CORRUPTED_FORCESAVE = 1, 2, 3, 4, 6, 7
ACTION_OUT, ACTION_IN, ACTION_FORCESAVE = 0, 1, 2
# Forcesave types: 0 command service, 1 Save button, 2 timer, 3 form submit.
FORCESAVE_COMMAND, FORCESAVE_BUTTON, FORCESAVE_TIMER, FORCESAVE_SUBMIT = 0, 1, 2, 3


@dataclass
class Connection:
    user_id: str
    name: str
    mode: str  # "edit" or "view"
    callback_url: str | None
    tabs: int = 1

    @property
    def edits(self) -> bool:
        return self.mode != "view"


def history_time(timestamp: float) -> str:
    """`created` in history changes: "YYYY-MM-DD HH:MM:SS" in UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(timestamp: float) -> str:
    """`lastsave`: ISO 8601 with milliseconds and Z, as JavaScript's toISOString() writes it."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class EditorSession:
    def __init__(self, server: FakeDocServer, *, key: str, file_type: str, title: str, document: bytes) -> None:
        self._server = server
        self._lock = threading.RLock()
        self.key = key
        self.file_type = file_type
        self.title = title
        self.document = document
        self.connections: dict[str, Connection] = {}
        self.changes: list[dict[str, Any]] = []
        self.modified = False  # changes in this session that no status 2 has saved yet
        self.dirty = False  # changes since the last successful forcesave
        self.lastsave: float | None = None
        self.last_editor: str | None = None
        self.last_callback_url: str | None = None
        self.closed_for_editing = False
        self.meta_changes: list[dict[str, Any]] = []
        self.callbacks: list[CallbackRecord] = []

    # ---- what the browsers do -------------------------------------------------------------------------------

    @property
    def editors(self) -> list[str]:
        """Ids of the users connected in edit mode, in connection order (the callbacks' `users`)."""
        with self._lock:
            return [conn.user_id for conn in self.connections.values() if conn.edits]

    def connect(self, *, user_id: str, name: str, mode: str, callback_url: str | None) -> CallbackRecord | None:
        """A browser tab joins; an editor's arrival is announced with status 1 and the connect action."""
        with self._lock:
            if mode != "view" and self.closed_for_editing:
                raise KeyClosedForEditing(f"key {self.key} was saved; open it with a new key to edit")
            conn = self.connections.setdefault(user_id, Connection(user_id, name, "view", None, tabs=0))
            conn.tabs += 1
            if mode == "view":
                return None
            conn.mode = "edit"
            # A user's last tab decides where their callbacks go (since 7.0).
            conn.callback_url = callback_url or conn.callback_url
            self.last_editor = user_id
            self.last_callback_url = conn.callback_url or self.last_callback_url
            fields = {
                "key": self.key,
                "status": EDITING,
                "users": self.editors,
                "actions": [_action(ACTION_IN, user_id)],
            }
            target = conn.callback_url
        return self._send(target, fields, retry=False)

    def edit(self, user_id: str, new_bytes: bytes) -> None:
        """The user changed the document; the fake's copy becomes new_bytes."""
        with self._lock:
            conn = self._editor(user_id)
            now = self._server.now()
            self.document = new_bytes
            self.changes.append(
                {
                    "documentSha256": hashlib.sha256(new_bytes).hexdigest(),
                    "created": history_time(now),
                    "user": {"id": conn.user_id, "name": conn.name},
                }
            )
            self.modified = self.dirty = True
            self.lastsave = now
            self.last_editor = user_id

    def close(self, user_id: str) -> CallbackRecord | None:
        """One tab of the user closes: status 1 if editors remain, else status 2 (changes) or 4 (none)."""
        with self._lock:
            conn = self.connections.get(user_id)
            if conn is None:
                raise FakeDsError(f"user {user_id} is not connected to {self.key}")
            conn.tabs -= 1
            if conn.tabs <= 0:
                del self.connections[user_id]
            if not conn.edits:
                return None  # viewers never cause callbacks
            final_save = not self.editors and self.modified
            if self.editors:
                fields = {"key": self.key, "status": EDITING, "users": self.editors}
                fields["actions"] = [_action(ACTION_OUT, user_id)]
            elif not self.modified:
                fields = {"key": self.key, "status": CLOSED, "actions": [_action(ACTION_OUT, user_id)]}
            else:
                fields = {
                    "key": self.key,
                    "status": MUST_SAVE,
                    **self._assembled(),
                    "users": [user_id],
                    "actions": [_action(ACTION_OUT, user_id)],
                    "lastsave": self._lastsave(),
                    # true when a forcesave already stored every change
                    "notmodified": not self.dirty,
                }
            target = conn.callback_url
            document = self.document
        # Never hold the lock while on the wire: the integrator may call the command service meanwhile.
        record = self._send(target, fields, retry=final_save)
        if final_save:
            with self._lock:
                self._after_final_save(record, document)
        return record

    def forcesave(self, user_id: str, type: int = FORCESAVE_BUTTON, *, userdata: str | None = None) -> CallbackRecord:
        """Status 6 while editing goes on; the key stays valid. Type 1 is the Save button."""
        with self._lock:
            conn = self._editor(user_id)
            if not self.dirty:
                raise FakeDsError(f"nothing to forcesave in {self.key}: no changes since the last save")
            fields = self._forcesave_fields(MUST_FORCESAVE, user_id, type, userdata) | self._assembled()
            target = self._forcesave_target(conn, type)
        record = self._send(target, fields, retry=False)
        with self._lock:
            if record.succeeded:
                self.dirty = False
        return record

    def fail_forcesave(
        self, user_id: str, type: int = FORCESAVE_BUTTON, *, userdata: str | None = None
    ) -> CallbackRecord:
        """Status 7: assembling the forcesave failed."""
        with self._lock:
            conn = self._editor(user_id)
            fields = self._forcesave_fields(CORRUPTED_FORCESAVE, user_id, type, userdata)
            target = self._forcesave_target(conn, type)
        return self._send(target, fields, retry=False)

    def fail_save(self) -> CallbackRecord:
        """Every editor leaves and assembling fails: status 3 to the last editor, with the status-2 retries."""
        with self._lock:
            if not self.modified:
                raise FakeDsError(f"{self.key} has no changes: a failed save needs some")
            last = self.last_editor if self.last_editor in self.editors else (self.editors or [None])[-1]
            if last is None:
                raise FakeDsError(f"no editor is connected to {self.key}")
            target = self.connections[last].callback_url
            for user_id in self.editors:
                del self.connections[user_id]
            fields = {
                "key": self.key,
                "status": CORRUPTED,
                "users": [last],
                "actions": [_action(ACTION_OUT, last)],
                "lastsave": self._lastsave(),
                "notmodified": False,
            }
            self.modified = self.dirty = False
            self.changes = []
        return self._send(target, fields, retry=True)

    def drop(self, users: list[str] | None = None) -> list[CallbackRecord]:
        """Disconnect the users (all when None), with the callbacks their closing causes."""
        records = []
        with self._lock:
            targets = [user for user in self.connections if users is None or user in users]
            tabs = [(user, self.connections[user].tabs) for user in targets]
        for user_id, count in tabs:
            for _ in range(count):
                record = self.close(user_id)
                if record is not None:
                    records.append(record)
        return records

    def info(self, userdata: str | None = None) -> CallbackRecord | None:
        """The `info` command: status 1 with the current editors, or status 4 when nobody edits."""
        with self._lock:
            editors = self.editors
            if editors:
                fields = {"key": self.key, "status": EDITING, "users": editors, "userdata": userdata}
                target = self.connections[editors[-1]].callback_url
            else:
                fields = {"key": self.key, "status": CLOSED, "userdata": userdata}
                target = self.last_callback_url
        if not target:
            return None
        return self._send(target, fields, retry=False)

    def rename(self, meta: dict[str, Any]) -> None:
        """The `meta` command: editors get onMetaChange."""
        with self._lock:
            if isinstance(meta.get("title"), str):
                self.title = meta["title"]
            self.meta_changes.append(dict(meta))

    # ---- internals ------------------------------------------------------------------------------------------

    def _editor(self, user_id: str) -> Connection:
        conn = self.connections.get(user_id)
        if conn is None or not conn.edits:
            raise FakeDsError(f"user {user_id} is not editing {self.key}")
        return conn

    def _forcesave_fields(self, status: int, user_id: str, type: int, userdata: str | None) -> dict[str, Any]:
        # Only the Save button and form submit name the user who clicked.
        actions = [_action(ACTION_FORCESAVE, user_id)] if type in (FORCESAVE_BUTTON, FORCESAVE_SUBMIT) else None
        return {
            "key": self.key,
            "status": status,
            "users": [user_id],
            "actions": actions,
            "userdata": userdata,
            "lastsave": self._lastsave(),
            "forcesavetype": type,
        }

    def _forcesave_target(self, conn: Connection, type: int) -> str | None:
        if type in (FORCESAVE_BUTTON, FORCESAVE_SUBMIT):
            return conn.callback_url
        last = self.connections.get(self.last_editor or "")
        return (last.callback_url if last else None) or self.last_callback_url

    def _assembled(self) -> dict[str, Any]:
        """url, changesurl, history and filetype of a freshly assembled copy, as signed cache links."""
        folder = f"{self.key}_{self._server.random_suffix()}"
        name = f"output.{self.file_type}"
        url = self._server.publish(folder, name, self.document, filename=name, shardkey=self.key)
        changesurl = self._server.publish(
            folder, "changes.zip", self._changes_zip(), filename="changes.zip", shardkey=self.key
        )
        history = {"serverVersion": SERVER_VERSION, "changes": [dict(change) for change in self.changes]}
        return {"url": url, "changesurl": changesurl, "history": history, "filetype": self.file_type}

    def _changes_zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("changes.json", json.dumps(self.changes, separators=(",", ":")))
        return buffer.getvalue()

    def _lastsave(self) -> str:
        return iso_time(self.lastsave if self.lastsave is not None else self._server.now())

    def _after_final_save(self, record: CallbackRecord, document: bytes) -> None:
        self.modified = self.dirty = False
        self.changes = []
        if record.succeeded:
            # The integrator stored it: this key may only be viewed from now on.
            self.closed_for_editing = True
        else:
            # Lost save: the server keeps the file as "forgotten" and offers it again under this key.
            self._server.remember_forgotten(self.key, document, self.file_type)

    def _send(self, target: str | None, fields: dict[str, Any], *, retry: bool) -> CallbackRecord:
        if not target:
            raise FakeDsError(f"no callbackUrl to send status {fields['status']} for {self.key}")
        record = self._server.deliver_callback(target, fields, retry=retry)
        with self._lock:
            self.callbacks.append(record)
        return record


def _action(type: int, user_id: str) -> dict[str, Any]:
    return {"type": type, "userid": user_id}
