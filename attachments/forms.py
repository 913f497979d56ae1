"""Forms of the attachment store's pages. They validate input only; the services do the writing."""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from attachments.filenames import clean_title
from attachments.models import Role
from attachments.selectors import UNKNOWN_USER, user_by_username_or_email


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
        return clean_title(super().to_python(value) or "", fallback="")


class RenameForm(forms.Form):
    # Longer than a title may be: clean_title shortens it while keeping the extension.
    title = TitleField(
        label=_("Name"),
        max_length=1000,
        error_messages={"required": _("Enter a name with at least one visible character.")},
    )


class MemberAddForm(forms.Form):
    # Named "username" still: the field takes an e-mail address too, and the form works without JavaScript.
    username = forms.CharField(
        label=_("Name, username or e-mail address"),
        max_length=254,
        help_text=_("Type two letters to see suggestions, or a username or e-mail address in full."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        # Found like the API finds it; whether the account may join is the service's rule (membership_set).
        self.cleaned_data["user"] = user_by_username_or_email(username)
        if self.cleaned_data["user"] is None:
            raise forms.ValidationError(UNKNOWN_USER)
        return username


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class SpaceDeleteForm(forms.Form):
    # Compared with the name by the service (space_delete), which refuses a mismatch for the API as well.
    confirm = forms.CharField(
        label=_("Type the space's name to confirm"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, data: QueryDict | None = None, *, space_name: str) -> None:
        super().__init__(data)
        self.fields["confirm"].help_text = _("Type “%(name)s” exactly as it is written.") % {"name": space_name}
