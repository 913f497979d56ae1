"""The command service (protocol §6): POST /command and /coauthoring/CommandService.ashx."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import tokens
from .server import run_forcesave_command

if TYPE_CHECKING:
    from .server import FakeDocServer

OK, NO_KEY, BAD_CALLBACK, INTERNAL, NOT_MODIFIED, UNKNOWN_COMMAND, BAD_TOKEN, TOKEN_EXPIRED = range(8)
KEY_COMMANDS = ("info", "forcesave", "drop", "meta", "getForgotten", "deleteForgotten")


def handle(server: FakeDocServer, body: Any, headers: Mapping[str, str], base_url: str) -> dict[str, Any]:
    """The JSON reply; the HTTP status is always 200."""
    if not isinstance(body, dict):
        return {"error": INTERNAL}
    params = dict(body)
    if server.jwt_on:
        try:
            params = tokens.inbound_request(body, headers, server.secret or "", server.header)
        except tokens.TokenExpired:
            return _reply(body.get("key"), TOKEN_EXPIRED)
        except (tokens.TokenMissing, tokens.TokenInvalid):
            return _reply(body.get("key"), BAD_TOKEN)
    command, key = params.get("c"), params.get("key")
    if command == "version":
        return _reply(key, OK, version=server.version)
    if command == "license":
        return _reply(key, OK, **_license(server))
    if command == "getForgottenList":
        return _reply(key, OK, keys=server.forgotten_keys)
    if command not in KEY_COMMANDS:
        return _reply(key, UNKNOWN_COMMAND)
    if not isinstance(key, str) or not key:
        return _reply(key, NO_KEY)
    return _key_command(server, command, key, params, base_url)


def _key_command(server: FakeDocServer, command: str, key: str, params: dict, base_url: str) -> dict[str, Any]:
    if command == "getForgotten":
        forgotten = server.forgotten(key)
        if forgotten is None:
            return _reply(key, NO_KEY)
        name = f"output.{forgotten.file_type}"
        url = server.publish(f"{key}_forgotten", name, forgotten.data, filename=name, base_url=base_url)
        return _reply(key, OK, url=url)
    if command == "deleteForgotten":
        return _reply(key, OK if server.forget(key) else NO_KEY)
    if command == "meta" and not isinstance(params.get("meta"), dict):
        return _reply(key, UNKNOWN_COMMAND)
    session = server.session(key)
    if session is None:
        return _reply(key, NO_KEY)
    userdata = params.get("userdata")
    if command == "info":
        # The reply names the editors too (output.users); the callback follows.
        server.spawn(lambda: session.info(userdata))
        return _reply(key, OK, users=session.editors)
    elif command == "forcesave":
        if not session.dirty or not session.editors:
            return _reply(key, NOT_MODIFIED)
        server.spawn(lambda: run_forcesave_command(session, userdata))
    elif command == "drop":
        users = params.get("users")
        if users is not None and not isinstance(users, list):
            return _reply(key, INTERNAL)
        server.spawn(lambda: session.drop(None if users is None else [str(user) for user in users]))
    elif command == "meta":
        session.rename(params["meta"])
    return _reply(key, OK)


def _reply(key: Any, error: int, **extra: Any) -> dict[str, Any]:
    # JSON.stringify drops an undefined key, so commands without one answer without it.
    reply: dict[str, Any] = {} if key is None else {"key": key}
    reply["error"] = error
    reply.update(extra)
    return reply


def _license(server: FakeDocServer) -> dict[str, Any]:
    return {
        "license": {"end_date": "2099-12-31T23:59:59.000Z", "trial": False, "customization": False, "type": 3},
        "server": {
            "resultType": 3,
            "packageType": 0,
            "buildDate": "2025-06-01T00:00:00.000Z",
            "buildVersion": server.version.rsplit(".", 1)[0],
            "buildNumber": int(server.version.rsplit(".", 1)[-1]),
        },
        "quota": {"users": [], "users_view": []},
    }
