"""Hostile input (issue 12): every bad value is refused with a message and writes nothing, no page
ever answers 5xx, and no link on a page leaves http:, https: and mailto:.

The fuzz tests send hypothesis's odd text (NUL, control characters, very long, empty-slug,
comma-quoted, deep nesting, odd Unicode) to every form and URL parameter of the site as a
visitor, a member and staff, through Django's test client; the XSS table sends URL payloads
through every way a URL gets in and reads the resulting pages with an HTML parser.
"""

import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discussions import links, reader
from discussions.models import (
    Answer,
    Paper,
    Participant,
    ParticipantAlias,
    Question,
    Reference,
    TaggedQuestion,
    Topic,
)
from tests.browser.helpers import t

# --- Odd text ------------------------------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\x0c폼피드\x0b",
            "!!!",
            "---",
            '"a,b"',
            '"bias',
            "a,b,,c",
            "-->",
            "<!-- 주석",
            "<",
            "<div",
            "javascript:alert(1)",
            " JaVa\tScRiPt:alert(1)",
            "‮RTL override",
            "ZWJ \u200d\u200d\u200d",
            "\ufeff\ufffd\ufffe\uffff",
            "정훈".encode().decode("utf-8"),
            "\u1112\u1161\u11ab",  # 한, decomposed (NFD)
            "e\u0301" * 50,
            "🧑\u200d🔬" * 20,
            "가" * 101,
            "x" * 151,
            "Q" + "1" * 40,
            "↳" * 300 + " A1 (x). 깊은 답글",
            "> " * 300 + "인용",
            "[" * 500 + "]" * 500,
            "*" * 1000,
            "$" * 200,
            "1" * 30,
            "-1",
            "99999999999999999999999",
        ]
    ),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x3F), max_size=20),  # ASCII with every control character
    st.integers(min_value=2, max_value=4).map(lambda n: "가나다라 " * 10**n),  # up to 50,000 characters
)

FUZZ = settings(
    max_examples=10,
    deadline=None,
    # The database fixtures are set up once per test, not per example: rows written by one example
    # stay for the next, which is what "nothing written on a refusal" is compared against.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WRITTEN = [
    Paper,
    Reference,
    Question,
    Answer,
    Topic,
    TaggedQuestion,
    Participant,
    ParticipantAlias,
    Paper.history.model,
    Question.history.model,
    Answer.history.model,
    Participant.history.model,
]


def rows():
    return [model.objects.count() for model in WRITTEN]


def send(client, method, url, data=None):
    """One request: never a 5xx, and a refusal (anything but a redirect after a write) writes nothing."""
    before = rows()
    response = client.get(url, data) if method == "get" else client.post(url, data or {})
    assert response.status_code < 500, (method, url, data, response.status_code)
    if response.status_code != 302:
        assert rows() == before, (method, url, data, response.status_code)
    return response


def segment(text):
    return quote(text, safe="") or "x"


# --- Visitors --------------------------------------------------------------------------------------


@FUZZ
@given(text=ODD_TEXT)
def test_no_url_parameter_answers_5xx_for_a_visitor(seeded, text):
    client = Client()
    question = Question.objects.first()
    for url, data in [
        ("/", {"page": text}),
        ("/open/", {"page": text, "mine": text}),
        ("/search/", {"q": text}),
        ("/search/", {"q": "효율", "topic": text, "paper": text, "participant": text, "open": text}),
        ("/search/", {"q": f"모델 {text}", "kind": "answers", "page": text}),
        ("/search/", {"q": "모델", "kind": text}),
        ("/topics/", {}),
        (f"/topics/{segment(text)}/", {"page": text}),
        (f"/topics/{segment(text)}/feed/", {}),
        (f"/papers/{segment(text)}/", {}),
        (f"/papers/{segment(text)}/download/", {}),
        (f"/papers/{segment(text)}/feed/", {}),
        (f"/participants/{segment(text)}/", {"questions": text, "answers": text}),
        (f"/questions/{question.pk}/history/", {text: text}),
        ("/feed/", {text: text}),
    ]:
        send(client, "get", url, data)
    send(client, "post", "/i18n/setlang/", {"language": text, "next": text})
    send(client, "post", reverse("login"), {"username": text, "password": text})
    send(client, "post", reverse("password_reset"), {"email": text})


# --- Members ---------------------------------------------------------------------------------------


@FUZZ
@given(text=ODD_TEXT)
def test_no_member_form_answers_5xx_or_writes_on_a_refusal(personas, text):
    client = Client()
    client.force_login(personas["alice"])
    alice = Participant.objects.get(name="쯔위")
    question = Question.objects.shown().first()
    answer = Answer.objects.filled().filter(author=alice).first() or Answer.objects.filled().first()
    open_answer = Answer.objects.open().filter(author=alice).first()
    paper = question.paper
    forms = [
        (reverse("discussions:answer", args=[question.pk]), {"body": text}),
        (reverse("discussions:answer", args=[question.pk]), {"body": text, "preview": "1"}),
        (reverse("discussions:reply", args=[answer.pk]), {"body": text}),
        (reverse("discussions:ask", args=[paper.slug]), {"body": text}),
        (reverse("discussions:edit_question", args=[question.pk]), {"body": text, "version": text}),
        (reverse("discussions:edit_answer", args=[answer.pk]), {"body": text, "version": answer.version}),
        (reverse("discussions:edit_topics", args=[question.pk]), {"topics": text}),
        (reverse("discussions:edit_topics", args=[question.pk]), {"topics": f'bias, "{text}"'}),
    ]
    if open_answer is not None:
        forms.append((reverse("discussions:fill", args=[open_answer.pk]), {"body": text, "version": text}))
    for url, data in forms:
        send(client, "post", url, data)
    for url in ("/", "/topics/", paper.get_absolute_url(), "/open/?mine=1", "/feed/"):
        send(client, "get", url)
    send(client, "get", reverse("discussions:paper_download", args=[paper.slug]))


# --- Staff in the admin ------------------------------------------------------------------------------


def paper_data(**changes):
    data = {
        "title": "A paper",
        "url": "",
        "arxiv_id": "",
        "slug": "",
        "description": "",
        "session_date": "",
        "presenter": "",
        "references-TOTAL_FORMS": 0,
        "references-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def reference_data(url, label="참고"):
    return {
        "references-TOTAL_FORMS": 1,
        "references-INITIAL_FORMS": 0,
        "references-0-label": label,
        "references-0-url": url,
        "references-0-kind": "other",
        "references-0-origin": "listed",
        "references-0-position": 1,
    }


@FUZZ
@given(text=ODD_TEXT)
def test_no_admin_form_answers_5xx_or_writes_on_a_refusal(seeded, staff, text):
    client = Client()
    client.force_login(staff)
    question = Question.objects.first()
    admin = "/admin/discussions"
    for model in ("paper", "question", "answer", "participant", "topic"):
        send(client, "get", f"{admin}/{model}/", {"q": text})
    send(client, "get", f"{admin}/question/", {"tags__id__exact": text, "paper__id__exact": text})
    send(client, "post", f"{admin}/paper/add/", paper_data(title=text))
    send(client, "post", f"{admin}/paper/add/", paper_data(url=text))
    send(client, "post", f"{admin}/paper/add/", paper_data(**reference_data(text)))
    send(client, "post", f"{admin}/paper/add/", paper_data(**reference_data("https://e.org", label=text)))
    send(
        client, "post", f"{admin}/topic/add/", {"name": text, "slug": segment(text)[:50], "description": text}
    )
    send(client, "post", f"{admin}/participant/add/", {"name": text, "full_name": text, "slug": ""})
    send(
        client,
        "post",
        f"{admin}/question/{question.pk}/change/",
        {
            "paper": question.paper_id,
            "label": text,
            "author": "",
            "body": text,
            "position": 1,
            "tags": text,
            "answers-TOTAL_FORMS": 0,
            "answers-INITIAL_FORMS": 0,
        },
    )
    upload = SimpleUploadedFile("odd.md", f"Q1 (정훈). {text}\n".encode(), content_type="text/markdown")
    send(client, "post", reverse("admin:discussions_paper_upload"), {"files": [upload]})
    raw = SimpleUploadedFile("raw.md", text.encode(errors="surrogatepass"), content_type="text/markdown")
    send(client, "post", reverse("admin:discussions_paper_upload"), {"files": [raw]})


# --- The cases, one by one -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["!!!", '"a,b"', "x" * 101, "줄\x0c바꿈"])
def test_a_member_cannot_name_a_topic_that_breaks_pages(as_persona, name):
    client = as_persona("bob")
    question = Question.objects.get(label="Q5")
    before = rows()
    response = client.post(
        reverse("discussions:edit_topics", args=[question.pk]), {"topics": f"bias, {name}"}
    )
    assert response.status_code == 200
    assert rows() == before and not Topic.objects.filter(name__in=[name, name.strip('"')]).exists()
    assert "errorlist" in response.content.decode()
    assert f"bias, {name}" in response.content.decode().replace("&quot;", '"')  # what was typed stays


def test_a_stored_topic_without_a_slug_breaks_no_page(seeded, client):
    # A row from before the rule (taggit made the slug "" from `!!!`).
    topic = Topic.objects.create(name="!!!", slug="")
    Topic.objects.filter(pk=topic.pk).update(slug="")
    question = Question.objects.get(label="Q5")
    question.tags.add(topic)
    for url in ("/", "/topics/", seeded.get_absolute_url(), "/search/?q=효율", "/feed/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "!!!" in response.content.decode() or url in ("/search/?q=효율", "/feed/")
    question.tags.remove(topic)
    assert client.get("/topics/").status_code == 200


def test_a_new_topic_gets_an_address_whatever_its_name(db):
    assert Topic.objects.create(name="!!!").slug == "topic"
    assert Topic.objects.create(name="???").slug == "topic_1"


def test_a_stored_topic_with_a_comma_makes_the_download_say_so_not_fail(seeded, client, staff_client):
    question = Question.objects.get(label="Q5")
    question.tags.add(Topic.objects.create(name="a,b", slug="a-b"))
    response = client.get(reverse("discussions:paper_download", args=[seeded.slug]))
    assert response.status_code == 409
    assert "a,b" in response.content.decode()
    response = staff_client.get(reverse("admin:discussions_paper_export"), follow=True)
    assert "Nothing was exported" in response.content.decode()


def test_a_form_feed_in_a_post_is_dropped_and_the_feeds_stay_valid(as_persona):
    client = as_persona("bob")
    question = Question.objects.get(label="Q5")
    response = client.post(reverse("discussions:answer", args=[question.pk]), {"body": "앞\x0c뒤\x1b"})
    assert response.status_code == 302
    assert Answer.objects.latest("pk").body == "앞뒤"
    for url in ("/feed/", reverse("discussions:paper_feed", args=[question.paper.slug])):
        ET.fromstring(client.get(url).content)


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=%00",
        "/search/?topic=%00",
        "/topics/%00/",
        "/papers/a%00b/",
        "/admin/discussions/paper/?q=%00",
    ],
)
def test_a_nul_in_an_address_is_a_bad_request_with_a_page(seeded, staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 400
    assert "control character" in response.content.decode()


def write_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


BAD_FILES = {
    "nul.md": (b"Q1 (a). q\x00\n", "nul.md:1: the line holds a NUL character"),
    "title.md": ("- 제목 : " + "t" * 1_000_000 + "\nQ1 (a). q\n", "title.md:1: the title is 1,000,000"),
    "url.md": ("- 원본 : https://e.com/" + "u" * 1_000_000 + "\nQ1 (a). q\n", "url.md:1: the paper URL is"),
    "js.md": ("- 원본 : [x](javascript:alert(1))\nQ1 (a). q\n", "js.md:1: the link scheme 'javascript:'"),
    "label.md": ("Q" + "1" * 40 + " (a). q\n", "label.md:1: the label is 41 characters"),
    "name.md": ("## 참여자\n" + "n" * 150 + "\n## 토론\nQ1 (a). q\n", "name.md:2: the name is 150"),
    "tag.md": ("Q1 (a). \n<!-- tags: " + "t" * 150 + " -->\nq\n", "tag.md:2: the topic name is 150"),
    "slug.md": ("Q1 (a). \n<!-- tags: !!! -->\nq\n", "slug.md:2: the topic name '!!!'"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_written(db, tmp_path, name):
    data, message = BAD_FILES[name]
    path = write_file(tmp_path, name, data)
    before, err = rows(), io.StringIO()
    with pytest.raises(Exception, match="refused; nothing was imported"):
        call_command("import_discussion", path, stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith(str(tmp_path / message))
    assert rows() == before


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_uploaded_in_the_admin_is_refused_with_its_line(db, staff_client, name):
    data, message = BAD_FILES[name]
    upload = SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)
    before = rows()
    response = staff_client.post(reverse("admin:discussions_paper_upload"), {"files": [upload]})
    assert response.status_code == 200
    if len(upload) <= 2 * 1024 * 1024:
        assert message.replace("'", "&#x27;") in response.content.decode()
    assert rows() == before


def test_the_import_commands_own_title_and_url_are_checked_too(db, tmp_path):
    path = write_file(tmp_path, "ok.md", "Q1 (a). q\n")
    for option in (["--url", "javascript:alert(1)"], ["--title", "t" * 301], ["--url", "https://e.com/\x00"]):
        with pytest.raises(Exception, match="--title/--url"):
            call_command("import_discussion", path, *option, stdout=io.StringIO())
    assert not Paper.objects.exists()


def deep_file(depth):
    lines = [
        "- 제목 : 깊은 토론",
        "## 토론",
        "Q1 (가나다라마바사아자차카타파하가나다라마바사아자차카타). 질문",
    ]
    lines.append("A1 (가나다라마바사아자차카타파하가나다라마바사아자차카타). 답")
    lines += [f"{'↳' * n} A1 (회원{n % 9}). 답글 {n}" for n in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def test_a_thread_a_thousand_replies_deep_imports_exports_and_imports_back(db, tmp_path, client):
    path = write_file(tmp_path, "deep.md", deep_file(1000))
    call_command("import_discussion", path, stdout=io.StringIO())
    paper = Paper.objects.get()
    assert Answer.objects.count() == 1001
    assert max(len(key) for key in Answer.objects.values_list("import_key", flat=True)) <= 500

    exported = client.get(reverse("discussions:paper_download", args=[paper.slug]))
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content]).decode()
    assert "↳" * 1000 + " A1 (회원1). 답글 1000" in text

    # Into an empty archive: the exported file gives the same thread back.
    Answer.objects.filter(parent__isnull=False).update(parent=None)  # a flat delete, no cascade walk
    Paper.objects.all().delete()
    call_command("import_discussion", write_file(tmp_path, "again.md", text), stdout=io.StringIO())
    deepest = Answer.objects.get(body="답글 1000")
    depth = 0
    while deepest.parent_id:
        deepest, depth = deepest.parent, depth + 1
    assert depth == 1000


# --- XSS: URL payloads through every way in, read back from every page -------------------------------

PAYLOADS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript&#x3A;alert(1)",
    "javascript&colon;alert(1)",
]


class Targets(HTMLParser):
    """Every href and src on a page, entities decoded as a browser decodes them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [
            value or "" for name, value in attrs if name in ("href", "src", "action", "formaction")
        ]


def targets_in(html):
    parser = Targets()
    parser.feed(html)
    return parser.found


def assert_no_script_links(html, where):
    bad = [url for url in targets_in(html) if links.scheme_of(url) in ("javascript", "vbscript", "data")]
    assert not bad, (where, bad)


def assert_pages_are_clean(client, paper):
    pages = [paper.get_absolute_url(), "/search/?q=alert", "/search/?q=alert&kind=references", "/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_script_links(response.content.decode(), url)
    for url in ("/feed/", reverse("discussions:paper_feed", args=[paper.slug])):
        feed = ET.fromstring(client.get(url).content)
        for node in feed.iter():
            if node.get("href"):
                assert links.scheme_of(node.get("href")) in ("http", "https"), url
            if node.tag.endswith("summary") and node.text:
                assert_no_script_links(node.text, url)
    download = client.get(reverse("discussions:paper_download", args=[paper.slug]))
    assert download.status_code == 200
    back = reader.read(download.content, "download.md")
    for url in [back.url, *(ref.url for ref in back.references), *back.cited_links()]:
        assert links.safe_href(url) == url or not url, url


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_an_imported_file_never_becomes_a_link(db, tmp_path, client, payload):
    body = f'[클릭]({payload}) ![그림]({payload}) <a href="{payload}">a</a> <img src="{payload}"> alert'
    text = (
        "- 제목 : XSS 논문\n- 원본 : https://arxiv.org/abs/2005.14165\n"
        f"## 논문 Background\n1) 나쁜 링크 : [alert]({payload})\n2) [alert 좋은 링크](https://ok.example)\n"
        f"## 토론\nQ1 (정훈). {body}\nA1 (소연). {body}\n"
    )
    call_command("import_discussion", write_file(tmp_path, "xss.md", text), stdout=io.StringIO())
    paper = Paper.objects.get()
    assert list(paper.references.values_list("url", flat=True)) == ["https://ok.example"]
    assert_pages_are_clean(client, paper)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_as_a_paper_url_in_a_file_refuses_the_file(db, tmp_path, payload):
    path = write_file(tmp_path, "xss.md", f"- 원본 : [x]({payload})\nQ1 (정훈). q\n")
    with pytest.raises(Exception, match="refused"):
        call_command("import_discussion", path, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Paper.objects.exists()


@pytest.mark.parametrize("payload", [*PAYLOADS, "ftp://example.com/x"])
def test_a_payload_in_the_admins_paper_and_reference_forms_is_refused(seeded, staff_client, payload):
    before = rows()
    for data in (paper_data(url=payload), paper_data(**reference_data(payload))):
        response = staff_client.post("/admin/discussions/paper/add/", data)
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_typed_in_a_members_post_never_becomes_a_link(as_persona, payload):
    client = as_persona("alice")
    question = Question.objects.get(label="Q5")
    body = f'[alert]({payload}) ![그림]({payload}) <a href="{payload}">alert</a> <{payload}>'
    assert client.post(reverse("discussions:answer", args=[question.pk]), {"body": body}).status_code == 302
    mine = Answer.objects.latest("pk")
    assert client.post(reverse("discussions:reply", args=[mine.pk]), {"body": body}).status_code == 302
    paper = question.paper
    assert client.post(reverse("discussions:ask", args=[paper.slug]), {"body": body}).status_code == 302
    preview = client.post(reverse("discussions:ask", args=[paper.slug]), {"body": body, "preview": "1"})
    assert_no_script_links(preview.content.decode(), "preview")
    assert_pages_are_clean(Client(), paper)


def test_a_stored_script_url_from_before_the_rule_is_shown_but_not_linked(seeded, client):
    # Rows written before the allowlist: the page shows the URL as text, never as an href.
    Paper.objects.filter(pk=seeded.pk).update(url="JaVaScRiPt:alert(1)")
    Reference.objects.create(paper=seeded, url=" javascript:alert(2)", label="alert", position=99)
    html = client.get(seeded.get_absolute_url()).content.decode()
    assert "JaVaScRiPt:alert(1)" in html and "javascript:alert(2)" not in targets_in(html)
    assert_no_script_links(html, "paper")
    assert_no_script_links(client.get("/search/?q=alert&kind=references").content.decode(), "search")


def test_the_refusal_is_in_the_readers_language(as_persona):
    client = as_persona("bob")  # no Accept-Language: Korean, the default
    question = Question.objects.get(label="Q5")
    response = client.post(reverse("discussions:edit_topics", args=[question.pk]), {"topics": "!!!"})
    assert "“!!!”이(가) 주제가 되려면 글자나 숫자가 하나는 있어야 합니다." in response.content.decode()
    assert "control character" not in client.get("/search/?q=%00").content.decode()
    assert "제어 문자" in client.get("/search/?q=%00").content.decode()


def test_a_stored_script_url_is_not_exported_into_a_file_that_would_not_import_back(seeded, client):
    Paper.objects.filter(pk=seeded.pk).update(url="JaVaScRiPt:alert(1)")
    response = client.get(reverse("discussions:paper_download", args=[seeded.slug]))
    assert response.status_code == 409
    assert "javascript:" in response.content.decode()


def test_a_thread_a_thousand_replies_deep_shows_on_the_paper_page_and_imports_again(db, tmp_path, as_persona):
    """The thread is walked without recursion (discussions.threads) and written with one loop;
    a re-import over it syncs level by level."""
    path = write_file(tmp_path, "deep.md", deep_file(1000))
    call_command("import_discussion", path, stdout=io.StringIO())
    paper = Paper.objects.get(title="깊은 토론")
    html = as_persona("anonymous").get(paper.get_absolute_url()).content.decode()
    assert "답글 1000" in html
    assert html.count('<ol class="replies"') == 1000 and html.count("</ol></li>") >= 1000
    changed = deep_file(1000).replace("답글 1000\n", "답글 천\n")
    out = io.StringIO()
    call_command("import_discussion", write_file(tmp_path, "deep.md", changed), stdout=out)
    assert "1 changed" in out.getvalue()
    assert (
        Answer.objects.filter(body="답글 천").exists()
        and Answer.objects.filter(question__paper=paper).count() == 1001
    )


# Issue 24: four requests that answered 500


def test_a_reference_whose_address_the_paper_lists_already_is_a_form_error(session, as_persona):
    url = reverse("discussions:edit_references", args=[session.slug])
    data = {"version": session.version, "refs-TOTAL_FORMS": 2, "refs-INITIAL_FORMS": 0}
    for i, label in enumerate(["첫 번째", "두 번째"]):
        data |= {f"refs-{i}-label": label, f"refs-{i}-url": "https://example.com/a", f"refs-{i}-kind": "blog"}
    response = as_persona("bob").post(url, data)
    html = response.content.decode()
    assert response.status_code == 200 and "두 번째" in html  # what was typed is kept
    assert t("This paper lists this address already.") in html
    assert not session.references.exists()


def test_a_new_reference_with_the_address_of_a_listed_one_is_a_form_error(session, as_persona):
    from discussions import writes

    writes.save_references(
        session,
        expected_version=session.version,
        user=None,
        rows=[(None, "원래", "https://example.com/a", "blog", False)],
    )
    session.refresh_from_db()
    listed = session.references.get()
    data = {
        "version": session.version,
        "refs-TOTAL_FORMS": 2,
        "refs-INITIAL_FORMS": 1,
        "refs-0-id": listed.pk,
        "refs-0-label": "원래",
        "refs-0-url": "https://example.com/a",
        "refs-0-kind": "blog",
        "refs-1-label": "또",
        "refs-1-url": "https://example.com/a",
        "refs-1-kind": "blog",
    }
    response = as_persona("bob").post(reverse("discussions:edit_references", args=[session.slug]), data)
    assert response.status_code == 200
    assert t("This paper lists this address already.") in response.content.decode()
    assert session.references.count() == 1


def test_two_references_trading_addresses_is_a_message_not_a_500(session, as_persona):
    from discussions import writes

    rows = [
        (None, "A", "https://example.com/a", "blog", False),
        (None, "B", "https://example.com/b", "blog", False),
    ]
    writes.save_references(session, expected_version=session.version, user=None, rows=rows)
    session.refresh_from_db()
    a, b = session.references.order_by("position")
    data = {"version": session.version, "refs-TOTAL_FORMS": 2, "refs-INITIAL_FORMS": 2}
    for i, (ref, url) in enumerate([(a, b.url), (b, a.url)]):
        data |= {
            f"refs-{i}-id": ref.pk,
            f"refs-{i}-label": ref.label,
            f"refs-{i}-url": url,
            f"refs-{i}-kind": "blog",
        }
    response = as_persona("bob").post(reverse("discussions:edit_references", args=[session.slug]), data)
    assert response.status_code == 200
    assert sorted(session.references.values_list("label", "url")) == [
        ("A", "https://example.com/a"),
        ("B", "https://example.com/b"),
    ]


@pytest.mark.parametrize("value", ["abc", "²", "-1", "1.5"])
def test_marking_a_notification_that_is_not_a_number_read_is_a_bad_request(as_persona, value):
    response = as_persona("alice").post(reverse("discussions:notifications_read"), {"notification": value})
    assert response.status_code == 400


def test_marking_a_notification_past_the_databases_numbers_read_marks_nothing(as_persona):
    response = as_persona("alice").post(reverse("discussions:notifications_read"), {"notification": "9" * 30})
    assert response.status_code == 302


@pytest.mark.parametrize("value", ["abc", "²", "-1"])
def test_deciding_a_claim_that_is_not_a_number_is_a_bad_request(seeded, as_persona, personas, value):
    url = reverse("discussions:sign_posts", args=[seeded.slug])
    response = as_persona("carol").post(url, {"claim": value, "decide": "accept"})
    assert response.status_code == 400


def test_deciding_a_claim_past_the_databases_numbers_is_not_found(seeded, as_persona, personas):
    url = reverse("discussions:sign_posts", args=[seeded.slug])
    response = as_persona("carol").post(url, {"claim": "9" * 30, "decide": "accept"})
    assert response.status_code == 404


def test_the_unsubscribe_link_of_a_deleted_member_says_so(personas):
    from discussions import mailing

    user = personas["bob"]
    link = reverse("discussions:unsubscribe", args=[mailing.unsubscribe_token(user)])
    user.delete()
    client = Client()
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 404
        assert t("The account this mail was sent to no longer exists, so no more mails go to it.") in (
            response.content.decode()
        )
