"""The page helpers of config/jinja2.py that replaced macros: same markup, escaped, cheap enough for every row."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from attachments.display import user_name
from config.jinja2 import file_icon, icon


def test_it_draws_a_decorative_icon_hidden_from_screen_readers() -> None:
    assert str(icon("download")) == (
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="#i-download"></use></svg>'
    )


def test_it_escapes_the_label_and_name_of_an_icon_once() -> None:
    markup = str(icon('x"><script>', label='Tom & "Jerry"'))
    assert 'aria-label="Tom &amp; &#34;Jerry&#34;"' in markup
    assert 'href="#i-x&#34;&gt;&lt;script&gt;"' in markup
    assert "<script>" not in markup


def test_it_keeps_icons_as_markup_when_a_template_prints_them() -> None:
    # Autoescape is on in the project's templates: the SVG must stay SVG, the label's text must be escaped.
    template = engines["jinja2"].from_string('{{ icon("user", label=who) }}{{ file_icon(doc) }}')
    html = template.render({"who": "<b>", "doc": SimpleNamespace(file_type="docx")})
    assert html == str(icon("user", label="<b>")) + str(file_icon(SimpleNamespace(file_type="docx")))
    assert html.startswith('<svg class="icon" role="img" aria-label="&lt;b&gt;"')


@pytest.mark.parametrize(
    ("file_type", "kind"),
    [("docx", "word"), ("xlsx", "cell"), ("odp", "slide"), ("pdf", "pdf"), ("png", "image"), ("zip", "archive")],
)
def test_it_picks_the_file_icon_by_extension(file_type: str, kind: str) -> None:
    assert str(file_icon(SimpleNamespace(file_type=file_type))) == (
        f'<svg class="ficon ft-{kind}" aria-hidden="true" focusable="false"><use href="#ft-{kind}"></use></svg>'
    )


@pytest.mark.parametrize("file_type", ["", "exe", "DOCX"])
def test_it_draws_the_generic_file_icon_for_unknown_extensions(file_type: str) -> None:
    # Attachment.file_type is already lower case: an upper-case one never reaches this.
    assert "ft-generic" in str(file_icon(SimpleNamespace(file_type=file_type)))


def test_it_names_a_person_by_full_name_then_username_then_as_deleted() -> None:
    def person(full: str, username: str) -> SimpleNamespace:
        return SimpleNamespace(get_full_name=lambda: full, get_username=lambda: username)

    assert user_name(person("Olivia Owner", "olivia")) == "Olivia Owner"
    assert user_name(person("", "olivia")) == "olivia"
    with translation.override("de"):
        assert user_name(None) == "Gelöschter Benutzer"
