"""What is removed from a thread shows nowhere a visitor can reach: one definition of "shown"."""

import io
import zipfile

import pytest
from django.urls import reverse

from discussions import writes
from discussions.archive import papers_zip
from discussions.models import Answer, Paper, Participant, Question, Topic

MARKERS = {
    "question": "지워진질문표식",
    "answer under the removed question": "지워진질문아래답표식",
    "removed answer": "지워진답표식",
    "reply under the removed answer": "지워진답아래답글표식",
    "removed reply": "지워진답글표식",
}


@pytest.fixture
def removed(seeded):
    """A removed question with an answer, a removed answer with a reply, a removed reply; every
    body carries a marker word, and each is signed by someone whose page lists posts."""
    member = Participant.objects.get(name="선민")
    topic_word = "bias"

    def ask(body):
        question = writes.ask(seeded, author=member, body=body, user=None)[0]
        writes.set_topics(question, [topic_word], user=None, by_hand=True)
        return question

    def answer(question, body, parent=None):
        return writes.answer(question, author=member, body=body, user=None, parent=parent)[0]

    gone_question = ask(f"{MARKERS['question']} https://gone.example/question")
    answer(gone_question, f"{MARKERS['answer under the removed question']} https://gone.example/a")
    kept_question = ask("남은 질문")
    gone_answer = answer(kept_question, MARKERS["removed answer"])
    answer(kept_question, MARKERS["reply under the removed answer"], parent=gone_answer)
    kept_answer = answer(kept_question, "남은 답")
    gone_reply = answer(kept_question, MARKERS["removed reply"], parent=kept_answer)
    for post in (gone_question, gone_answer, gone_reply):
        post.refresh_from_db()
        writes.remove(post, expected_version=post.version, user=None)
    return seeded


def visitor_pages(paper):
    member = Participant.objects.get(name="선민")
    topic = Topic.objects.get(name="bias")
    pages = {
        "home": reverse("discussions:home"),
        "paper": paper.get_absolute_url(),
        "download": reverse("discussions:paper_download", args=[paper.slug]),
        "participant": member.get_absolute_url(),
        "topics": reverse("discussions:topics"),
        "topic": topic.get_absolute_url(),
        "open": reverse("discussions:open"),
        "feed": reverse("discussions:feed"),
        "paper feed": reverse("discussions:paper_feed", args=[paper.slug]),
        "topic feed": reverse("discussions:topic_feed", args=[topic.slug]),
    }
    # A word every marker starts with, so the page's echo of the query is not a marker itself.
    search = reverse("discussions:search")
    for kind in ("", "&kind=questions", "&kind=answers", "&kind=references"):
        pages[f"search{kind}"] = f"{search}?q=지워진{kind}"
        pages[f"search for the link{kind}"] = f"{search}?q=gone{kind}"
    return pages


def test_no_removed_text_on_any_page_a_visitor_reaches(removed, client):
    for name, url in visitor_pages(removed).items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = response.content.decode()
        for what, marker in MARKERS.items():
            assert marker not in text, f"{what} shows on {name}"
        assert "gone.example" not in text, f"a link cited only in removed posts shows on {name}"


def test_no_removed_text_in_the_archive_export(removed):
    with zipfile.ZipFile(io.BytesIO(papers_zip(Paper.objects.all()))) as exported:
        text = "".join(exported.read(name).decode() for name in exported.namelist())
    for what, marker in MARKERS.items():
        assert marker not in text, what


def test_counts_leave_out_what_is_under_a_removed_post(removed, client):
    paper = Paper.objects.with_counts().get(pk=removed.pk)
    shown_answers = Answer.objects.filled().filter(question__paper=removed).count()
    assert paper.answer_count == shown_answers
    assert paper.question_count == Question.objects.shown().filter(paper=removed).count()
    html = client.get(reverse("discussions:topics")).content.decode()
    bias = Topic.objects.get(name="bias")
    assert bias.tagged_questions.filter(content_object__hidden_at__isnull=True).count() >= 1
    assert "지워진" not in html


def test_the_text_of_a_removed_post_is_only_in_its_history(removed, as_persona):
    gone = Answer.objects.get(body=MARKERS["removed answer"])
    url = reverse("discussions:answer_history", args=[gone.pk])
    assert as_persona("anonymous").get(url).status_code == 404
    assert MARKERS["removed answer"] in as_persona("bob").get(url).content.decode()
