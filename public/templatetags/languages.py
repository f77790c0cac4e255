"""The language switch and the alternate-language links of the public pages: each language of
settings.LANGUAGES with the address of the same page in it (django.urls.translate_url), so a reader
who switches stays on the page they read (/releases/1/ ↔ /uk/releases/1/)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, to_locale

register = template.Library()


def _hreflang(code: str) -> str:
    """'en-gb' → 'en-GB' (BCP 47 as HTML writes it), 'uk' → 'uk'."""
    return to_locale(code).replace("_", "-")


def _languages(request: Any) -> list[dict[str, Any]]:
    current = get_language()
    path = request.get_full_path()
    return [
        {
            "code": code,
            "hreflang": _hreflang(code),
            "name": name,
            "url": translate_url(path, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]


@register.inclusion_tag("public/_language_switch.html", takes_context=True)
def language_links(context: dict[str, Any]) -> dict[str, Any]:
    """The visible switch: a link to this page in each language, the current one marked."""
    return {"languages": _languages(context["request"])}


@register.simple_tag(takes_context=True)
def alternate_languages(context: dict[str, Any]) -> list[dict[str, Any]]:
    """This page in each language with absolute addresses, for ``<link rel="alternate" hreflang>``."""
    request = context["request"]
    return [{**language, "url": request.build_absolute_uri(language["url"])} for language in _languages(request)]


@register.simple_tag
def html_lang() -> str:
    """The active language as the ``lang`` attribute writes it ('en-GB', 'uk')."""
    return _hreflang(get_language() or settings.LANGUAGE_CODE)


@register.simple_tag
def data_lang() -> str:
    """' lang="en"' on a page in another language, for an element that shows data as entered
    (names, titles, quoted passages: the record is kept in English), so screen readers read it in
    English; '' on an English page."""
    return "" if (get_language() or "").startswith("en") else mark_safe(' lang="en"')


@register.filter
def data(value: object) -> str:
    """A value shown as entered (a name, a title: the record is kept in English), marked
    ``<span lang="en">`` on a page in another language; as plain escaped text on an English page."""
    if (get_language() or "").startswith("en"):
        return conditional_escape(str(value))
    return format_html('<span lang="en">{}</span>', value)


@register.filter
def abbr(short_name: str, names: dict[str, str] | None) -> str:
    """An instrument's short name ('USL') spelled out for the reader: ``<abbr title="Ukraine
    Support Loan">USL</abbr>`` (marked English on a page in another language)."""
    if not short_name:
        return ""
    name = (names or {}).get(short_name)
    if not name:
        return data(short_name)
    if (get_language() or "").startswith("en"):
        return format_html('<abbr title="{}">{}</abbr>', name, short_name)
    return format_html('<abbr title="{}" lang="en">{}</abbr>', name, short_name)
