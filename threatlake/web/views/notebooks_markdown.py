"""Markdown of notebook sections and dashboard tiles, rendered on the server (CommonMark and tables).

Raw HTML in the text is shown as text, never run. No page may reach outside this origin (the network a user
is on often has no internet, and a page must not leak that it was opened), so a link to another site keeps
its text only, and an image from another site is replaced by its description.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

__all__ = ["MAX_MARKDOWN", "render_markdown"]

MAX_MARKDOWN = 200_000
_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _local(url: str) -> bool:
    lowered = url.strip().lower()
    if lowered.startswith("//"):
        return False
    return lowered.startswith(("/", "#", "?")) or ":" not in lowered.split("/")[0]


def _keep_inside(tokens: list[Token]) -> None:
    for token in tokens:
        if token.children:
            _keep_inside(token.children)
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if not _local(href):
                token.attrs.pop("href", None)
                token.attrSet("class", "outside-link")
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            if not _local(src):
                token.type = "text"
                token.tag = ""
                token.content = f"[image: {token.content or 'from another site'}]"
                token.children = None


def render_markdown(text: str) -> Markup:
    """``text`` as safe HTML."""
    tokens = _PARSER.parse(text[:MAX_MARKDOWN])
    _keep_inside(tokens)
    return Markup(_PARSER.renderer.render(tokens, _PARSER.options, {}))
