"""Markdown → safe HTML, done once when a body is saved, never per request.

markdown-it-py parses CommonMark the way the group's notes app does (single
newlines are line breaks, bare URLs become links); nh3 then strips anything
executable, so raw HTML typed into a body can never run in a reader's browser.
"""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"breaks": True, "linkify": True, "typographer": False}).enable(
    ["table", "strikethrough", "linkify"]
)

_ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"area", "map", "center"}


def render_markdown(text: str) -> str:
    if not text.strip():
        return ""
    html = _markdown.render(text)
    return nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="nofollow noopener noreferrer")
