"""Release credits as text to paste into release notes, in the shapes projects publish.

``list`` style is numpy's (and many others'): "A total of N people contributed to this
release. People with a "+" by their names contributed a patch for the first time.", then one
name a line. ``paragraph`` style is scikit-learn's: "Thanks to everyone who has contributed
... since version X, including:" and the names separated by commas. Markdown and
reStructuredText; JSON is ``Credits.to_json``.
"""

from __future__ import annotations

import textwrap

from catherd.community.releases import Credits
from catherd.reports.templating import TEMPLATES, rst_text

FORMATS = ("md", "rst")
STYLES = ("list", "paragraph")
_WIDTH = 79


def render_credits(credits: Credits, fmt: str, style: str, previous: str | None) -> str:
    """The credits in ``fmt`` (md, rst) and ``style`` (list, paragraph)."""
    total = credits.total
    intro = (
        f"A total of {total} {'person' if total == 1 else 'people'} contributed to this "
        'release.  People with a "+" by their names contributed a patch for the first time.'
    )
    names = [rst_text(c.name) for c in credits.contributors]
    if credits.unnamed:
        names.append(f"and {credits.unnamed} more who asked not to be named")
    text = TEMPLATES.get_template(f"credits.{fmt}.j2").render(
        credits=credits,
        style=style,
        previous=previous,
        intro=textwrap.fill(intro, _WIDTH),
        paragraph=textwrap.fill(", ".join(names), _WIDTH, break_on_hyphens=False),
    )
    return text.strip() + "\n"
