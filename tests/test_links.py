"""links.py: the one allowlist of URL schemes, read as a browser reads a URL; arXiv ids and kinds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discussions import links

# What Chromium follows as javascript: from an href (WHATWG URL: leading controls and spaces are
# dropped, tabs and line breaks anywhere removed, the scheme's case ignored).
REFUSED = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01\x1fjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "jav\r\nascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:image/png;base64,AAAA",
    "file:///etc/passwd",
    "ftp://example.com/x",
    "java script:alert(1)",  # no scheme, but a colon before any slash: not a link we write
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
]
ALLOWED = [
    "https://arxiv.org/abs/2005.14165",
    "HTTP://EXAMPLE.COM/",
    "  https://example.com/  ",
    "mailto:tzuyu@example.com",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_a_browser_would_run_or_leave_the_web_for_is_refused(url):
    assert not links.is_allowed(url)
    assert not links.is_allowed(url, relative=True)
    assert links.safe_href(url) == ""
    assert links.refusal(url)


@pytest.mark.parametrize("url", ALLOWED)
def test_web_and_mail_links_are_allowed(url):
    assert links.is_allowed(url)
    assert links.safe_href(url) == url
    assert links.refusal(url) == ""


@pytest.mark.parametrize("url", ["/papers/gpt-3/", "#q4", "?page=2", "arxiv.org/abs/2005.14165"])
def test_a_relative_link_is_allowed_only_where_relative_links_are(url):
    assert not links.is_allowed(url)
    assert links.is_allowed(url, relative=True)
    assert links.safe_href(url) == url


def test_the_scheme_is_read_as_a_browser_reads_it():
    assert links.scheme_of("\x00 Ja\tVa\nScript:x") == "javascript"
    assert links.scheme_of("/papers/x/") == ""
    assert links.browser_form(" \x1fhttps://a.b/c\td ") == "https://a.b/cd"


def test_the_refusal_names_the_scheme():
    assert links.refusal("JaVaScRiPt:alert(1)") == (
        "the link scheme 'javascript:' is not allowed (only http:, https:, mailto:)"
    )


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.sampled_from("\x00\x01\x09\x0a\x0d\x1f \x7f"), max_size=4),
    st.sampled_from(["javascript", "vbscript", "data"]),
    st.lists(st.booleans(), min_size=10, max_size=10),
    st.text(st.sampled_from("\t\n\r"), max_size=2),
)
def test_no_spelling_of_a_script_scheme_gets_through(prefix, scheme, upper, inside):
    cased = "".join(c.upper() if up else c for c, up in zip(scheme, upper, strict=False))
    url = f"{prefix}{cased[:2]}{inside}{cased[2:]}:alert(1)"
    assert links.safe_href(url) == ""


def test_arxiv_ids_and_normalised_urls_name_the_document():
    assert links.arxiv_id_of("https://arxiv.org/pdf/2005.14165v2.pdf") == "2005.14165"
    assert links.normalise_url("https://www.Example.com/a/?x=1") == "example.com/a?x=1"
    assert links.normalise_url("http://[::1") == ""  # a bracket left open names no host, no error


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://youtu.be/x", "video"),
        ("https://github.com/openai/gpt-3", "code"),
        ("https://arxiv.org/abs/2005.14165", "paper"),
        ("https://example.com/paper.PDF", "paper"),
        ("https://jalammar.github.io/x", "blog"),
        ("https://www.youtube.com/watch?v=abc", "video"),
        ("https://m.youtube.com/watch?v=abc", "video"),
        ("https://tv.naver.com/v/123", "video"),
        ("https://gist.github.com/someone/abc", "code"),
        ("https://GitHub.com:443/google-research/bert", "code"),
        ("https://paperswithcode.com/paper/x", "code"),
        ("https://openaccess.thecvf.com/content/x.html", "paper"),
        ("mailto:a@b.c", "other"),
        ("http://[::1", "other"),
    ],
)
def test_a_references_kind_is_inferred_from_its_url(url, kind):
    assert links.infer_kind(url) == kind


def test_the_models_keep_their_names_for_the_helpers(db):
    from discussions.models import Reference, arxiv_id_of, normalise_url

    assert arxiv_id_of is links.arxiv_id_of and normalise_url is links.normalise_url
    assert Reference.infer_kind("https://youtu.be/x") == Reference.Kind.VIDEO
