"""The reports' Jinja2 environment: one per process, so each template compiles once."""

from __future__ import annotations

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("catherd.reports", "templates"),
    # HTML templates are named *.html.j2: escape them (names and titles come as typed);
    # Markdown ones are left as they are
    autoescape=jinja2.select_autoescape(["html", "html.j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
