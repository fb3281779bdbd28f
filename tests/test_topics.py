from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from discussions import writes
from discussions.models import Question, Topic
from discussions.topics import TopicRule, TopicRules, load_rules
from tests.conftest import FIXTURES


def seed_question(label, author):
    return Question.objects.get(label=label, author__name=author)


def topics_of(question):
    return set(question.tags.names())


def test_the_seed_is_tagged_like_a_careful_reader_would(seeded):
    assert "few-shot" in topics_of(seed_question("Q3", "소연"))
    assert "few-shot" in topics_of(seed_question("Q9", "선민"))
    assert "bias" in topics_of(seed_question("Q4", "소연"))
    assert "efficiency" in topics_of(seed_question("Q4", "민상"))
    assert "efficiency" in topics_of(seed_question("Q8", "선민"))
    for label, author in [("Q2", "정훈"), ("Q5", "민상"), ("Q6", "민상"), ("Q7", "지성")]:
        assert not topics_of(seed_question(label, author)) & {"few-shot", "bias", "efficiency"}, label
    assert "bias" not in topics_of(seed_question("Q4", "민상"))
    assert "efficiency" not in topics_of(seed_question("Q4", "소연"))


def test_words_in_the_question_weigh_more_than_words_in_its_answers():
    rules = TopicRules(topics=(TopicRule("efficiency", "", ("efficien",)),))
    assert rules.topics_for("Is it efficient?", []) == ["efficiency"]
    assert rules.topics_for("What does it learn?", ["It is efficient, they say."]) == []
    many = ["efficient here", "efficient there", "efficient again"]
    assert rules.topics_for("What does it learn?", many) == ["efficiency"]


def test_keywords_match_inside_korean_words_and_ignore_case():
    rules = load_rules(FIXTURES / "topics.toml")
    assert "efficiency" in rules.topics_for("학습을 효율적으로 할 수 있을까요?", [])
    assert "few-shot" in rules.topics_for("Few-Shot 성능은?", [])
    assert "bias" in rules.topics_for("모델의 편향을 줄이려면?", [])


def test_the_rules_live_in_a_data_file_with_descriptions(seeded):
    rules = load_rules(FIXTURES / "topics.toml")
    assert {"few-shot", "efficiency", "bias"} <= {rule.name for rule in rules.topics}
    assert Topic.objects.get(name="bias").description
    assert Topic.objects.get(name="few-shot").slug == "few-shot"


def test_topics_a_member_set_by_hand_survive_a_reimport(as_persona):
    question = seed_question("Q2", "정훈")
    client = as_persona("bob")
    client.post(reverse("discussions:edit_topics", args=[question.pk]), {"topics": "architecture, 모델 구조"})
    call_command("seed", stdout=StringIO())
    assert topics_of(question) == {"architecture", "모델 구조"}
    assert Topic.objects.get(name="모델 구조").slug == "모델-구조"


def test_a_topic_change_is_recorded_in_the_question_history(as_persona):
    question = seed_question("Q4", "소연")
    client = as_persona("bob")
    client.post(reverse("discussions:edit_topics", args=[question.pk]), {"topics": "bias, fairness"})
    latest = question.history.first()
    assert latest.topic_names == "bias, fairness"
    assert latest.history_user.username == "bob"
    html = client.get(reverse("discussions:question_history", args=[question.pk])).content.decode()
    assert "bias, fairness" in html


def test_removing_every_topic_is_kept_on_reimport(as_persona):
    question = seed_question("Q4", "소연")
    as_persona("bob").post(reverse("discussions:edit_topics", args=[question.pk]), {"topics": ""})
    call_command("seed", stdout=StringIO())
    assert topics_of(question) == set()


def test_anonymous_visitors_cannot_change_topics(client, seeded):
    question = seed_question("Q4", "소연")
    response = client.post(reverse("discussions:edit_topics", args=[question.pk]), {"topics": "spam"})
    assert response.status_code == 302
    assert topics_of(question) == {"bias"}


def test_the_topics_page_lists_every_topic_with_its_count(client, seeded):
    html = client.get(reverse("discussions:topics")).content.decode()
    for name in ("bias", "efficiency", "few-shot"):
        assert Topic.objects.get(name=name).get_absolute_url() in html
    assert "질문 2개" in html  # few-shot and efficiency each have two questions in the seed


def test_a_topic_page_lists_its_questions_linked_into_the_thread(client, seeded):
    topic = Topic.objects.get(name="efficiency")
    html = client.get(topic.get_absolute_url()).content.decode()
    for question in Question.objects.filter(tagged_items__tag=topic):
        assert question.get_absolute_url() in html
    assert seed_question("Q4", "소연").get_absolute_url() not in html
    assert "Language Models are Few-Shot Learners" in html
    assert "민상" in html and "답변 3개" in html


def test_a_topic_page_shows_a_question_still_waiting(client, seeded):
    html = client.get(Topic.objects.get(name="few-shot").get_absolute_url()).content.decode()
    assert "대기 중인 답변 1개" in html


def test_the_paper_page_shows_topics_on_questions_and_the_home_page_on_papers(client, seeded):
    bias = Topic.objects.get(name="bias").get_absolute_url()
    assert f'href="{bias}"' in client.get(seeded.get_absolute_url()).content.decode()
    assert f'href="{bias}"' in client.get("/").content.decode()


@pytest.mark.parametrize("size", ["seed", "large"])
def test_a_topic_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, size, django_assert_num_queries
):
    if size == "large":
        paper = make_paper(questions=60, answers=3)
        topic = Topic.objects.get(name="few-shot")
        for question in paper.questions.all():
            question.tags.add(topic)
    url = Topic.objects.get(name="few-shot").get_absolute_url()
    # generation, topic, count for the paginator, the page of questions with counts, papers and authors
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


def test_hidden_questions_leave_their_topic_page(client, seeded):
    question = seed_question("Q4", "소연")
    writes.remove(question, expected_version=question.version, user=None)
    html = client.get(Topic.objects.get(name="bias").get_absolute_url()).content.decode()
    assert question.get_absolute_url() not in html
