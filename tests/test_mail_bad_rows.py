"""One bad row never stops the rest (issue 24, item 5): a title is one line without control
characters at every way in; a mail that cannot be made, or that the server refuses for good, is
marked failed with its reason while every other mail goes out (through a real SMTP server); an
export writes every other paper and names the one it could not write.

Rows stored before the rule are made here as legacy data would be: written straight into the
database, past every form."""

import datetime
import io
import zipfile
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from discussions import archive, reader, rules, writes
from discussions.importer import import_discussion
from discussions.models import OutboxMail, Paper, Participant, Preference, Question
from tests.conftest import SEED
from tests.test_admin import paper_form

TITLES_WITH_CONTROLS = [
    "Attention\nIs All You Need",
    "Attention\r\nBcc: victim@example.com",
    "Attention\tIs All You Need",
    "Attention\u2028Is All You Need",
    "Attention \u202eenO llA\u202c",  # a bidi override: the title would read backwards
    "Atten\u00adtion",  # a soft hyphen, pasted from a PDF
]


def send():
    """(exit status, stdout, stderr) of one `send_notifications`, as cron would see them."""
    out, err = StringIO(), StringIO()
    try:
        call_command("send_notifications", stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"CommandError: {error}\n")
        return error.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def member_with_mail(username, name, email):
    user = get_user_model().objects.create_user(username, email=email, password="pw")
    Participant.objects.filter(name=name).update(user=user)
    Preference.objects.create(user=user, email=Preference.Email.IMMEDIATELY)
    return user


# (a) One title rule, at every way a title comes in


@pytest.mark.parametrize("title", TITLES_WITH_CONTROLS)
def test_the_title_rule_finds_every_control_and_the_cleaner_makes_one_line(title):
    assert rules.title_control(title)
    cleaned = rules.clean_title(title)
    assert not rules.title_control(cleaned) and "\n" not in cleaned and cleaned.strip() == cleaned


def test_joiners_and_ordinary_titles_keep_to_the_rule():
    for title in ("Language Models are Few-Shot Learners", "언어 모델 👩\u200d💻", "GPT-3: 175B"):
        assert rules.title_control(title) == "" and rules.clean_title(title) == title


@pytest.mark.parametrize("title", TITLES_WITH_CONTROLS)
def test_a_member_cannot_propose_or_rename_a_session_with_a_control_in_its_title(title, as_persona, session):
    client = as_persona("bob")
    response = client.post(reverse("discussions:propose"), {"title": title})
    assert response.status_code == 200 and "U+" in response.content.decode()
    assert not Paper.objects.exclude(pk=session.pk).filter(title__startswith="Atten").exists()
    data = {"title": title, "url": "", "session_date": "", "presenter": session.presenter_id, "version": 1}
    response = client.post(reverse("discussions:edit_session", args=[session.slug]), data)
    assert response.status_code == 200 and "U+" in response.content.decode()
    session.refresh_from_db()
    assert session.title == "Attention Is All You Need"


def test_the_admin_refuses_a_control_in_a_papers_title(seeded, staff_client):
    url = reverse("admin:discussions_paper_change", args=[seeded.pk])
    response = staff_client.post(url, paper_form(seeded, title="GPT-3\tagain"))
    assert response.status_code == 200 and "U+0009" in response.content.decode()
    seeded.refresh_from_db()
    assert seeded.title == "Language Models are Few-Shot Learners"


def test_a_files_title_is_read_on_one_line_with_a_warning():
    text = SEED.read_text(encoding="utf-8").replace(
        "논문 URL :", "- 제목 : Language\tModels \u202eare\u202c Few-Shot\u00adLearners\n논문 URL :", 1
    )
    discussion = reader.read(text, filename="gpt3.md")
    assert discussion.title == "Language Models are Few-ShotLearners"
    assert any("title" in warning.message for warning in discussion.warnings)
    named = reader.read(SEED.read_text(encoding="utf-8"), filename="3. Language\tModels.md")
    assert not rules.title_control(named.title)


def test_the_import_command_refuses_a_control_in_its_title_option(db, tmp_path):
    with pytest.raises(CommandError, match="U\\+0009"):
        call_command("import_discussion", str(SEED), "--title", "GPT\t3", stdout=StringIO())
    assert not Paper.objects.exists()


# (b) A mail that cannot be made is marked failed, and every other mail still goes


@pytest.fixture
def three_members(seeded):
    """소연, 선민 and 지은 want every mail at once; each gets one about the session."""
    return [
        member_with_mail("soyeon", "소연", "soyeon@example.com"),
        member_with_mail("sunmin", "선민", "sunmin@example.com"),
        member_with_mail("jieun", "지은", "jieun@example.com"),
    ]


def session_changed(paper):
    writes.update_session(paper, expected_version=paper.version, user=None, session_date=timezone.localdate())


def test_a_title_with_a_line_break_stored_before_the_rule_is_mailed_on_one_line(three_members, smtp):
    paper = Paper.objects.get()
    Paper.objects.filter(pk=paper.pk).update(title="Language Models\nBcc: victim@example.com")
    paper.refresh_from_db()
    session_changed(paper)
    status, out, _err = send()
    assert status == 0 and "3 mails sent" in out
    assert all(
        str(subject) == "[스터디] 참여하는 세션이 바뀌었습니다: Language Models Bcc: victim@example.com"
        for subject in smtp.subjects()
    )
    assert all(message["Bcc"] is None for message in smtp.messages)


def test_a_mail_that_cannot_be_made_is_marked_failed_and_the_others_go_out(three_members, smtp):
    soyeon, sunmin, jieun = three_members
    # An address saved before any check, with a line break: Django refuses to make the To header.
    get_user_model().objects.filter(pk=soyeon.pk).update(email="soyeon@example.com\nBcc: x@example.com")
    session_changed(Paper.objects.get())
    first = OutboxMail.objects.get(recipient=soyeon)
    OutboxMail.objects.filter(pk=first.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    assert OutboxMail.objects.order_by("due_at", "pk").first() == first  # first in the queue
    status, out, err = send()
    assert status == 1 and "2 mails sent, 0 to retry, 1 failed" in out
    assert f"mail {first.pk} to soyeon: cannot be made" in err
    assert sorted(str(m["To"]) for m in smtp.messages) == ["jieun@example.com", "sunmin@example.com"]
    first.refresh_from_db()
    assert first.sent_at is not None and first.last_error.startswith("cannot be made: ")
    # The queue moved: the failed mail is never tried again, and new mail goes out.
    jieun_signs = Participant.objects.get(name="지은")
    writes.answer(Question.objects.get(label="Q8"), author=jieun_signs, body="답", user=jieun)
    status, out, _err = send()
    assert status == 0 and "1 mails sent, 0 to retry, 0 failed" in out
    assert [str(m["To"]) for m in smtp.messages][-1] == "sunmin@example.com"
    assert not OutboxMail.objects.filter(sent_at__isnull=True).exists()


def test_a_recipient_the_server_refuses_for_good_fails_alone(three_members, smtp):
    smtp.unknown.add("soyeon@example.com")
    session_changed(Paper.objects.get())
    status, out, err = send()
    assert status == 1 and "2 mails sent, 0 to retry, 1 failed" in out and "550" in err
    mail = OutboxMail.objects.get(recipient=three_members[0])
    assert mail.sent_at is not None and "550" in mail.last_error
    assert len(smtp.messages) == 2


def test_a_server_refusing_for_now_still_retries_later_and_is_no_failure(three_members, smtp):
    smtp.refuse = True
    session_changed(Paper.objects.get())
    status, out, _err = send()
    assert status == 0 and "0 mails sent, 1 to retry, 0 failed" in out
    assert OutboxMail.objects.filter(sent_at__isnull=True).count() == 3


# (c) An export writes every other paper and names the one it could not


@pytest.fixture
def legacy_title(seeded, make_paper):
    """Three papers; the seeded one with a title stored with a line break, before the rule."""
    others = [make_paper(questions=1, answers=1, title=f"Other paper {i}") for i in (1, 2)]
    Paper.objects.filter(pk=seeded.pk).update(title="Language Models\nare Few-Shot Learners")
    return seeded, others


def test_the_archive_zip_holds_every_other_paper_and_names_the_one_left_out(legacy_title):
    bad, others = legacy_title
    problems = []
    data = archive.papers_zip(Paper.objects.order_by("slug"), problems)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = sorted(zipped.namelist())
        left_out = zipped.read(archive.NOT_EXPORTED_FILE).decode()
    assert names == sorted([archive.NOT_EXPORTED_FILE, *(f"{p.slug}.md" for p in others)])
    assert left_out.startswith(f"{bad.slug}: ") and "one line" in left_out
    assert problems == [left_out.strip()]


def test_the_admins_export_downloads_the_others_and_says_which_was_left_out(legacy_title, staff_client):
    bad, others = legacy_title
    response = staff_client.get(reverse("admin:discussions_paper_export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as zipped:
        assert len(zipped.namelist()) == 3
    page = staff_client.get(reverse("admin:discussions_paper_changelist")).content.decode()
    assert f"Left out of the zip: {bad.slug}:" in page


def test_export_all_writes_every_other_paper_names_the_failed_one_and_exits_1(legacy_title, tmp_path):
    bad, others = legacy_title
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 3 papers not written") as refused:
        call_command("export_discussion", "--all", "-o", str(tmp_path), stdout=out, stderr=err)
    assert refused.value.returncode == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{p.slug}.md" for p in others)
    assert f"not written: {bad.slug}: " in err.getvalue()
    for paper in others:  # each written whole: it reads back
        assert reader.read((tmp_path / f"{paper.slug}.md").read_bytes()).questions
    import_discussion(reader.read((tmp_path / f"{others[0].slug}.md").read_bytes()), filename="x.md")
