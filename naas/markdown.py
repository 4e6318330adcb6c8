"""Markdown for scenario narratives, with raw HTML off so a bank cannot inject markup."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def render(text: str | None) -> Markup:
    return Markup(_renderer.render(text or ""))  # noqa: S704 (HTML is escaped by markdown-it)
