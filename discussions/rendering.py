"""Markdown → safe HTML, done once when a body is saved, never per request.

markdown-it-py parses CommonMark the way the group's notes app does (single
newlines are line breaks, bare URLs become links). Two things are typeset here
too, so pages need no JavaScript to show them:

- math: `$…$` inline and `$$…$$` on its own becomes MathML (latex2mathml), which
  browsers render natively; LaTeX that does not parse is shown as its source in
  `<code>` instead of failing the save;
- code: fenced blocks with a language are highlighted by Pygments into class-named
  spans, coloured by `static/css/site.css` in light and dark.

nh3 then strips anything executable, so raw HTML typed into a body can never run
in a reader's browser: the MathML and class names allowed below carry no links,
scripts or styles. Links, Markdown's and raw HTML's, follow one allowlist of schemes
(discussions.links): markdown-it's validateLink and nh3's url_schemes both ask it.

A body's text never disappears: raw HTML that a sanitiser would drop with the text
in it (a comment `<!--`, which runs to the end of the body when it is not closed; a
stray `<div` with no `>`) is shown as the text it is.
"""

import html
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from urllib.parse import quote

import nh3
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from discussions import links
from discussions.mentions import MENTION_IN_TEXT
from discussions.places import places_in


def render_math(latex: str, options: dict) -> str:
    """LaTeX → MathML; on LaTeX that does not parse, its source, so a save never fails on it."""
    display = "block" if options.get("display_mode") else "inline"
    try:
        return latex_to_mathml(latex, display=display)
    except Exception:  # latex2mathml raises many kinds (missing end, missing argument, …)
        return f'<code class="math-source">{html.escape(latex)}</code>'


_formatter = HtmlFormatter(nowrap=True)


def highlight_code(code: str, lang: str, attrs: str) -> str:
    """A fenced block: Pygments spans for a language it knows, escaped text otherwise."""
    try:
        lexer = get_lexer_by_name(lang.strip()) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    body = pygments_highlight(code, lexer, _formatter) if lexer else html.escape(code)
    return f'<pre class="highlight"><code>{body}</code></pre>'


_markdown = (
    MarkdownIt(
        "commonmark", {"breaks": True, "linkify": True, "typographer": False, "highlight": highlight_code}
    )
    .enable(["table", "strikethrough", "linkify"])
    .use(
        dollarmath_plugin,
        # `$5 and $10` and `$ x $` stay text: math starts and ends on a non-space, non-digit.
        allow_space=False,
        allow_digits=False,
        allow_labels=False,
        allow_blank_lines=False,
        double_inline=True,
        renderer=render_math,
    )
)


def _render_math_inline_double(renderer, tokens, idx, options, env):
    # `$$…$$` inside a sentence: displayed math, but in a <span> so the paragraph stays valid HTML.
    math = render_math(tokens[idx].content.strip(), {"display_mode": True})
    return f'<span class="math display">{math}</span>'


_markdown.add_render_rule("math_inline_double", _render_math_inline_double)

# markdown-it's own check refuses javascript:, vbscript:, file: and data: (but images'); ours
# refuses all but the allowlist, relative links inside the site included.
_markdown.validateLink = lambda url: links.is_allowed(url, relative=True)

# A whole tag, `<span class="k">` or `</span>`, as CommonMark reads one (its "open tag").
_TAG = re.compile(
    r"""<(?:[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*
    (?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*/?|/[A-Za-z][A-Za-z0-9-]*\s*)>""",
    re.VERBOSE,
)


def _keeps_its_text(raw: str) -> bool:
    """Whether raw HTML is only whole tags around text, so sanitising it keeps every word.

    (`<script>` and `<style>` are whole tags: nh3 drops them with what they hold, on purpose.)"""
    return "<" not in _TAG.sub("", raw)


def _render_html_block(renderer, tokens, idx, options, env):
    raw = tokens[idx].content
    if _keeps_its_text(raw):
        return raw
    lines = html.escape(raw.strip("\n")).split("\n")
    return "<p>" + "<br>\n".join(lines) + "</p>\n"


def _render_html_inline(renderer, tokens, idx, options, env):
    raw = tokens[idx].content
    return raw if _keeps_its_text(raw) else html.escape(raw)


def _link_mentions(state):
    """`@쯔위님` in text (not in code, not inside a link) links to /mentions/쯔위님/, which finds the
    person it names: rendering knows no names, and the page asks at the time it is read."""
    for block in state.tokens:
        if block.type != "inline" or not block.children or "@" not in block.content:
            continue
        children, in_link = [], 0
        for token in block.children:
            in_link += token.type == "link_open"
            in_link -= token.type == "link_close"
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
                continue
            children += _split_mentions(token)
        block.children = children


def _split_mentions(token):
    pieces, start = [], 0
    for at in MENTION_IN_TEXT.finditer(token.content):
        if at.start() > start:
            pieces.append(_text(token.content[start : at.start()]))
        opening = Token("link_open", "a", 1)
        opening.attrs = {"href": "/mentions/" + quote(at["word"]) + "/"}
        pieces += [opening, _text(at.group()), Token("link_close", "a", -1)]
        start = at.end()
    if start < len(token.content):
        pieces.append(_text(token.content[start:]))
    return pieces


def _text(content):
    token = Token("text", "", 0)
    token.content = content
    return token


_markdown.core.ruler.push("mentions", _link_mentions)

_markdown.add_render_rule("html_block", _render_html_block)
_markdown.add_render_rule("html_inline", _render_html_inline)

# Presentation MathML as latex2mathml writes it; no `href`, `style` or `maction`, which could link or script.
_MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
    "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
    "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none", "semantics", "annotation",
}  # fmt: skip
_MATHML_ATTRIBUTES = {
    "math": {"xmlns", "display"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "minsize", "maxsize",
           "largeop", "movablelimits", "accent", "symmetric"},
    "mi": {"mathvariant"},
    "mn": {"mathvariant"},
    "mtext": {"mathvariant"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant", "mathsize"},
    "mfrac": {"linethickness"},
    "mspace": {"width", "height", "depth"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "menclose": {"notation"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines",
               "frame", "displaystyle"},
    "mtr": {"columnalign", "rowalign"},
    "mtd": {"columnalign", "rowalign", "columnspan", "rowspan"},
    "annotation": {"encoding"},
}  # fmt: skip

# Class names are allowed only from fixed sets: a body cannot dress itself in the site's own classes.
_CODE_CLASSES = set(STANDARD_TYPES.values()) - {""}
_ALLOWED_CLASSES = {
    "span": _CODE_CLASSES | {"math", "inline", "display"},
    "div": {"math", "inline", "block"},
    "pre": {"highlight"},
    "code": {"math-source"},
}

_ALLOWED_TAGS = (nh3.ALLOWED_TAGS - {"area", "map", "center"}) | _MATHML_TAGS
_ALLOWED_ATTRIBUTES = {
    tag: set(nh3.ALLOWED_ATTRIBUTES.get(tag, set())) | _MATHML_ATTRIBUTES.get(tag, set())
    for tag in nh3.ALLOWED_ATTRIBUTES.keys() | _MATHML_ATTRIBUTES.keys()
}


# Built once: building a sanitiser from these sets costs more than cleaning a body with it.
_cleaner = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    allowed_classes=_ALLOWED_CLASSES,
    url_schemes=set(links.ALLOWED_SCHEMES),
    link_rel="nofollow noopener noreferrer",
)


def render_markdown(text: str) -> str:
    if not text.strip():
        return ""
    return _cleaner.clean(_markdown.render(text))


def render_body(text: str) -> tuple[str, list]:
    """A post's body → (its HTML, the places in the paper it names): what every write of a body
    stores with it (Post.save, writes.save_text, the importer)."""
    return render_markdown(text), places_in(text)


# Below this many texts (about a tenth of a second's rendering) a pool costs more than it saves.
POOL_THRESHOLD = 1000

# Workers are spawned, not forked: each imports this module afresh and shares nothing with the
# caller (its open database connection least of all).
_SPAWN = multiprocessing.get_context("spawn")


def render_all(texts, *, processes=1) -> dict[str, str]:
    """Each distinct text → its HTML, all at once (the synthetic archive): split over `processes`
    worker processes when there are enough texts to pay for starting them, else rendered here."""
    distinct = list(dict.fromkeys(texts))
    if processes <= 1 or len(distinct) < POOL_THRESHOLD:
        return _render_batch(distinct)
    with ProcessPoolExecutor(processes, mp_context=_SPAWN) as pool:
        chunksize = len(distinct) // (processes * 4) + 1  # few, large messages between processes
        return dict(zip(distinct, pool.map(render_markdown, distinct, chunksize=chunksize), strict=True))


@contextmanager
def rendered_ahead(batches, *, workers):
    """Each batch's {text: (html, places)}, in order, worked out by `workers` processes while the
    caller works on the batches before it: an import saves one paper while the next ones render.
    The places (places_in) come with the HTML because finding them is a tenth of the importing
    process's time otherwise, and the workers have time to spare. With no workers, or too few
    texts to pay for them, each batch's dict is empty and the caller renders what it needs as it
    goes."""
    batches = list(batches)
    if workers < 1 or sum(map(len, batches)) < POOL_THRESHOLD:
        yield ({} for _ in batches)
        return
    pool = ProcessPoolExecutor(workers, mp_context=_SPAWN)
    try:
        futures = [pool.submit(_render_batch_with_places, batch) for batch in batches]
        yield (future.result() for future in futures)
    finally:
        pool.shutdown(cancel_futures=True)


def _render_batch(texts) -> dict[str, str]:
    return {text: render_markdown(text) for text in dict.fromkeys(texts)}


def _render_batch_with_places(texts) -> dict[str, tuple[str, list]]:
    return {text: render_body(text) for text in dict.fromkeys(texts)}
