"""The form that makes a share link on a file's page. It validates input only; services.link_create decides."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.core.validators import MaxValueValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attachments.models import Attachment
from sharing import services
from sharing.models import LinkAccess

PASSWORD_MAX_LENGTH = 128


def fitting_accesses(attachment: Attachment) -> list[tuple[str, str]]:
    """The accesses the editor can open this file with (services.access_fits), weakest first, as choices."""
    return [(value, str(label)) for value, label in LinkAccess.choices if services.access_fits(attachment, value)]


class ShareLinkForm(forms.Form):
    access = forms.ChoiceField(
        label=_("Access"),
        help_text=_("What anyone with the link can do with this file."),
    )
    expires_on = forms.DateField(
        label=_("Works until"),
        required=False,
        # The last day the database stores in UTC from any time zone (9999-12-31 west of Greenwich is year 10000).
        validators=[MaxValueValidator(date(9998, 12, 31))],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The link stops at the end of this day. Leave empty to keep it until it is revoked."),
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Asked of everyone who opens the link."),
    )

    def __init__(self, data: QueryDict | None = None, *, attachment: Attachment) -> None:
        # Ids of their own: the file page holds other forms.
        super().__init__(data, auto_id="share-%s")
        self.access_choices = fitting_accesses(attachment)
        field = self.fields["access"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = self.access_choices
        field.initial = self.access_choices[0][0] if self.access_choices else None
        expires_on = self.fields["expires_on"]
        # The browser's date picker starts at today; the service refuses a past moment all the same.
        expires_on.widget.attrs["min"] = timezone.localdate().isoformat()

    def expires_at(self) -> datetime | None:
        """The last moment of the chosen day in the site's time zone, or None (no expiry)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))
