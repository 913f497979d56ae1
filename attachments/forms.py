"""Forms of the attachment store's pages. They validate input only; the services do the writing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from attachments.filenames import clean_title
from attachments.models import Role
from attachments.selectors import user_by_username


class SpaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. Tell members what belongs in this space."),
    )


class TitleField(forms.CharField):
    """A display title, cleaned the way the services store it, so that the form judges the stored result."""

    def to_python(self, value: object) -> str:
        # Cleaning first drops control characters such as NUL, which the plain field would reject outright.
        return clean_title(super().to_python(value), fallback="")


class RenameForm(forms.Form):
    # Longer than a title may be: clean_title shortens it while keeping the extension.
    title = TitleField(
        label=_("Name"),
        max_length=1000,
        error_messages={"required": _("Enter a name with at least one visible character.")},
    )


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        # Found like the API finds it; whether the account may join is the service's rule (membership_set).
        self.cleaned_data["user"] = user_by_username(username)
        if self.cleaned_data["user"] is None:
            raise forms.ValidationError(_("There is no user with this username."))
        return username


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
