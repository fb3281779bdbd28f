from django.urls import reverse

from discussions import search as search_module
from discussions import writes
from discussions.models import Answer, Paper, Question, Topic


def link(item):
    """The exact link, so #q1 is not found inside #q10."""
    return f'href="{item.get_absolute_url()}"'


def search(client, **params):
    return client.get(reverse("discussions:search"), params).content.decode()


def test_a_korean_stem_finds_the_words_it_is_part_of(client, seeded):
    html = search(client, q="효율")
    q8 = Question.objects.get(label="Q8")
    assert link(q8) in html
    assert "<mark>효율</mark>성" in html or "<mark>효율</mark>적으로" in html


def test_an_english_word_finds_it_glued_to_korean_particles(client, seeded):
    html = search(client, q="distillation")
    answer = Answer.objects.get(body__contains="distillation 하는")
    assert link(answer) in html
    assert "<mark>distillation</mark>" in html


def test_latin_letters_match_in_any_case(client, seeded):
    upper = search(client, q="GPT-3", kind="questions")
    lower = search(client, q="gpt-3", kind="questions")
    url = Question.objects.get(label="Q1").get_absolute_url()
    assert url in upper and url in lower


def test_every_word_must_match(client, seeded):
    html = search(client, q="bias fairness", kind="questions")
    assert Question.objects.get(label="Q4", author__name="소연").get_absolute_url() in html
    assert link(Question.objects.get(label="Q1")) not in html


def test_a_question_about_a_word_ranks_above_a_paper_that_mentions_it(client, make_paper):
    paper = Paper.objects.create(title="A paper", description="효율 is mentioned once here.")
    question = make_paper(questions=1, answers=0, title="Other").questions.get()
    question.body = "효율이 중요할까요? 효율성과 효율적인 학습"
    question.save()
    html = search(client, q="효율")
    assert html.index(question.get_absolute_url()) < html.index(paper.get_absolute_url())


def test_more_matches_rank_first_within_a_kind(client, make_paper):
    paper = make_paper(questions=2, answers=0)
    once, thrice = paper.questions.all()
    once.body, thrice.body = "bias", "bias bias bias"
    once.save()
    thrice.save()
    html = search(client, q="bias", kind="questions")
    assert html.index(thrice.get_absolute_url()) < html.index(once.get_absolute_url())


def test_results_are_grouped_by_kind(client, seeded):
    html = search(client, q="GPT")
    for group in ("group-questions", "group-answers", "group-papers", "group-references"):
        assert f'id="{group}"' in html
    assert html.index("group-questions") < html.index("group-answers") < html.index("group-papers")


def test_references_are_found_by_label_and_url(client, seeded):
    html = search(client, q="GPT1")
    assert "openai-assets" in html
    html = search(client, q="youtube")
    assert html.count("youtube.com/watch") >= 2


def test_html_in_the_text_is_escaped_in_snippets(client, make_paper):
    question = make_paper(questions=1, answers=0).questions.get()
    question.body = "<script>alert('효율')</script>"
    question.save()
    html = search(client, q="효율")
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_filters_by_topic_paper_participant_and_open(client, seeded, make_paper):
    make_paper(questions=3, answers=2)
    seed = Question.objects.filter(paper=seeded)
    bias = Topic.objects.get(name="bias")
    html = search(client, q="모델", topic=bias.slug, kind="questions")
    assert link(seed.get(label="Q4", author__name="소연")) in html
    assert link(seed.get(label="Q2")) not in html

    html = search(client, q="질문", paper=seeded.slug, kind="questions")
    assert "질문 1. few-shot?" not in html

    html = search(client, q="GPT", participant="지성", kind="answers")
    for answer in Answer.objects.filter(body__icontains="GPT").exclude(author__name="지성"):
        assert link(answer) not in html

    html = search(client, q="overfit", open="1", kind="questions")
    assert link(seed.get(label="Q9", author__name="지은")) in html
    html = search(client, q="GPT", open="1", kind="questions")
    assert link(seed.get(label="Q1")) not in html


def test_past_the_ranked_limit_the_newest_matches_are_ranked(client, make_paper, monkeypatch):
    monkeypatch.setattr(search_module, "RANKED_AT_MOST", 3)
    oldest, *newest = make_paper(questions=5, answers=0).questions.order_by("pk")
    bodies = ["bias " * 9, "bias", "bias bias", "bias", "bias bias bias"]
    for question, body in zip([oldest, *newest], bodies, strict=True):
        question.body = body
        question.save()
    html = search(client, q="bias", kind="questions")
    assert "(3+)" in html and "단어나 필터를 더해 좁혀 보세요" in html
    assert link(oldest) not in html and link(newest[0]) not in html
    shown = [html.index(link(question)) for question in (newest[3], newest[1], newest[2])]
    assert shown == sorted(shown)  # best first, then newest first among equals


def test_results_are_paginated(client, make_paper):
    make_paper(questions=45, answers=0)
    first = search(client, q="few-shot", kind="questions")
    third = search(client, q="few-shot", kind="questions", page=3)
    assert 'rel="next"' in first
    assert "3쪽 중 3쪽" in third
    assert third.count("<li>") == search(client, q="few-shot", kind="questions", page=99).count("<li>") == 5
    assert "1쪽 중 1쪽" not in search(client, q="few-shot", kind="questions", page="x")
    assert "3쪽 중 1쪽" in search(client, q="few-shot", kind="questions", page="x")


def test_an_empty_query_shows_the_form_only(client, seeded):
    html = search(client, q="")
    assert 'id="group-questions"' not in html


def test_the_search_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, django_assert_max_num_queries
):
    make_paper(questions=40, answers=3)
    # generation; per kind: its newest matches ranked, and its page's rows when it has any (8), on
    # PostgreSQL a second look for questions and answers older than the newest rows (2); the filter
    # lists, read each time for their digest (3)
    with django_assert_max_num_queries(14):
        search(client, q="효율")


def test_the_filter_lists_show_a_session_renamed_and_a_topic_made_by_a_member(client, seeded):
    # The lists are kept rendered between writes: a write within one paper's thread changes what
    # they show here, and the next page shows it.
    paper = Paper.objects.get()
    assert f'<option value="{paper.slug}">{paper.title[:59]}' in search(client, q="효율")
    paper = writes.update_session(paper, expected_version=paper.version, user=None, title="새 제목의 회차")
    question = paper.questions.shown().first()
    writes.set_topics(question, ["처음 보는 주제"], user=None, by_hand=True)
    html = search(client, q="효율")
    assert f'<option value="{paper.slug}">새 제목의 회차</option>' in html
    topic = Topic.objects.get(name="처음 보는 주제")
    assert f'<option value="{topic.slug}">처음 보는 주제</option>' in html
    assert f'<option value="{topic.slug}" selected>' in search(client, q="효율", topic=topic.slug)


def test_quotes_make_a_phrase_that_finds_its_words_side_by_side_only(client, seeded):
    q5 = Question.objects.get(label="Q5", body__contains="common sense")
    apart = writes.ask(seeded, author=None, body="sense of the common good", user=None)[0]
    for query in ['"common sense"', "“common sense”", '"common   sense']:
        html = search(client, q=query)
        assert link(q5) in html, query
        assert link(apart) not in html, query
    assert link(apart) in search(client, q="common sense")  # without quotes, both words anywhere
    assert "<mark>common sense</mark>" in search(client, q='"common sense"')
