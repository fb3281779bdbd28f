import datetime
import re

import pytest
from django.urls import reverse

from discussions import writes
from discussions.models import Answer, Paper, Participant


def test_home_lists_papers_with_their_counts_and_people(client, seeded):
    html = client.get("/").content.decode()
    assert "Language Models are Few-Shot Learners" in html
    assert seeded.get_absolute_url() in html
    text = re.sub(r"\s+", " ", html)
    assert "11" in text and "15" in text
    assert "쯔위" in html


def test_home_shows_the_newest_session_first(client, make_paper):

    old = make_paper(questions=1, answers=1, title="Old one")
    new = make_paper(questions=1, answers=1, title="New one")
    Paper.objects.filter(pk=old.pk).update(session_date=datetime.date(2021, 1, 1))
    Paper.objects.filter(pk=new.pk).update(session_date=datetime.date(2021, 6, 1))
    html = client.get("/").content.decode()
    assert html.index("New one") < html.index("Old one")


def test_home_lists_a_session_to_come_once_with_one_wording_for_its_open_answers(client, session):
    from discussions import writes
    from discussions.models import Participant

    question, _ = writes.ask(session, author=session.presenter, body="Why attention?", user=None)
    writes.claim(question, member=Participant.objects.get(name="쯔위"), user=None)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get("/").content.decode()
    assert html.count(session.get_absolute_url() + '"') == 1  # under "Next sessions" only
    assert "Language Models are Few-Shot Learners" in html  # the archive still lists the rest
    assert "1 open answer" in html and "still owed" not in html


def test_the_paper_page_shows_the_thread_as_written(client, seeded):
    response = client.get(seeded.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="https://arxiv.org/abs/2005.14165"' in html
    assert "GPT3 논문입니다." in html
    for question in seeded.questions.all():
        assert f'id="{question.anchor}"' in html
        assert f'href="#{question.anchor}"' in html
    for answer in Answer.objects.all():
        assert f'id="{answer.anchor}"' in html
    # thread order: Q4 (소연) then 선민's answer, then Q4 (민상) and its three answers
    first_q4, second_q4 = seeded.questions.filter(label="Q4")
    positions = [
        html.index(f'id="{x.anchor}"')
        for x in [first_q4, *first_q4.answers.all(), second_q4, *second_q4.answers.all()]
    ]
    assert positions == sorted(positions)


def test_an_open_answer_shows_as_waiting_for_its_author(client, seeded):
    html = client.get(seeded.get_absolute_url()).content.decode()
    assert html.count("쯔위 님의 답변을 기다리는 중") == 2


def test_references_are_grouped_by_kind_and_cited_links_listed(client, seeded):
    html = client.get(seeded.get_absolute_url()).content.decode()
    assert "GPT1" in html and "jalammar.github.io" in html
    assert html.index("GPT1") < html.index("youtube.com/watch?v=xNdp3_Zrr8Q")
    assert "https://arxiv.org/abs/1911.03064" in html
    assert "https://arxiv.org/abs/2008.03945" in html


def test_replies_show_under_their_answer(client, make_paper):
    paper = make_paper(questions=2, answers=2)
    html = client.get(paper.get_absolute_url()).content.decode()
    reply = Answer.objects.filter(parent__isnull=False).first()
    parent_at = html.index(f'id="{reply.parent.anchor}"')
    reply_at = html.index(f'id="{reply.anchor}"')
    assert parent_at < html.index('class="replies"', parent_at) < reply_at


def test_a_participant_page_shows_what_they_asked_answered_and_owe(client, seeded):
    tzuyu = Participant.objects.get(name="쯔위")
    html = client.get(tzuyu.get_absolute_url()).content.decode()
    for answer in Answer.objects.open():
        assert answer.get_absolute_url() in html
    sunmin = Participant.objects.get(name="선민")
    html = client.get(sunmin.get_absolute_url()).content.decode()
    assert sunmin.questions.first().get_absolute_url() in html
    assert sunmin.answers.first().get_absolute_url() in html


def test_unknown_pages_get_a_friendly_404(client, db, settings):
    settings.DEBUG = False
    response = client.get("/papers/nope/")
    assert response.status_code == 404
    assert reverse("discussions:home") in response.content.decode()


@pytest.mark.parametrize("size", ["seed", "large"])
def test_the_paper_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, size, django_assert_num_queries
):
    paper = seeded if size == "seed" else make_paper(questions=100, answers=5)
    # the paper's generations (the cache key), paper, the session's PDF (for the pages its places
    # start on), the questions' ids and generations, the structure generation (the blocks' keys),
    # then for the blocks not cached: questions+authors, their topics, answers+authors; references,
    # participants
    with django_assert_num_queries(10):
        assert client.get(paper.get_absolute_url()).status_code == 200
    # A write to one question's thread: the page again, its blocks from the cache but that one.
    question = paper.questions.order_by("position").last()
    writes.set_topics(question, ["새 주제"], user=None, by_hand=True)
    with django_assert_num_queries(10):
        assert "새 주제" in client.get(paper.get_absolute_url()).content.decode()
    # A write to the session but no question's thread: the page again, every block from the cache.
    writes.update_session(paper, expected_version=paper.version, user=None, description="바뀐 설명")
    with django_assert_num_queries(7):
        assert "바뀐 설명" in client.get(paper.get_absolute_url()).content.decode()


@pytest.mark.parametrize("extra_papers", [0, 4])
def test_the_home_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, extra_papers, django_assert_num_queries
):
    for i in range(extra_papers):
        paper = make_paper(questions=5, answers=2, title=f"Paper {i}")
        # Half of them upcoming sessions, with their presenters.
        if i % 2:
            paper.session_date = datetime.date.today() + datetime.timedelta(days=i)
            paper.presenter = Participant.objects.order_by("pk")[i]
            paper.save()
    # generation, the count of papers, a page of papers with counts, their participants, their
    # topics, the upcoming sessions with their counts and presenters
    with django_assert_num_queries(6):
        html = client.get("/").content.decode()
    assert html.count("upcoming-item") == extra_papers // 2


def test_a_participant_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, django_assert_num_queries
):
    make_paper(questions=50, answers=3)
    person = Participant.objects.get(name="회원1")
    # generation, participant, open answers, questions (a count and a page), answers (a count and a page)
    with django_assert_num_queries(7):
        client.get(person.get_absolute_url())


def test_a_server_error_gets_a_friendly_page_in_both_languages(client, db, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_failing"
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "서버 오류" in html and "Something went wrong" in html
    assert "RuntimeError" not in html


def test_the_home_page_shows_thirty_papers_a_page(client, db):
    from discussions.models import Paper

    for i in range(31):
        Paper.objects.create(title=f"Paper number {i:02d}")
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert first.count('class="paper-item"') == 30 and second.count('class="paper-item"') == 1
    assert 'rel="next"' in first


def test_a_participant_page_shows_fifty_answers_a_page(client, make_paper):
    question = make_paper(questions=1, answers=0).questions.get()
    person = Participant.objects.create(name="다작")
    answers = [writes.answer(question, author=person, body=f"답 {i:02d}", user=None)[0] for i in range(51)]
    first = client.get(person.get_absolute_url()).content.decode()
    second = client.get(person.get_absolute_url() + "?answers=2").content.decode()
    assert sum(f'href="{a.get_absolute_url()}"' in first for a in answers) == 50
    assert sum(f'href="{a.get_absolute_url()}"' in second for a in answers) == 1
    assert "?answers=2" in first


@pytest.mark.parametrize("extra_questions", [0, 60])
def test_a_topic_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, extra_questions, django_assert_num_queries
):
    from discussions.models import Topic

    topic = Topic.objects.get(name="bias")
    if extra_questions:
        paper = make_paper(questions=extra_questions, answers=3)
        for question in paper.questions.all():
            writes.set_topics(question, ["bias"], user=None, by_hand=True)
    # generation, topic, the count of its questions, a page of them with their answers counted
    with django_assert_num_queries(4):
        html = client.get(topic.get_absolute_url()).content.decode()
    # The page's fifty are counted: each generated question has two answers, a reply and one open.
    if extra_questions:
        assert html.count("답변 3개") == 50 and html.count("대기 중인 답변 1개") == 50
