"""Watermarks: a space's admins have the editor draw each person's name, e-mail and the date over its files.

The Document Server draws it over every page it shows (``document.options.watermark_on_draw``, ONLYOFFICE API:
"watermark_on_draw"); it is part of the signed config (``editor.build_config``), so the browser cannot drop it.
It is drawn, not written: the file, its downloads and its versions stay as they are.

Who gets it (docs/settings.md, "Watermarks"): when a space's watermark is on, everyone who opens a file for
less than editing (view, comment, review, fill in), or everyone when the admin says so; a share link's guests
when its own switch is on, whatever the link's access (a guest is outside the space: marking them is the point).

What the space's policy is, is read on every editor page: it is kept in the shared cache, as the connector's
settings are (connector/ds_settings.py), so the editor page costs no query more.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.models import Space
from attachments.users import User
from connector.keys import editor_name
from connector.models import WATERMARK_DEFAULT_TEXT, WATERMARK_TEXT_MAX_LENGTH, SpaceWatermark

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("name", "email", "date")
DEFAULT_TEXT = WATERMARK_DEFAULT_TEXT
TEXT_MAX_LENGTH = WATERMARK_TEXT_MAX_LENGTH
# Who is marked: "below_editor" (viewers, commenters, reviewers, form fillers) or "everyone".
AUDIENCES = ("below_editor", "everyone")

CACHE_TTL = 30
_CACHE_PREFIX = "connector:watermark:v1:"

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# What stands between two placeholders and goes with an empty one: "Alice · 2026-12-05", not "Alice ·  · 2026-…".
_SEPARATOR = re.compile(r"^[\s·,;:/|\-\u2013\u2014]*$")

# How it looks: light grey, diagonal, semi-transparent, as ONLYOFFICE's Nextcloud connector draws its own; a
# smaller font, since ours names the person in full. Sizes in millimetres, the font in points.
_LOOK: dict[str, object] = {
    "transparent": 0.3,
    "type": "rect",
    "width": 250,
    "height": 100,
    "rotate": -45,
    "margins": [0, 0, 0, 0],
    "fill": [],
    "stroke-width": 0,
    "stroke": [],
    "align": 1,
}
_RUN_LOOK: dict[str, object] = {"fill": [182, 182, 182], "font-family": "Arial", "font-size": 36}


@dataclass(frozen=True)
class Policy:
    enabled: bool = False
    everyone: bool = False
    share_links: bool = False
    text: str = DEFAULT_TEXT

    def applies(self, *, access: str, guest: bool) -> bool:
        """Whether someone opening a file with ``access`` (a share link's guest: ``guest``) is marked."""
        if not self.enabled:
            return False
        if guest:
            return self.share_links
        return self.everyone or access != "edit"


# --- reading ---------------------------------------------------------------------------------------------


def policy(space_id: int) -> Policy:
    """The space's watermark policy (the default, off, when its admins never set one); cached."""
    key = f"{_CACHE_PREFIX}{space_id}"
    try:
        stored: dict[str, object] | None = cache.get(key)
    except Exception:
        logger.warning("watermarks: cache unavailable, reading the database", exc_info=True)
        return _from_database(space_id)
    if stored is not None:
        return _from_cached(stored)
    found = _from_database(space_id)
    try:
        cache.add(key, asdict(found), CACHE_TTL)
    except Exception:
        logger.warning("watermarks: cannot cache space %s's policy", space_id, exc_info=True)
    return found


def space_watermarked(space_id: int) -> bool:
    """Whether anyone may be shown this space's files watermarked: then no picture of them that everyone shares
    (a thumbnail) may be shown, since it cannot carry each person's name."""
    return policy(space_id).enabled


def thumbnails_allowed(space_id: int) -> bool:
    """attachments.thumbnails' policy: thumbnails show only where no watermark is drawn."""
    return not space_watermarked(space_id)


def _from_cached(stored: dict[str, object]) -> Policy:
    # asdict() of a Policy (below): the same fields, plain values.
    return Policy(
        enabled=bool(stored.get("enabled")),
        everyone=bool(stored.get("everyone")),
        share_links=bool(stored.get("share_links")),
        text=str(stored.get("text") or DEFAULT_TEXT),
    )


def _from_database(space_id: int) -> Policy:
    row = SpaceWatermark.objects.filter(space_id=space_id).first()
    if row is None:
        return Policy()
    return Policy(enabled=row.enabled, everyone=row.everyone, share_links=row.share_links, text=row.text)


# --- the text --------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """The template, trimmed; ``ValidationError`` for an empty or long one, a line break, a stray brace or a
    placeholder other than {name}, {email} and {date}."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Enter the watermark text."), code="required")
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError(
            _("The watermark text is too long (at most %(limit)d characters).") % {"limit": TEXT_MAX_LENGTH},
            code="max_length",
        )
    if any(ord(character) < 32 for character in text):
        raise ValidationError(_("The watermark text must be one line."), code="line")
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(
            _("Unknown placeholder: %(unknown)s. Use {name}, {email} and {date}.")
            % {"unknown": ", ".join("{" + name + "}" for name in unknown)},
            code="placeholder",
        )
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise ValidationError(
            _("A brace without its pair: write placeholders as {name}, {email} and {date}."), code="brace"
        )
    return text


def fill(text: str, values: dict[str, str]) -> str:
    """The template with each placeholder replaced by its value, literally (a name with braces stays as it is).
    An empty value is left out with the separator before it (or after it, when it comes first)."""
    parts = _PLACEHOLDER.split(text)  # literal, name, literal, name, ..., literal
    literals, names = parts[0::2], parts[1::2]
    for index, name in enumerate(names):
        if values.get(name, ""):
            continue
        before, after = index, index + 1  # the literals around placeholder ``index``
        if index > 0 and _SEPARATOR.match(literals[before]):
            literals[before] = ""
        elif index < len(names) - 1 and _SEPARATOR.match(literals[after]):
            literals[after] = ""
    out = [literals[0]]
    for index, name in enumerate(names):
        out.append(values.get(name, ""))
        out.append(literals[index + 1])
    return "".join(out).strip()


def values_for(user: User, *, guest: bool) -> dict[str, str]:
    """What the placeholders stand for: the name the editor shows ("Alice (guest)" for a guest), the e-mail
    address (none for a guest), and today's date in the site's time zone (ISO 8601, the same in every language)."""
    return {
        "name": editor_name(user),
        "email": "" if guest else (user.email or ""),
        "date": timezone.localdate().isoformat(),
    }


def document_options(*, space_id: int, user: User, access: str, guest: bool) -> dict[str, object]:
    """What ``editor.build_config`` adds to ``document``: ``{"options": {"watermark_on_draw": ...}}`` when this
    person is marked in this space, else nothing."""
    found = policy(space_id)
    if not found.applies(access=access, guest=guest):
        return {}
    text = fill(found.text, values_for(user, guest=guest))
    paragraph = {"align": 2, "runs": [{**_RUN_LOOK, "text": text}]}
    return {"options": {"watermark_on_draw": {**_LOOK, "paragraphs": [paragraph]}}}


# --- writing ---------------------------------------------------------------------------------------------


def space_watermark_update(*, space: Space, enabled: bool, everyone: bool, share_links: bool, text: str) -> Policy:
    """Store the space's watermark policy; every process applies it to the next editor opened. Raises
    ``ValidationError`` for a bad text (nothing stored)."""
    cleaned = clean_text(text)
    key = f"{_CACHE_PREFIX}{space.pk}"
    with transaction.atomic():
        SpaceWatermark.objects.update_or_create(
            space=space,
            defaults={"enabled": enabled, "everyone": everyone, "share_links": share_links, "text": cleaned},
        )
        stored = Policy(enabled=enabled, everyone=everyone, share_links=share_links, text=cleaned)
        # Dropped now, so this process reads its own write; set after commit, so no one caches a rolled-back one.
        _cache_write(key, None)
        transaction.on_commit(lambda: _cache_write(key, asdict(stored)))
    return stored


def _cache_write(key: str, value: dict[str, object] | None) -> None:
    try:
        if value is None:
            cache.delete(key)
        else:
            cache.set(key, value, CACHE_TTL)
    except Exception:
        logger.warning("watermarks: cache unavailable; others see the change within %ss", CACHE_TTL, exc_info=True)
