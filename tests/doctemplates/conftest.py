from __future__ import annotations

from collections.abc import Callable

import pytest

from doctemplates.builtin import BUILTINS
from doctemplates.models import DocumentTemplate
from doctemplates.services import template_create
from tests.conftest import Personas


def builtin_bytes(key: str) -> bytes:
    return next(builtin for builtin in BUILTINS if builtin.key == key).path.read_bytes()


@pytest.fixture
def make_template(db: None) -> Callable[..., DocumentTemplate]:
    """A template from a shipped file: ``key`` picks it ("letter-en", "budget-de", …)."""

    def _make(*, key: str = "letter-en", space=None, name: str = "", language: str = "") -> DocumentTemplate:
        builtin = next(builtin for builtin in BUILTINS if builtin.key == key)
        return template_create(
            name=name or builtin.name,
            filename=builtin.filename,
            chunks=[builtin.path.read_bytes()],
            space=space,
            language=language,
            created_by=None,
        )

    return _make


@pytest.fixture
def other_space(personas: Personas):
    from attachments import services

    return services.space_create(name="Marketing", created_by=personas.staff)
