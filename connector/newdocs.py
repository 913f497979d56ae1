"""New documents: the form of a space's "New document" (connector/display.py) and the services that make them.

The blank docx/xlsx/pptx come from ``attachments.ooxml.blank``: made by the project, valid for Word,
LibreOffice and ONLYOFFICE alike, with no template file to ship or trust. The form also offers the space's
document templates (doctemplates): the new file is then a copy of the template's.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attachments import ooxml
from attachments.filenames import clean_title, split_extension
from attachments.forms import TitleField
from attachments.models import Attachment, Space, VersionSource
from attachments.services import attachment_create
from attachments.users import User
from connector import formats
from doctemplates import services as template_services
from doctemplates.models import DocumentTemplate

KIND_CHOICES = [
    ("docx", gettext_lazy("Document")),
    ("xlsx", gettext_lazy("Spreadsheet")),
    ("pptx", gettext_lazy("Presentation")),
]
# A template's choice in the form's "kind": this prefix and its id.
TEMPLATE_PREFIX = "template-"
# The version's comment: stored, not shown through gettext, like the other comments services write.
CREATED_COMMENT = "New blank document"


def default_name(kind: str) -> str:
    names = {"docx": _("New document"), "xlsx": _("New spreadsheet"), "pptx": _("New presentation")}
    return f"{names[kind]}.{kind}"


def blank_title(kind: str, name: str) -> str:
    """The title for a new file of this kind: the typed name, whose extension is always the kind's.

    A typed extension of a known document format ("Budget.xlsx" for a document) is replaced; anything else
    after a dot ("v1.2") is part of the name.
    """
    stem = clean_title(name, fallback="")
    base, extension = split_extension(stem)
    if extension and formats.format_for(extension) is not None:
        stem = base
    if not stem.strip(" ."):
        return default_name(kind)
    return clean_title(f"{stem}.{kind}")


class NewDocumentForm(forms.Form):
    """Blank of a kind, or one of ``templates`` (those the space offers, in the order shown), and a name."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=KIND_CHOICES,
        initial="docx",
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose a document, a spreadsheet or a presentation."),
            "invalid_choice": gettext_lazy("Choose a document, a spreadsheet or a presentation."),
        },
    )
    # Cleaned like a stored title (NUL and other controls dropped, not refused); a long name is shortened
    # with its extension kept.
    name = TitleField(
        label=gettext_lazy("Name"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Optional. The extension follows the kind; a name already used gets a number."),
    )

    def __init__(self, data: QueryDict | None = None, *, templates: Sequence[DocumentTemplate] = ()) -> None:
        super().__init__(data)
        self.templates = {f"{TEMPLATE_PREFIX}{template.pk}": template for template in templates}
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [*KIND_CHOICES, *((value, template.name) for value, template in self.templates.items())]

    def chosen_template(self) -> DocumentTemplate | None:
        """The template chosen, once the form is valid; None for a blank document."""
        return self.templates.get(self.cleaned_data["kind"])

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        typed = str(self.data.get("name") or "")
        if typed.strip() and not name:
            raise forms.ValidationError(_("Enter a name with at least one letter or digit, or leave it empty."))
        return name


def blank_document_create(*, space: Space, kind: str, name: str, created_by: User) -> Attachment:
    """A new attachment in the space holding a blank file of ``kind`` (docx, xlsx or pptx), under a free name.

    attachment_create numbers a name the space already has ("Minutes (2).docx").
    """
    # "upload" is the source of every first version that did not come out of the editor or a conversion.
    return attachment_create(
        space=space,
        title=blank_title(kind, name),
        chunks=[ooxml.blank(kind)],
        created_by=created_by,
        source=VersionSource.UPLOAD,
        comment=CREATED_COMMENT,
    )


def template_document_create(*, space: Space, template: DocumentTemplate, name: str, created_by: User) -> Attachment:
    """A new attachment in the space holding a copy of the template's file (its extension kept), under a free name.

    The template's file is only read; the copy's first version gets a document key of its own, as every version
    does (connector/keys.py).
    """
    return template_services.attachment_from_template(template=template, space=space, title=name, created_by=created_by)
