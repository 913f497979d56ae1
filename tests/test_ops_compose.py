"""docker-compose.yml is a valid Compose file, validated against the Compose Specification's JSON schema
(tests/data/compose-spec.json), and wires the stack as docs/deploy.md describes. No Docker engine needed."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text(encoding="utf-8"))
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
# ${NAME}, ${NAME:-default}, ${NAME:?error}; $$ escapes a dollar for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")
LONG_RUNNING = ("web", "worker", "beat", "redis", "postgres", "onlyoffice")


@pytest.fixture
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_TEXT)


def _errors(document: dict[str, Any]) -> list[str]:
    # The file says draft 2019-09 (under a URL jsonschema does not recognise): name the validator.
    validator = jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(document)]


def test_it_is_valid_against_the_compose_specification(compose) -> None:
    assert _errors(compose) == []


def test_it_would_reject_a_mistyped_key(compose) -> None:
    # Proves the schema check above bites: a misspelt healthcheck option is an error.
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["healthcheck"]["intervall"] = "30s"

    assert _errors(broken)


def test_it_runs_every_service_with_a_healthcheck(compose) -> None:
    services = compose["services"]

    assert set(LONG_RUNNING) <= set(services)
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "/app/scripts/healthcheck.py"]
    assert "/healthcheck" in " ".join(services["onlyoffice"]["healthcheck"]["test"])


def test_it_runs_exactly_one_beat(compose) -> None:
    services = compose["services"]
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]

    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_it_shares_one_jwt_secret_and_wires_internal_urls_by_service_name(compose) -> None:
    services = compose["services"]
    ds = services["onlyoffice"]["environment"]

    assert ds["JWT_ENABLED"] == "true"
    assert ds["JWT_SECRET"].startswith("${JWT_SECRET")
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["ONLYOFFICE_JWT_SECRET"].startswith("${JWT_SECRET"), name
        assert env["ONLYOFFICE_INTERNAL_URL"] == "http://onlyoffice", name
        assert env["ONLYOFFICE_CONNECTOR_URL"] == "http://web:8000", name
        assert env["ONLYOFFICE_URL"].startswith("${ONLYOFFICE_PUBLIC_URL"), name
        assert "web" in env["DJANGO_ALLOWED_HOSTS"].split(","), name
        # Web and worker share the files: the worker stores saves the web serves.
        assert "app-data:/data" in services[name]["volumes"], name


def test_it_keeps_data_in_named_volumes(compose) -> None:
    assert {"app-data", "postgres-data", "ds-data", "ds-logs"} <= set(compose["volumes"])


def test_it_documents_every_variable_it_reads_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.MULTILINE))

    assert set(VARIABLE.findall(COMPOSE_TEXT)) - documented == set()
