"""The WebDAV side of desktop editing, on WsgiDAV: one folder per link, holding the one file the link opens.

    /dav/<token>/              the folder: PROPFIND lists the file (Word and LibreOffice ask about it first)
    /dav/<token>/<file name>   the file: GET, HEAD, PROPFIND, LOCK, PUT, UNLOCK

WsgiDAV speaks the protocol (headers, If: evaluation, multistatus bodies, lock refresh); we supply the resources
(backed by the attachment store) and the lock storage (backed by desktop.locks, so that locks live in the
database, are shared with ONLYOFFICE and hold across web processes). The request's link, already checked by the
view (desktop.views.dav), reaches both through a context variable: WsgiDAV hands its lock storage only paths.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from django.core.files.storage import default_storage
from wsgidav.dav_error import (
    HTTP_FORBIDDEN,
    HTTP_LOCKED,
    HTTP_PRECONDITION_FAILED,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, DAVProvider
from wsgidav.wsgidav_app import WsgiDAVApp

from attachments.display import user_name
from attachments.editing import holds_on
from attachments.models import Attachment, Version
from attachments.users import User
from desktop import locks, saves
from desktop.links import Access, Link
from desktop.models import DesktopLock

# WsgiDAV's lock dictionaries and environ are plain dicts of mixed values; this module is their one reader.
LockDict = dict[str, object]
Environ = dict[str, object]


@dataclass
class DavRequest:
    """What the view found for this request: who, which file and version, and what they may do."""

    token: str
    link: Link
    user: User
    attachment: Attachment
    version: Version
    access: Access

    @property
    def principal(self) -> str:
        return principal_of(self.user.pk)

    @property
    def folder(self) -> str:
        return f"/{self.token}"

    @property
    def file_path(self) -> str:
        return f"/{self.token}/{self.attachment.title}"

    @property
    def lock_root(self) -> str:
        """The file's path as WsgiDAV keys locks by it (its "ref URL"): percent-encoded."""
        return quote(self.file_path)


_current: ContextVar[DavRequest | None] = ContextVar("desktop_dav_request", default=None)


def principal_of(user_id: int) -> str:
    return f"user-{user_id}"


@contextmanager
def serving(request: DavRequest) -> Iterator[None]:
    reset = _current.set(request)
    try:
        yield
    finally:
        _current.reset(reset)


def _request() -> DavRequest:
    found = _current.get()
    if found is None:  # WsgiDAV is only reached through desktop.views.dav, which sets it
        raise DAVError(HTTP_FORBIDDEN)
    return found


# --- resources -----------------------------------------------------------------------------------------------------


class _Folder(DAVCollection):  # type: ignore[misc]  # WsgiDAV is untyped
    """The link's folder: it holds the one file, and nothing can be created in it."""

    def get_member_names(self) -> list[str]:
        return [_request().attachment.title]

    def get_display_name(self) -> str:
        return ""

    def get_creation_date(self) -> float:
        return _request().attachment.created_at.timestamp()

    def get_last_modified(self) -> float:
        return _request().version.created_at.timestamp()

    def create_empty_resource(self, name: str) -> None:
        raise DAVError(HTTP_FORBIDDEN, "Only the file this link opens can be written here.")

    def create_collection(self, name: str) -> None:
        raise DAVError(HTTP_FORBIDDEN)


class _File(DAVNonCollection):  # type: ignore[misc]  # WsgiDAV is untyped
    """The attachment: its current version to read, a new version on each PUT."""

    def get_content_length(self) -> int:
        return _request().version.size

    def get_content_type(self) -> str:
        return _request().version.content_type

    def get_creation_date(self) -> float:
        return _request().attachment.created_at.timestamp()

    def get_last_modified(self) -> float:
        return _request().version.created_at.timestamp()

    def get_etag(self) -> str:
        # The current version: stable until the next one, whoever stores it.
        request = _request()
        return f"{request.attachment.pk}-{request.version.number}"

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_content(self) -> IO[bytes]:
        return default_storage.open(_request().version.stored_name, "rb")

    def begin_write(self, *, content_type: str | None = None) -> saves.Spool:
        if _request().access != "edit":
            raise DAVError(HTTP_FORBIDDEN, "This link opens the file read-only.")
        self._spool = _Spool()
        return self._spool

    def end_write(self, *, with_errors: bool) -> None:
        spool: saves.Spool | None = getattr(self, "_spool", None)
        if spool is None:
            return
        try:
            if not with_errors:
                # WsgiDAV has read the If: header by now (not yet when it asked for the resource).
                submitted = self.environ.get("wsgidav.ifLockTokenList")
                _store(spool, [str(token) for token in submitted] if isinstance(submitted, list) else [])
        finally:
            spool.discard()

    def delete(self) -> None:
        raise DAVError(HTTP_FORBIDDEN, "Files are deleted on the site, not from a desktop app.")

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        raise DAVError(HTTP_FORBIDDEN)


class _Spool(saves.Spool):
    """The upload limit, said the WebDAV way: 413, with the reason."""

    def write(self, data: bytes) -> int:
        try:
            return super().write(data)
        except saves.TooLarge as exc:
            raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, str(exc)) from exc


def _store(spool: saves.Spool, lock_tokens: list[str]) -> None:
    request = _request()
    try:
        version = saves.desktop_save(
            attachment=request.attachment,
            user=request.user,
            link=request.link,
            lock_tokens=lock_tokens,
            spool=spool,
        )
    except saves.SaveRefused as exc:
        raise DAVError(HTTP_LOCKED if exc.locked else HTTP_PRECONDITION_FAILED, exc.message) from exc
    if version is not None:
        request.version = version
        request.attachment.current_version = version.number


class _Provider(DAVProvider):  # type: ignore[misc]  # WsgiDAV is untyped
    """Maps the link's two paths to resources; every other path is not there."""

    def get_resource_inst(self, path: str, environ: Environ) -> _Folder | _File | None:
        request = _current.get()
        if request is None:
            return None
        stripped = path.rstrip("/")
        if stripped == request.folder:
            return _Folder(request.folder + "/", environ)
        if stripped == request.file_path:
            return _File(request.file_path, environ)
        return None


# --- locks -------------------------------------------------------------------------------------------------------


class _LockStorage:
    """WsgiDAV's lock storage interface over desktop.locks. A live ONLYOFFICE session shows as a lock owned by its
    editors, so WsgiDAV refuses LOCK and PUT with 423 and the apps say who is editing."""

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def cleanup(self) -> None:
        return None

    def clear(self) -> None:
        return None

    def get(self, token: str) -> LockDict | None:
        request = _request()
        lock = locks.live().filter(token=token, attachment=request.attachment).first()
        return _lock_dict(lock, request) if lock is not None else None

    def create(self, path: str, lock: LockDict) -> LockDict:
        request = _request()
        if _plain_path(path) != request.file_path:
            raise DAVError(HTTP_FORBIDDEN, "Only the file this link opens can be locked.")
        owner, timeout = lock.get("owner"), lock.get("timeout")
        try:
            created = locks.lock_create(
                attachment_id=request.attachment.pk,
                user_id=request.user.pk,
                link_digest=request.link.digest,
                owner=owner.decode("utf-8", "replace") if isinstance(owner, bytes) else "",
                scope=str(lock["scope"]),
                timeout=timeout if isinstance(timeout, int) else None,
            )
        except locks.LockRefused as exc:
            raise DAVError(HTTP_LOCKED, exc.hold.sentence) from exc
        lock.update(_lock_dict(created, request))
        lock["depth"] = "0"
        return lock

    def refresh(self, token: str, *, timeout: int | None = None) -> LockDict:
        request = _request()
        lock = locks.lock_refresh(token=token, timeout=timeout)
        if lock is None or lock.attachment_id != request.attachment.pk:
            raise DAVError(HTTP_PRECONDITION_FAILED, "The lock has ended.")
        return _lock_dict(lock, request)

    def delete(self, token: str) -> None:
        locks.lock_release(token=token)

    def get_lock_list(
        self, path: str, *, include_root: bool, include_children: bool, token_only: bool
    ) -> list[LockDict] | list[str]:
        request = _request()
        stripped = _plain_path(path)
        on_file = stripped == request.file_path and include_root
        under_folder = stripped in (request.folder, "") and include_children
        found = _file_locks(request) if on_file or under_folder else []
        if token_only:
            return [str(lock["token"]) for lock in found]
        return found


def _plain_path(path: str) -> str:
    """A path WsgiDAV hands the lock storage (percent-encoded, with or without a trailing slash) as the resources
    name it."""
    return unquote(path).rstrip("/")


def _file_locks(request: DavRequest) -> list[LockDict]:
    """Every lock on the request's file as WsgiDAV sees them: its desktop lock, or else a live ONLYOFFICE session
    as a lock its editors own. A session that began while a desktop lock was held (in the moment between an editor
    page opening and its first callback) does not lock the lock's owner out: their saves are kept, and the
    session's save is marked a conflict (connector.conflicts)."""
    live = locks.live().filter(attachment=request.attachment).select_related("user")
    # The user's own lock through an older link is left out: opening the file again takes it over (locks.lock_create)
    # rather than being refused as if someone else held it.
    found = [
        _lock_dict(lock, request)
        for lock in live
        if lock.user_id != request.user.pk or lock.link_hash == request.link.digest
    ]
    if live:
        return found
    return [
        _session_lock(request, ", ".join(hold.names) or "ONLYOFFICE")
        for hold in holds_on(request.attachment)
        if hold.app != locks.APP
    ]


def _lock_dict(lock: DesktopLock, request: DavRequest) -> LockDict:
    # Its own owner sees the <owner> its app sent, as WebDAV asks; everyone else sees who holds it, by name.
    own = lock.user_id == request.user.pk and lock.owner
    owner = lock.owner if own else _owner_xml(user_name(lock.user))
    return {
        "root": request.lock_root,
        "type": "write",
        "scope": lock.scope,
        "depth": "0",
        "owner": owner.encode(),
        "timeout": lock.timeout,
        "principal": principal_of(lock.user_id),
        "token": lock.token,
        "expire": lock.expires_at.timestamp(),
    }


def _session_lock(request: DavRequest, names: str) -> LockDict:
    """An ONLYOFFICE session, shown as the exclusive lock it amounts to. Its token is no secret: nobody can submit
    it to write (WsgiDAV also checks the principal, which no desktop user has)."""
    return {
        "root": request.lock_root,
        "type": "write",
        "scope": "exclusive",
        "depth": "0",
        "owner": _owner_xml(f"{names} (ONLYOFFICE)").encode(),
        "timeout": locks.LOCK_SECONDS[1],
        "principal": "onlyoffice",
        "token": f"opaquelocktoken:onlyoffice-session-{request.attachment.pk}",
        "expire": time.time() + locks.LOCK_SECONDS[1],
    }


def _owner_xml(text: str) -> str:
    return f'<D:owner xmlns:D="DAV:">{escape(text)}</D:owner>'


# --- the app -----------------------------------------------------------------------------------------------------


class StartResponse(Protocol):
    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: object = None, /) -> object: ...


class WsgiApp(Protocol):
    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]: ...


_app: WsgiApp | None = None


def dav_app() -> WsgiApp:
    """The WsgiDAV application, built once per process: no authenticator (the link is the credential, checked by
    desktop.views.dav), no directory browser, no property store (dead properties are not kept)."""
    global _app
    if _app is None:
        from wsgidav.error_printer import ErrorPrinter
        from wsgidav.request_resolver import RequestResolver

        _app = WsgiDAVApp(
            {
                "provider_mapping": {"/": _Provider()},
                "mount_path": "/dav",
                "lock_storage": _LockStorage(),
                "property_manager": None,
                "middleware_stack": [ErrorPrinter, RequestResolver],
                "dir_browser": {"enable": False},
                "add_header_MS_Author_Via": True,
                "verbose": 1,
                "logging": {"enable": False},
                "hotfixes": {"re_encode_path_info": False, "unquote_path_info": False},
            }
        )
    return _app
