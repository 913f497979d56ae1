"""The form of the templates pages: a file, its name, its language, an optional thumbnail."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def language_choices() -> list[tuple[str, str]]:
    return [("", str(_("Any language"))), *settings.LANGUAGES]


class TemplateForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .docx, .xlsx, .pptx or .pdf (form) file. New documents start as a copy of it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.xlsx,.pptx,.pdf"}),
    )
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, help_text=_("Optional. The file's name if empty.")
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=language_choices,
        required=False,
        help_text=_("Offered first to people who use the site in this language."),
    )
    thumbnail = forms.FileField(
        label=_("Thumbnail"),
        required=False,
        help_text=_("Optional. A PNG, JPEG or GIF picture of the first page."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif"}),
    )
