"""Extension points of the attachment pages, filled by other installed apps.

The attachment store knows nothing of the apps that plug in here: the connector registers its providers
(for example "Edit in ONLYOFFICE", or "Last save failed") from its AppConfig.ready(), so the dependency
points one way only.

Row providers are called once per list page with all its attachments, so a provider that needs the
database answers for the whole page with one query, never one query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

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
    # Shown in the row's "More actions" menu instead of as a button.
    in_menu: bool = False
    danger: bool = False


@dataclass(frozen=True)
class Status:
    """A short label beside an attachment's name: what is going on with it (being edited, save failed)."""

    label: str
    tone: Literal["info", "warning", "danger"] = "info"
    # A sentence that explains the label and what to do, shown as its tooltip and on the detail page.
    detail: str = ""


def conflict_status(number: int) -> Status:
    """ "Conflicting edits": the newest version was saved from an older one while version ``number`` was added.
    Every editing app marks its conflicts so (ONLYOFFICE's saves, the desktop apps'), with both versions kept."""
    return Status(
        _("Conflicting edits"),
        tone="warning",
        detail=_(
            "The newest version was edited from an older one while version %(number)d was added; both are kept "
            "in the history. Compare them and merge what is missing."
        )
        % {"number": number},
    )


@dataclass(frozen=True)
class Notice:
    """A short note at the top of a space's pages for the people who can act on it (for example, why no editor
    is offered), with a link to where it is fixed when they may go there."""

    text: str
    link_label: str = ""
    link_url: str = ""


@dataclass
class RowExtras:
    actions: list[Action] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)

    @property
    def buttons(self) -> list[Action]:
        return [action for action in self.actions if not action.in_menu]

    @property
    def menu(self) -> list[Action]:
        return [action for action in self.actions if action.in_menu]

    @property
    def menu_sections(self) -> list[list[Action]]:
        return menu_sections(self.menu)


def menu_sections(entries: Iterable[Action]) -> list[list[Action]]:
    """A menu's entries as every menu shows them: in the order given, but destructive ones (``danger``) last, in a
    section of their own that the page sets apart, so that no provider's order puts them where a slip reaches them.
    Empty sections are left out."""
    entries = list(entries)
    sections = [[entry for entry in entries if not entry.danger], [entry for entry in entries if entry.danger]]
    return [section for section in sections if section]


@dataclass(frozen=True)
class Panel:
    """A section of a file's page that an app renders itself (for example "Open in a desktop app" with its help),
    below the page's header. The row actions it shows (by URL) leave the page's "More actions" menu."""

    html: str
    shows: frozenset[str] = frozenset()


RowProvider = Callable[[HttpRequest, Sequence[Attachment], Role], Mapping[int, RowExtras]]
# A section of a space's settings page (below its name and description), for its admins; the app's own form posts
# to the app's own URL. Rendered HTML, as a file page's panels are.
SpaceSettingsProvider = Callable[[HttpRequest, Space, Role], Panel | None]
PanelProvider = Callable[[HttpRequest, Attachment, Role, RowExtras], Panel | None]
SpaceActionProvider = Callable[[HttpRequest, Space, Role], Iterable[Action]]
SpaceNoticeProvider = Callable[[HttpRequest, Space, Role], Iterable[Notice]]

_row_providers: list[RowProvider] = []
_space_providers: list[SpaceActionProvider] = []
_notice_providers: list[SpaceNoticeProvider] = []
_panel_providers: list[PanelProvider] = []
_settings_providers: list[SpaceSettingsProvider] = []


def register_space_settings(provider: SpaceSettingsProvider) -> SpaceSettingsProvider:
    """Add a section to every space's settings page (for example the connector's "Watermark")."""
    if provider not in _settings_providers:
        _settings_providers.append(provider)
    return provider


def space_settings_sections(request: HttpRequest, space: Space, role: Role) -> list[Panel]:
    """Every provider's section of the space's settings page, in registration order."""
    return [section for provider in _settings_providers if (section := provider(request, space, role))]


def register_panel(provider: PanelProvider) -> PanelProvider:
    """Add a section to every file's page; the provider gets the file's row extras, to show some of them."""
    if provider not in _panel_providers:
        _panel_providers.append(provider)
    return provider


def file_panels(request: HttpRequest, attachment: Attachment, role: Role, extras: RowExtras) -> list[Panel]:
    """Every provider's section for this file's page, in registration order; the row extras lose the actions the
    sections show, so the page offers each once."""
    panels = [panel for provider in _panel_providers if (panel := provider(request, attachment, role, extras))]
    shown = {url for panel in panels for url in panel.shows}
    extras.actions[:] = [action for action in extras.actions if action.url not in shown]
    return panels


def register_rows(provider: RowProvider) -> RowProvider:
    """Add actions and statuses to attachment rows (usable as a decorator).

    The provider gets one page of attachments (all in the same space, so one role) and returns extras by
    attachment id; rows it has nothing for may be left out.
    """
    if provider not in _row_providers:
        _row_providers.append(provider)
    return provider


def register_space_action(provider: SpaceActionProvider) -> SpaceActionProvider:
    """Add actions to the space page's toolbar (for example "New document")."""
    if provider not in _space_providers:
        _space_providers.append(provider)
    return provider


def register_space_notice(provider: SpaceNoticeProvider) -> SpaceNoticeProvider:
    """Add notes to a space's page and its files' pages (usable as a decorator)."""
    if provider not in _notice_providers:
        _notice_providers.append(provider)
    return provider


def row_extras(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    """Every provider's extras for these rows, merged in registration order; every row has an entry."""
    merged = {attachment.pk: RowExtras() for attachment in attachments}
    if not attachments:
        return merged
    for provider in _row_providers:
        for attachment_id, extras in provider(request, attachments, role).items():
            row = merged.get(attachment_id)
            if row is not None:
                row.actions.extend(extras.actions)
                row.statuses.extend(extras.statuses)
    return merged


# An id no real row has: reversed once, then swapped for each row's id.
_ID_PLACEHOLDER = 2_147_483_646


def id_url(viewname: str) -> Callable[[int], str]:
    """The URL of ``viewname`` for any id, from one ``reverse`` call (for a page of rows; not cached longer).

    A page of 50 rows reverses several URLs per row; each ``reverse`` walks the resolver, this is a format.
    """
    prefix, _placeholder, suffix = reverse(viewname, args=[_ID_PLACEHOLDER]).partition(str(_ID_PLACEHOLDER))
    return lambda pk: f"{prefix}{pk}{suffix}"


def space_actions(request: HttpRequest, space: Space, role: Role) -> list[Action]:
    return [action for provider in _space_providers for action in provider(request, space, role)]


def space_notices(request: HttpRequest, space: Space, role: Role) -> list[Notice]:
    return [notice for provider in _notice_providers for notice in provider(request, space, role)]
