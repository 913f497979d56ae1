"""Extension points of the attachment list, filled by other installed apps.

The attachment store knows nothing of the apps that plug in here: the connector registers its
"Edit in ONLYOFFICE" action from its AppConfig.ready(), so the dependency points one way only.
Providers are called once per row while the list renders: they must not query the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest

from attachments.models import Attachment, Role, Space


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    icon: str = ""
    new_tab: bool = False
    primary: bool = False
    # For actions that POST (a form with the CSRF token) rather than navigate.
    method: str = "get"


RowActionProvider = Callable[[HttpRequest, Attachment, Role], Iterable[Action]]
SpaceActionProvider = Callable[[HttpRequest, Space, Role], Iterable[Action]]

_row_providers: list[RowActionProvider] = []
_space_providers: list[SpaceActionProvider] = []


def register_row_action(provider: RowActionProvider) -> RowActionProvider:
    """Add actions to every attachment row (usable as a decorator)."""
    if provider not in _row_providers:
        _row_providers.append(provider)
    return provider


def register_space_action(provider: SpaceActionProvider) -> SpaceActionProvider:
    """Add actions to the space page's toolbar (for example "New document")."""
    if provider not in _space_providers:
        _space_providers.append(provider)
    return provider


def row_actions(request: HttpRequest, attachment: Attachment, role: Role) -> list[Action]:
    return [action for provider in _row_providers for action in provider(request, attachment, role)]


def space_actions(request: HttpRequest, space: Space, role: Role) -> list[Action]:
    return [action for provider in _space_providers for action in provider(request, space, role)]
