"""The reports' Jinja2 environment: one per process, so each template compiles once."""

from __future__ import annotations

import re

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("catherd.reports", "templates"),
    # HTML templates are named *.html.j2: escape them (names and titles come as typed);
    # Markdown ones are left as they are
    autoescape=jinja2.select_autoescape(["html", "html.j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_RST_SPECIAL = re.compile(r"([\\`*|]|_(?=\W|$))")


def markdown_text(text: str) -> str:
    """``text`` shown as typed in Markdown: no emphasis, link, table cell or HTML made of a
    name or a title (they come from git and GitHub as anyone typed them)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("&", "&amp;")


def rst_text(text: str) -> str:
    """``text`` shown as typed in reStructuredText (``name_`` would be a reference)."""
    return _RST_SPECIAL.sub(r"\\\1", str(text))


TEMPLATES.filters["md"] = markdown_text
TEMPLATES.filters["rst"] = rst_text
