"""What the fake raises when a test drives it like a browser would and the Document Server would refuse."""

from __future__ import annotations


class FakeDsError(Exception):
    """Base class; also raised when a test uses the fake in a way the real server cannot be used."""


class ConfigRejected(FakeDsError):
    """The editor config is invalid: the editor would show an error instead of opening."""


class TokenRejected(ConfigRejected):
    """Missing or invalid config token: the socket closes with 4006 (4005 when expired)."""

    def __init__(self, message: str, *, close_code: int) -> None:
        super().__init__(message)
        self.close_code = close_code


class DownloadFailed(FakeDsError):
    """The server could not fetch document.url after all attempts ("Download failed")."""


class KeyClosedForEditing(FakeDsError):
    """The key was saved with status 2: the editor reports "version changed" and will not edit."""
