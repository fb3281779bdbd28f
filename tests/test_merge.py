from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from discussions import reader, writes
from discussions.importer import import_discussion
from discussions.models import Answer, Paper, Participant, Question
from discussions.writes.people import MergeError, merge_participants

ROBERTA = """\
## 논문

- 제목 : RoBERTa: A Robustly Optimized BERT Pretraining Approach

## 참여자

이정훈, 소연

## 토론

Q1 (이정훈). 사전학습을 더 오래 하면 얼마나 좋아질까요?

A1 (소연). 데이터가 늘수록 좋아졌습니다.

↳ A1 (이정훈). 그렇군요.

A1 (이정훈).

Q2 (소연). NSP를 뺀 이유는?

A2 (이정훈). 도움이 안 되었기 때문입니다.
"""


@pytest.fixture
def twin(seeded, django_user_model):
    """정훈 signed the GPT-3 file; in the RoBERTa file he signed 이정훈: one person, two participants.

    이정훈 has a question, a reply, an open answer, an answer removed from the thread, presents the
    paper and has the user.
    """
    paper = import_discussion(reader.read(ROBERTA, filename="roberta.md"), filename="roberta.md").paper
    twin = Participant.objects.get(name="이정훈")
    removed = Answer.objects.get(author=twin, label="A2")
    writes.remove(removed, expected_version=removed.version, user=None)
    paper.presenter = twin
    paper.save()
    twin.user = django_user_model.objects.create_user("jeonghun", password="pw-jeonghun")
    twin.save()
    return twin


def posts_of(participant):
    return sorted(
        [(q.paper.title, q.label, q.body) for q in Question.objects.filter(author=participant)]
        + [(a.question.paper.title, a.label, a.body) for a in Answer.objects.filter(author=participant)]
    )


def test_merging_moves_every_post_paper_and_the_user_then_deletes_the_source(twin):
    jeonghun = Participant.objects.get(name="정훈")
    expected = sorted(posts_of(jeonghun) + posts_of(twin))
    roberta = Paper.objects.get(title__startswith="RoBERTa")

    report = merge_participants(twin, jeonghun)

    assert posts_of(jeonghun) == expected
    assert Answer.objects.filter(author=jeonghun, body="", question__paper=roberta).count() == 1  # open
    assert Answer.objects.filter(author=jeonghun, hidden_at__isnull=False).count() == 1  # removed
    assert jeonghun in roberta.participants.all()
    roberta.refresh_from_db()
    assert roberta.presenter == jeonghun
    jeonghun.refresh_from_db()
    assert jeonghun.user.username == "jeonghun"
    assert jeonghun.full_name == "이정훈"
    assert not Participant.objects.filter(name="이정훈").exists()
    assert report.summary() == (
        "이정훈 → 정훈: 1 questions, 2 answers, 1 open answers, 1 papers attended, 1 presented, user jeonghun"
    )


def test_the_history_records_every_moved_post_with_the_reason(twin):
    jeonghun = Participant.objects.get(name="정훈")
    moved = [*Question.objects.filter(author=twin), *Answer.objects.filter(author=twin)]
    merge_participants(twin, jeonghun)
    reason = "merged 이정훈 into 정훈"
    for post in moved:
        latest = post.history.order_by("-history_id").first()
        assert (latest.author_id, latest.history_change_reason) == (jeonghun.pk, reason)
        before = post.history.order_by("-history_id")[1]
        assert before.author_id == twin.pk  # who wrote it before the merge stays on record
    deleted = Participant.history.filter(id=twin.pk).order_by("-history_id").first()
    assert (deleted.history_type, deleted.history_change_reason, deleted.name) == ("-", reason, "이정훈")


def test_a_merge_is_refused_when_both_have_a_user_and_nothing_changes(twin, django_user_model):
    jeonghun = Participant.objects.get(name="정훈")
    jeonghun.user = django_user_model.objects.create_user("jh2")
    jeonghun.save()
    before = (posts_of(jeonghun), posts_of(twin))
    with pytest.raises(MergeError, match="both have a user"):
        merge_participants(twin, jeonghun)
    assert Participant.objects.filter(pk=twin.pk).exists()
    assert (posts_of(jeonghun), posts_of(twin)) == before


def test_a_participant_cannot_be_merged_into_itself(twin):
    with pytest.raises(MergeError):
        merge_participants(twin, twin)


def test_the_target_keeps_its_own_full_name(twin):
    jeonghun = Participant.objects.get(name="정훈")
    jeonghun.full_name = "Lee Jeonghun"
    jeonghun.save()
    merge_participants(twin, jeonghun)
    jeonghun.refresh_from_db()
    assert jeonghun.full_name == "Lee Jeonghun"


def test_the_command_merges_by_signed_or_full_name(twin):
    out = StringIO()
    call_command("merge_participants", "이정훈", "정훈", stdout=out)
    assert out.getvalue().startswith("이정훈 → 정훈:")

    sunmin = Participant.objects.get(name="선민")
    sunmin.full_name = "구선민"
    sunmin.save()
    Participant.objects.create(name="Sunmin")
    call_command("merge_participants", "Sunmin", "구선민", stdout=StringIO())
    assert not Participant.objects.filter(name="Sunmin").exists()


def test_the_command_says_what_is_wrong(twin, django_user_model):
    with pytest.raises(CommandError, match="no participant called '없는사람'"):
        call_command("merge_participants", "없는사람", "정훈")
    Participant.objects.filter(name="정훈").update(user=django_user_model.objects.create_user("jh2"))
    with pytest.raises(CommandError, match="both have a user"):
        call_command("merge_participants", "이정훈", "정훈")


# The admin action


def test_the_merge_action_asks_whom_to_merge_into_then_merges(twin, staff_client):
    jeonghun = Participant.objects.get(name="정훈")
    changelist = reverse("admin:discussions_participant_changelist")
    choose = {"action": "merge_into", "index": 0, "_selected_action": [twin.pk]}

    page = staff_client.post(changelist, choose)
    html = page.content.decode()
    assert page.status_code == 200
    assert "이정훈" in html and 'name="target"' in html
    assert f'<option value="{twin.pk}"' not in html  # not into itself
    assert Participant.objects.filter(pk=twin.pk).exists()

    done = staff_client.post(changelist, {**choose, "target": jeonghun.pk, "merge": "Merge"}, follow=True)
    assert "이정훈 → 정훈:" in done.content.decode()
    assert not Participant.objects.filter(pk=twin.pk).exists()
    moved = Question.objects.get(author=jeonghun, label="Q1", paper__title__startswith="RoBERTa")
    assert moved.history.order_by("-history_id").first().history_user.username == "curator"


def test_the_merge_action_is_all_or_nothing(twin, staff_client, django_user_model):
    jeonghun = Participant.objects.get(name="정훈")
    jeonghun.user = django_user_model.objects.create_user("jh2")
    jeonghun.save()
    soyeon = Participant.objects.get(name="소연")  # no user: would merge, but 이정훈 cannot
    data = {
        "action": "merge_into",
        "_selected_action": [soyeon.pk, twin.pk],
        "target": jeonghun.pk,
        "merge": "Merge",
    }
    done = staff_client.post(reverse("admin:discussions_participant_changelist"), data, follow=True)
    assert "both have a user" in done.content.decode()
    assert Participant.objects.filter(pk__in=[soyeon.pk, twin.pk]).count() == 2
    assert Question.objects.filter(author=soyeon).exists()


def test_a_reimport_after_a_merge_finds_the_merged_participant_by_its_old_name(db, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from discussions.models import Participant, ParticipantAlias
    from discussions.writes.people import merge_participants

    first = tmp_path / "a.md"
    first.write_text("## 토론\nQ1 (Tzuyu). 질문\nA1 (소연). 답\n", encoding="utf-8")
    second = tmp_path / "b.md"
    second.write_text("## 토론\nQ1 (쯔위). 다른 질문\n", encoding="utf-8")
    call_command("import_discussion", str(first), "--title", "A", stdout=StringIO())
    call_command("import_discussion", str(second), "--title", "B", stdout=StringIO())
    merge_participants(Participant.objects.get(name="Tzuyu"), Participant.objects.get(name="쯔위"))
    assert ParticipantAlias.objects.get(name="Tzuyu").participant.name == "쯔위"

    call_command("import_discussion", str(first), "--title", "A", stdout=StringIO())
    assert not Participant.objects.filter(name="Tzuyu").exists()
    assert Participant.objects.get(name="쯔위").questions.count() == 2


def test_an_edit_form_opened_before_a_merge_gets_the_conflict_page_and_keeps_its_text(twin, client, staff):
    """The merge re-signs the post and moves its version on: the form's save would otherwise put
    the text its writer saw over a row that changed under it."""
    answer = Answer.objects.filter(author=twin).exclude(body="").filter(hidden_at__isnull=True).first()
    client.force_login(twin.user)
    url = reverse("discussions:edit_answer", args=[answer.pk])
    assert client.get(url).status_code == 200  # the form, at the version before the merge
    merge_participants(twin, Participant.objects.get(name="정훈"), user=staff)
    response = client.post(url, {"body": "합친 뒤에 저장한 글", "version": answer.version})
    assert response.status_code == 409
    assert "합친 뒤에 저장한 글" in response.content.decode()
    moved = Answer.objects.get(pk=answer.pk)
    assert (moved.body, moved.version, moved.author.name) == (answer.body, answer.version + 1, "정훈")


def test_the_history_of_a_merge_names_who_merged_not_the_account_that_moved(twin, staff):
    merge_participants(twin, Participant.objects.get(name="정훈"), user=staff)
    deleted = Participant.history.get(id=twin.pk, history_type="-")
    target = Participant.history.filter(name="정훈").order_by("-history_id").first()
    assert deleted.history_user == target.history_user == staff


def test_a_merge_writes_one_history_version_per_row_it_changes(twin, staff):
    jeonghun = Participant.objects.get(name="정훈")
    posts = [*Question.objects.filter(author=twin), *Answer.objects.filter(author=twin)]
    counts = {post.pk: post.history.count() for post in posts}
    merge_participants(twin, jeonghun, user=staff)
    for post in posts:
        assert post.history.count() == counts[post.pk] + 1


def test_a_participant_merged_twice_keeps_every_old_name_leading_to_the_last(db):
    from discussions.models import ParticipantAlias
    from discussions.writes import merge_participants as merge

    first, second, last = (Participant.objects.create(name=name) for name in ("정훈이", "이정훈", "정훈"))
    merge(first, second)
    merge(second, last)
    aliases = dict(ParticipantAlias.objects.values_list("name", "participant__name"))
    assert aliases == {"정훈이": "정훈"}  # the first name, moved on with the second merge
    assert Participant.objects.get(name="정훈").full_name == "이정훈"
