from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import reader, rendering
from discussions.importer import import_discussion, import_discussions, read_file
from discussions.models import Answer, Paper, Participant, Question, Reference, TaggedQuestion, Topic
from discussions.writes import imports
from tests.conftest import SEED, generated_discussion


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_seed_gives_the_gpt3_session_exactly(seeded):
    paper = seeded
    assert paper.title == "Language Models are Few-Shot Learners"
    assert paper.url == "https://arxiv.org/abs/2005.14165"
    assert paper.arxiv_id == "2005.14165"
    questions = list(paper.questions.all())
    assert [q.label for q in questions] == ["Q1", "Q2", "Q3", "Q4", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q9"]
    answers = Answer.objects.filter(question__paper=paper)
    assert answers.count() == 17
    assert sorted((a.question.label, a.question.author.name, a.author.name) for a in answers.open()) == [
        ("Q9", "선민", "쯔위"),
        ("Q9", "지은", "쯔위"),
    ]
    assert set(Participant.objects.values_list("name", flat=True)) == {
        "정훈",
        "소연",
        "지성",
        "지은",
        "선민",
        "민상",
        "쯔위",
    }
    assert paper.participants.count() == 7
    assert paper.references.listed().count() == 5
    assert set(paper.references.cited().values_list("url", flat=True)) == {
        "https://arxiv.org/abs/1911.03064",
        "https://github.com/tunib-ai/parallelformers?fbclid=IwAR1R4Hilz3-k4V2Uj_V35FN3LzL_K4yKxwbYHNkvcwA4suyLeXx9dOj7WoQ",
        "https://arxiv.org/abs/2008.03945",
    }
    first_q4, second_q4 = (q for q in questions if q.label == "Q4")
    assert [a.author.name for a in first_q4.answers.all()] == ["선민"]
    assert [a.author.name for a in second_q4.answers.all()] == ["정훈", "소연", "지성"]
    assert paper.description.startswith("GPT3 논문입니다.")


def test_reference_kinds_are_inferred_from_their_urls(seeded):
    kinds = list(seeded.references.listed().values_list("kind", flat=True))
    assert kinds == ["paper", "paper", "blog", "video", "video"]
    assert seeded.references.listed().first().label == "GPT1"


def test_seeding_twice_duplicates_nothing_and_keeps_urls(seeded):
    before = (
        list(Question.objects.values_list("pk", "label")),
        list(Answer.objects.values_list("pk", "label")),
    )
    run("seed")
    after = list(Question.objects.values_list("pk", "label")), list(Answer.objects.values_list("pk", "label"))
    assert after == before
    assert Paper.objects.count() == 1
    assert Participant.objects.count() == 7
    assert Reference.objects.count() == 8


def test_it_keeps_a_filled_answer_on_reimport(seeded):
    slot = Answer.objects.open().first()
    slot.body = "프롬프트는 mixture와 다르게 …"
    slot.written_in_app = True
    slot.save()
    out, _ = run("import_discussion", str(SEED))
    slot.refresh_from_db()
    assert slot.body == "프롬프트는 mixture와 다르게 …"
    assert Answer.objects.open().count() == 1
    assert "1 kept as written in the app" in out


def test_it_keeps_an_edited_answer_even_when_the_file_changed_it(db, tmp_path):
    path = tmp_path / "s.md"
    path.write_text("## 토론\nQ1 (정훈). 질문\nA1 (소연). 원래 답\n", encoding="utf-8")
    run("import_discussion", str(path), "--title", "P")
    answer = Answer.objects.get()
    answer.body, answer.written_in_app = "앱에서 고친 답", True
    answer.save()
    path.write_text("## 토론\nQ1 (정훈). 질문\nA1 (소연). 파일에서 고친 답\n", encoding="utf-8")
    out, _ = run("import_discussion", str(path), "--title", "P")
    answer.refresh_from_db()
    assert answer.body == "앱에서 고친 답"
    assert f"{path}:3: A1 (소연) was written in the app" in out


def test_questions_and_answers_made_in_the_app_survive_a_reimport_in_place(seeded):
    q1 = seeded.questions.get(label="Q1")
    asked = Question.objects.create(paper=seeded, label="Q10", body="앱에서 한 질문", position=12)
    answered = Answer.objects.create(question=q1, label="A1", body="앱에서 단 답", position=3)
    reply = Answer.objects.create(question=q1, parent=answered, label="A1", body="답글", position=4)
    run("seed")
    assert Question.objects.filter(pk=asked.pk).exists()
    assert list(q1.answers.filter(parent=None).values_list("body", flat=True))[-1] == "앱에서 단 답"
    assert Answer.objects.get(pk=reply.pk).parent_id == answered.pk
    assert list(seeded.questions.values_list("label", flat=True))[-1] == "Q10"


def test_a_question_removed_from_the_file_goes_unless_members_wrote_under_it(db, tmp_path):
    path = tmp_path / "p.md"
    path.write_text("Q1 (a). one\nA1 (b). x\nQ2 (a). two\nQ3 (a). three\n", encoding="utf-8")
    run("import_discussion", str(path), "--title", "P")
    q3 = Question.objects.get(label="Q3")
    Answer.objects.create(question=q3, label="A3", body="앱 답", position=1)
    path.write_text("Q1 (a). one\nA1 (b). x\n", encoding="utf-8")
    run("import_discussion", str(path), "--title", "P")
    assert list(Question.objects.values_list("label", flat=True)) == ["Q1", "Q3"]


def test_a_refused_file_names_its_line_and_nothing_is_written(db, tmp_path):
    good = tmp_path / "good.md"
    good.write_text("Q1 (정훈). 질문\n", encoding="utf-8")
    bad = tmp_path / "gpt3.md"
    bad.write_text("## 토론\n\n---\n\nA1 (소연). 답\nQ1 (정훈). 질문\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_discussion", str(good), str(bad), stdout=StringIO(), stderr=err)
    assert f"{bad}:5: answer A1 (소연) comes before any question" in err.getvalue()
    assert Paper.objects.count() == 0


def test_skip_bad_imports_the_good_files_succeeds_and_prints_the_refusals(db, tmp_path):
    good = tmp_path / "good.md"
    good.write_text("Q1 (정훈). 질문\n", encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"Q1 (a). \xff\n")
    err = StringIO()
    # No CommandError: skipping the bad file is what --skip-bad asks for, so the command exits 0.
    call_command("import_discussion", str(good), str(bad), "--skip-bad", stdout=StringIO(), stderr=err)
    assert Paper.objects.get().title == "good"
    assert err.getvalue().startswith(f"{bad}:")
    assert "1 file(s) refused and skipped" in err.getvalue()


def test_dry_run_reports_and_writes_nothing(db):
    out, _ = run("import_discussion", str(SEED), "--dry-run")
    assert f"(dry run) {SEED}: created" in out
    assert "11 questions, 15 answers, 2 open answers" in out
    assert Paper.objects.count() == 0 and Participant.objects.count() == 0


def test_the_import_prints_each_warning_with_file_and_line(db, tmp_path):
    path = tmp_path / "w.md"
    path.write_text("Q1 (a). q\nA2 (b). answers Q1 all the same\n", encoding="utf-8")
    out, _ = run("import_discussion", str(path))
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}: created")
    assert any(line.startswith(f"{path}:2: ") for line in lines[1:])


def test_the_same_arxiv_paper_as_pdf_or_new_version_is_the_same_row(db):
    def reading(url):
        return reader.read(f"논문 URL : {url}\n## 토론\nQ1 (a). q\n", filename="x.md")

    import_discussion(reading("https://arxiv.org/abs/2005.14165"), filename="a.md", title="GPT-3")
    import_discussion(reading("https://arxiv.org/pdf/2005.14165.pdf"), filename="b.md")
    import_discussion(reading("http://arxiv.org/abs/2005.14165v4"), filename="c.md")
    assert Paper.objects.count() == 1
    assert Paper.objects.get().title == "GPT-3"


def test_the_same_title_with_another_url_is_another_paper(db):
    def reading(url, question):
        text = f"## 논문\n- 제목 : Scaling Laws\n- 원본 : {url}\n## 토론\nQ1 (a). {question}\n"
        return reader.read(text, "x.md")

    first = import_discussion(reading("https://arxiv.org/abs/2001.08361", "first"), filename="a.md").paper
    second = import_discussion(reading("https://arxiv.org/abs/2203.15556", "second"), filename="b.md").paper
    assert first != second
    assert [q.body for q in first.questions.all()] == ["first"]
    assert [q.body for q in second.questions.all()] == ["second"]


def test_a_title_finds_the_paper_when_either_side_has_no_url(db):
    with_url = (
        "## 논문\n- 제목 : Scaling Laws\n- 원본 : https://arxiv.org/abs/2001.08361\n## 토론\nQ1 (a). q\n"
    )
    without_url = "## 논문\n- 제목 : Scaling Laws\n## 토론\nQ1 (a). q\nQ2 (b). more\n"
    import_discussion(reader.read(without_url, "a.md"), filename="a.md")
    import_discussion(reader.read(with_url, "a.md"), filename="a.md")
    import_discussion(reader.read(without_url, "a.md"), filename="a.md")
    paper = Paper.objects.get()
    assert paper.url == "https://arxiv.org/abs/2001.08361"
    assert paper.questions.count() == 2


def test_a_title_from_the_file_name_never_replaces_a_title_the_paper_has(db):
    text = "논문 URL : https://example.org/paper\n## 토론\nQ1 (a). q\n"
    import_discussion(reader.read(text, filename="x.md"), filename="x.md", title="Given by hand")
    import_discussion(reader.read(text, filename="8. Other name.md"), filename="8. Other name.md")
    assert Paper.objects.get().title == "Given by hand"


def test_a_header_title_updates_the_paper_unless_given_by_hand(db):
    def text(title):
        return f"## 논문\n- 제목 : {title}\n- 원본 : https://example.org/p\n## 토론\nQ1 (a). q\n"

    import_discussion(reader.read(text("Old"), filename="p.md"), filename="p.md")
    import_discussion(reader.read(text("New"), filename="p.md"), filename="p.md")
    assert Paper.objects.get().title == "New"
    import_discussion(reader.read(text("New"), filename="p.md"), filename="p.md", title="Mine")
    import_discussion(reader.read(text("Newer"), filename="p.md"), filename="p.md")
    assert Paper.objects.get().title == "Mine"


def test_a_listed_full_name_is_the_signer_it_ends_with(seeded, tmp_path):
    path = tmp_path / "later.md"
    path.write_text(
        "## 논문\n- 제목 : RoBERTa\n- 원본 : https://arxiv.org/abs/1907.11692\n"
        "## 참여자\n이정훈, 구선민, 남궁민상, 박새롬\n## 토론\nQ1 (새롬). 질문\nA1 (정훈). 답\n",
        encoding="utf-8",
    )
    run("import_discussion", str(path))
    assert Participant.objects.get(name="민상").full_name == "남궁민상"
    assert Participant.objects.get(name="정훈").full_name == "이정훈"
    assert Participant.objects.get(name="새롬").full_name == "박새롬"
    assert not Participant.objects.filter(name__in=["이정훈", "남궁민상", "박새롬"]).exists()
    roberta = Paper.objects.get(title="RoBERTa")
    assert set(roberta.participants.values_list("name", flat=True)) == {"정훈", "선민", "민상", "새롬"}


def test_decomposed_hangul_from_macos_is_the_same_participant(seeded, tmp_path):
    import unicodedata

    path = tmp_path / "nfd.md"
    path.write_text(unicodedata.normalize("NFD", "Q1 (정훈). 질문\nA1 (소연). 답\n"), encoding="utf-8")
    run("import_discussion", str(path), "--title", "NFD paper")
    assert Participant.objects.count() == 7


def test_raw_html_in_a_body_never_runs(db, tmp_path):
    path = tmp_path / "x.md"
    path.write_text('Q1 (a). <script>alert(1)</script><img src=x onerror="alert(1)">\n', encoding="utf-8")
    run("import_discussion", str(path))
    html = Question.objects.get().body_html
    assert "<script" not in html and "onerror" not in html


BODIES = [
    "",
    "**굵게** and $x^2$ inline, $$\\sum_i x_i$$ displayed",
    "```python\nprint('hi')\n```",
    '<script>alert(1)</script><img src=x onerror="alert(1)">',
    "see https://example.com/paper and $\\frac{1}{$ broken",
    "**굵게** and $x^2$ inline, $$\\sum_i x_i$$ displayed",  # the same body twice
]


def test_rendering_in_worker_processes_gives_the_same_html_as_rendering_here(monkeypatch):
    monkeypatch.setattr(rendering, "POOL_THRESHOLD", 0)
    texts = BODIES + [f"답 {i}: *{i}*" for i in range(200)]
    one_by_one = {text: rendering.render_markdown(text) for text in texts}
    assert rendering.render_all(texts, processes=2) == one_by_one


def archive_rows():
    """What an import wrote, by natural keys (ids differ from one import to the next)."""
    return (
        list(Paper.objects.order_by("slug").values_list("slug", "title", "description_html")),
        sorted(Participant.objects.values_list("name", "full_name", "papers__slug")),
        list(Reference.objects.order_by("paper__slug", "position").values_list("paper__slug", "url", "kind")),
        list(
            Question.objects.order_by("paper__slug", "position").values_list(
                "paper__slug", "import_key", "position", "author__name", "body", "body_html", "topic_names"
            )
        ),
        list(
            Answer.objects.order_by("question__paper__slug", "import_key").values_list(
                "question__paper__slug", "import_key", "position", "parent__import_key", "body", "body_html"
            )
        ),
        sorted(TaggedQuestion.objects.values_list("content_object__import_key", "tag__name")),
    )


def history_rows():
    return Question.history.count() + Answer.history.count()


def test_importing_with_worker_processes_writes_the_same_rows(db, monkeypatch):
    monkeypatch.setattr(rendering, "POOL_THRESHOLD", 0)
    discussion = generated_discussion(questions=20, title="Generated")
    discussion.questions[0].body = BODIES[1]
    discussion.questions[1].answers[0].body = BODIES[3]
    readings = [(str(SEED), read_file(SEED)), ("generated.md", discussion)]

    import_discussions(readings, workers=0)
    serial, serial_history = archive_rows(), history_rows()
    Paper.objects.all().delete()
    Participant.objects.all().delete()
    before = history_rows()

    def rendered_here(text):
        raise AssertionError("a new paper's bodies were to come rendered from the workers")

    monkeypatch.setattr(imports, "render_body", rendered_here)
    import_discussions(readings, workers=2)
    assert archive_rows() == serial
    assert history_rows() - before == serial_history


def test_a_new_paper_costs_the_same_queries_however_long_its_thread(db):
    import_discussion(generated_discussion(questions=1, title="Warm-up"), filename="w.md")  # makes the people

    def queries(questions):
        discussion = generated_discussion(questions=questions, title=f"{questions} questions")
        with CaptureQueriesContext(connection) as ctx:
            import_discussions([("g.md", discussion)])
        return len(ctx.captured_queries)

    # Small enough for one batch per bulk insert on SQLite, which cuts them at 999 parameters.
    assert queries(2) == queries(10)


def test_a_topic_made_by_one_file_is_the_same_topic_for_the_next(db):
    def reading(title, tag):
        text = f"## 논문\n- 제목 : {title}\n## 토론\nQ1 (a).\n<!-- tags: {tag} -->\n질문\n"
        return (f"{title}.md", reader.read(text, f"{title}.md"))

    import_discussions([reading("Old", "few-shot")])
    # One import: a re-imported paper (saved row by row) and a new one (in bulk) both name a new topic.
    import_discussions([reading("Old", "Brand New"), reading("New", "brand new")])
    topic = Topic.objects.get(name__iexact="brand new")
    assert sorted(q.paper.title for q in Question.objects.filter(tagged_items__tag=topic)) == ["New", "Old"]


def test_a_new_papers_people_are_those_listed_and_those_who_signed(db):
    text = "## 논문\n- 제목 : P\n## 참여자\n가, 나\n## 토론\nQ1 (나). 질문\nA1 (다). 답\n"
    paper = import_discussion(reader.read(text, "p.md"), filename="p.md").paper
    assert set(paper.participants.values_list("name", flat=True)) == {"가", "나", "다"}


def test_a_decomposed_presenter_name_is_the_signer_not_a_second_participant(db):
    """The reader composes what it reads; a reading made otherwise (a repository's README, a
    test) still finds the signer: the importer composes names itself."""
    import unicodedata

    discussion = reader.read("## 토론\nQ1 (정훈). 질문\n", "nfd.md")
    discussion.presenter = unicodedata.normalize("NFD", "정훈")
    paper = import_discussion(discussion, filename="nfd.md").paper
    assert list(Participant.objects.values_list("name", flat=True)) == ["정훈"]
    assert paper.presenter.name == "정훈"


def test_a_new_papers_file_may_tag_a_topic_no_one_has_made_yet(db):
    text = "## 토론\nQ1 (가).\n<!-- tags: 아무도 안 만든 주제 -->\n질문\n"
    paper = import_discussion(reader.read(text, "new.md"), filename="new.md").paper
    question = paper.questions.get()
    assert list(question.tags.names()) == ["아무도 안 만든 주제"]
    assert Topic.objects.filter(name="아무도 안 만든 주제").count() == 1


def test_a_new_papers_posts_are_numbered_from_one_in_the_files_order(make_paper):
    paper = make_paper(questions=2, answers=4)
    assert list(paper.questions.order_by("position").values_list("position", flat=True)) == [1, 2]
    for question in paper.questions.all():
        top = question.answers.filter(parent=None).order_by("position")
        assert list(top.values_list("position", flat=True)) == [1, 2, 3, 4]
        assert list(top.values_list("body", flat=True)) == [
            answer.body
            for answer in generated_discussion(questions=2, answers=4)
            .questions[question.position - 1]
            .answers
        ]
