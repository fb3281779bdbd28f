"""URL rules, pure (no database): which links may be followed, and which document a URL names.

One allowlist of schemes (ALLOWED_SCHEMES) is asked everywhere a URL enters or is shown: the
reader (a paper URL, a reference), the admin's forms, the templates (`href`), and the Markdown
renderer (markdown-it's validateLink, nh3's url_schemes). A scheme is read the way a browser reads
it: leading spaces and control characters dropped, tabs and line breaks inside it removed, case
ignored; so ` JaVa\tScRiPt:` is `javascript:` here as it is in Chromium (WHATWG URL standard).
"""

import html
import re
from urllib.parse import urlsplit

# Followed from a page; anything else (javascript:, vbscript:, data:, file:, …) is never an href.
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

# What a browser removes before it reads a URL: leading and trailing C0 controls and spaces, and
# every tab and line break anywhere (WHATWG URL parser, "remove all ASCII tab or newline").
_EDGES = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def browser_form(url: str) -> str:
    """The URL as a browser reads it from an href."""
    return _TAB_OR_NEWLINE.sub("", (url or "").strip(_EDGES))


def scheme_of(url: str) -> str:
    """The scheme a browser would follow, lowercase; "" for a relative link (`/papers/x/`, `#q1`)."""
    found = _SCHEME.match(browser_form(url))
    return found.group(1).lower() if found else ""


def is_allowed(url: str, *, relative=False) -> bool:
    """Whether the URL may be followed: an allowed scheme, or (where `relative`) a link inside the site.

    A colon before any `/`, `?` or `#` that is no scheme (`java script:`) is refused too: browsers
    differ on such strings, and no link the group writes looks like that.
    """
    # Entity-decoded too (`&#106;avascript:`): the same text becomes an href decoded wherever it
    # lands in HTML (a description's raw HTML, a page a later version renders differently).
    return all(_is_allowed(form, relative) for form in {url or "", html.unescape(url or "")})


def _is_allowed(url: str, relative: bool) -> bool:
    form = browser_form(url)
    if not form:
        return False
    if scheme := scheme_of(form):
        return scheme in ALLOWED_SCHEMES
    head = re.split(r"[/?#]", form, maxsplit=1)[0]
    return relative and ":" not in head


def safe_href(url: str) -> str:
    """The URL for an href, or "" when it may not be followed (a row stored before the rule).

    A URL without a scheme (`arxiv.org/abs/…`, which older files hold) is a relative link: it
    cannot run anything, so it stays a link as it always was."""
    return url if is_allowed(url, relative=True) else ""


def refusal(url: str, *, relative=True) -> str:
    """Why a URL is refused as a link, for `file:line: message`; "" when it is allowed."""
    if is_allowed(url, relative=relative):
        return ""
    scheme = scheme_of(url)
    allowed = ", ".join(f"{name}:" for name in sorted(ALLOWED_SCHEMES))
    if scheme:
        return f"the link scheme '{scheme}:' is not allowed (only {allowed})"
    return f"{url[:80]!r} is not a link a page may follow (only {allowed})"


# --- Which document a URL names ------------------------------------------------------------------

# An arXiv id: new-style (`2005.14165`) or old-style, an archive and its number (`hep-th/9901001`,
# `math.GT/0309136`).
_ARXIV = r"\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID = re.compile(rf"arxiv\.org/(?:abs|pdf)/({_ARXIV})", re.I)
ARXIV_TYPED = re.compile(rf"(?:arxiv:\s*)?({_ARXIV})(?:v\d+)?", re.I)


def arxiv_id_of(url: str) -> str:
    """`/abs/ID`, `/pdf/ID.pdf` and `/abs/IDv2` all name one arXiv paper."""
    match = ARXIV_ID.search(url or "")
    return match.group(1) if match else ""


def arxiv_id_typed(text: str) -> str:
    """The id a person typed for a paper (`2005.14165`, `arXiv:2005.14165v2`, `hep-th/9901001`), or ""."""
    match = ARXIV_TYPED.fullmatch((text or "").strip())
    return match.group(1) if match else ""


def arxiv_url(arxiv_id: str) -> str:
    """The one URL an arXiv paper is stored under, whichever of its forms was given."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def normalise_url(url: str) -> str:
    """The part of a URL that says which document it is: no scheme, no www, no trailing slash."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:  # "http://[::1" : a bracket left open names no host
        return ""
    host = parts.netloc.lower().removeprefix("www.")
    if not host:
        return ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path.rstrip('/')}{query}"


# Reference kinds, as Reference.Kind's values. A host counts with its subdomains (`gist.github.com`
# is GitHub's; `jalammar.github.io` is someone's blog, not GitHub).
VIDEO_HOSTS = {"youtube.com", "youtu.be", "youtube-nocookie.com", "vimeo.com", "tv.naver.com", "bilibili.com"}
CODE_HOSTS = {
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "huggingface.co",
    "colab.research.google.com",
    "kaggle.com",
    "paperswithcode.com",
}
PAPER_HOSTS = {
    "aclanthology.org",
    "aclweb.org",
    "openreview.net",
    "papers.nips.cc",
    "proceedings.neurips.cc",
    "proceedings.mlr.press",
    "openaccess.thecvf.com",
    "ojs.aaai.org",
    "ieeexplore.ieee.org",
    "dl.acm.org",
    "semanticscholar.org",
}


def _on(host: str, hosts) -> bool:
    return any(host == known or host.endswith("." + known) for known in hosts)


def infer_kind(url: str) -> str:
    """ "video", "code", "paper", "blog" or "other": what a reference most likely is, from its URL."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return "other"
    path = parts.path.lower()
    if _on(host, VIDEO_HOSTS):
        return "video"
    if _on(host, CODE_HOSTS):
        return "code"
    if arxiv_id_of(url) or path.endswith(".pdf") or _on(host, PAPER_HOSTS):
        return "paper"
    return "blog" if host else "other"
