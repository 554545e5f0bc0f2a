"""Rendering the course's HTML pages from the Jinja2 templates shipped in ``labkit/grading/templates``
(autoescaped; every page is self-contained: inline CSS and JavaScript, no server)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("labkit.grading", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context) -> str:
    """The named template rendered with ``context``."""
    return environment().get_template(template).render(**context)
