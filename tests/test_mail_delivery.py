"""What reaches members by mail, as a group's first week tried it (issue 24), through a real SMTP
server (aiosmtpd, the `smtp` fixture): the default digest for a member who never opened Settings,
nothing about a removed post, a Subject and Message-ID as mail clients read them, and reminders
that say who asked and come with the first run that finds them due."""

import datetime
import email
import email.policy
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from discussions import notify, writes
from discussions.mailing import headline
from discussions.models import Notification, OutboxMail, Paper, Participant, Preference, Question


def send():
    out = StringIO()
    call_command("send_notifications", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def jiseong(personas, django_user_model):
    """지성, a member with an address who never opened Settings: no Preference row."""
    user = django_user_model.objects.create_user("jiseong", email="jiseong@example.com", password="pw")
    Participant.objects.filter(name="지성").update(user=user)
    return user


@pytest.fixture
def soyeon(personas, django_user_model):
    user = django_user_model.objects.create_user("soyeon", email="soyeon@example.com", password="pw")
    Participant.objects.filter(name="소연").update(user=user)
    return user


def member(name):
    return Participant.objects.get(name=name)


def headers_of(raw: bytes) -> list[bytes]:
    return raw.replace(b"\r\n", b"\n").split(b"\n\n")[0].split(b"\n")


# A member who never opened Settings gets the default: a daily digest


def test_a_member_who_never_opened_settings_gets_the_daily_digest(jiseong, personas, smtp):
    assert not Preference.objects.filter(user=jiseong).exists()
    question = Question.objects.get(label="Q3")
    writes.answer(question, author=member("선민"), body="@지성 님 생각은 어떠세요?", user=personas["bob"])
    writes.claim(Question.objects.get(label="Q2"), member=member("지성"), user=personas["carol"])
    assert "1 digests, 1 mails sent" in send()
    (digest,) = smtp.messages
    assert str(digest["To"]).strip() == "jiseong@example.com"
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "선민 님이 Q3에서 나를 언급했습니다" in text and "정훈 님이 Q2에 답해 달라고 요청했습니다" in text
    # The default, now written down: the next digest waits for tomorrow.
    assert Preference.objects.get(user=jiseong).email == Preference.Email.DAILY
    writes.answer(question, author=member("선민"), body="@지성 하나 더", user=personas["bob"])
    send()
    assert len(smtp.messages) == 1
    day_ago = timezone.now() - datetime.timedelta(hours=25)
    Preference.objects.filter(user=jiseong).update(digest_sent_at=day_ago)
    send()
    assert len(smtp.messages) == 2 and "하나 더" in smtp.texts()[1]


def test_a_member_without_an_address_or_news_gets_no_settings_row_and_no_mail(personas, smtp):
    writes.answer(Question.objects.get(label="Q8"), author=member("정훈"), body="답", user=personas["carol"])
    assert Notification.objects.filter(recipient=personas["bob"]).exists()  # 선민 has no address
    send()
    assert smtp.messages == [] and not Preference.objects.exists()
    assert not OutboxMail.objects.exists()


# What a mail says is decided when it is sent: nothing about a removed post


def answer_then_remove(question, body, user):
    answer = writes.answer(question, author=member("선민"), body=body, user=user)[0]
    writes.remove(answer, expected_version=answer.version, user=user)
    return answer


def test_a_removed_answer_is_neither_mailed_nor_listed_in_the_app(soyeon, personas, smtp, client):
    question = Question.objects.get(label="Q3")
    answer_then_remove(question, "지운 답의 문장", personas["bob"])
    writes.answer(question, author=member("선민"), body="남은 답의 문장", user=personas["bob"])
    send()
    (digest,) = smtp.messages
    text = smtp.texts()[0]
    assert "남은 답의 문장" in text and "지운 답의 문장" not in text
    assert "1" in str(digest["Subject"])  # one piece of news, not two
    client.force_login(soyeon)
    page = client.get(reverse("discussions:notifications")).content.decode()
    assert page.count("선민 님이 내 질문 Q3에 답했습니다") == 1
    assert 'class="count">1<' in client.get("/topics/").content.decode()


def test_an_immediate_mail_of_an_answer_removed_before_the_run_is_not_sent(soyeon, personas, smtp, client):
    Preference.objects.create(user=soyeon, email=Preference.Email.IMMEDIATELY)
    answer_then_remove(Question.objects.get(label="Q3"), "곧 지울 답", personas["bob"])
    queued = OutboxMail.objects.get()  # queued with the answer, in its transaction
    assert send().startswith("0 reminders, 0 digests, 0 mails sent")
    assert smtp.messages == []
    queued.refresh_from_db()
    assert queued.sent_at is not None and "removed" in queued.last_error  # done with, and why
    client.force_login(soyeon)
    assert "Q3" not in client.get(reverse("discussions:notifications")).content.decode()
    assert 'class="count"' not in client.get("/topics/").content.decode()


def test_a_question_removed_by_staff_takes_its_mention_out_of_the_digest(jiseong, personas, smtp):
    Preference.objects.create(user=jiseong, email=Preference.Email.DAILY)
    question = Question.objects.get(label="Q8")
    writes.save_text(
        question, question.body + "\n\n@지성 님?", expected_version=question.version, user=personas["bob"]
    )
    question.refresh_from_db()
    writes.remove(question, expected_version=question.version, user=personas["carol"])
    send()
    assert smtp.messages == []


# The Subject and the Message-ID, as the SMTP server receives them


def test_a_long_korean_subject_starts_on_the_subject_line_and_reads_back_whole(soyeon, personas, smtp):
    Preference.objects.create(user=soyeon, email=Preference.Email.IMMEDIATELY)
    paper = Paper.objects.get()
    title = "언어 모델은 몇 개의 예시만으로 배우는 학습자다: 대규모 사전 학습과 맥락 내 학습의 가능성"
    writes.update_session(paper, expected_version=paper.version, user=personas["carol"], title=title)
    send()
    (raw,) = smtp.raw
    lines = headers_of(raw)
    (start,) = [i for i, line in enumerate(lines) if line.lower().startswith(b"subject:")]
    assert lines[start].split(b":", 1)[1].strip(), lines[start : start + 3]  # no empty first line
    folded = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith((b" ", b"\t")):
            break
        folded.append(line)
    assert len(folded) > 1 and all(len(line) <= 78 for line in folded)  # folded, each line short
    subject = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    assert subject == f"[스터디] 참여하는 세션이 바뀌었습니다: {title}"


def message_id(raw):
    (line,) = [line for line in headers_of(raw) if line.lower().startswith(b"message-id:")]
    return line.split(b":", 1)[1].strip().decode()


@pytest.mark.parametrize(
    ("site", "domain"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("https://study.example.org:8443/", "study.example.org"),
        ("http://[::1]:8000", "[::1]"),
    ],
)
def test_the_message_id_names_the_sites_host_without_its_port(soyeon, personas, smtp, settings, site, domain):
    settings.SITE_URL = site
    Preference.objects.create(user=soyeon, email=Preference.Email.IMMEDIATELY)
    writes.answer(Question.objects.get(label="Q3"), author=member("선민"), body="답", user=personas["bob"])
    send()
    mail = OutboxMail.objects.get()
    assert message_id(smtp.raw[0]) == f"<outbox-{mail.pk}@{domain}>"
    # RFC 5322's msg-id: a dot-atom or a bracketed literal after the @, so no bare colon.
    assert re.fullmatch(r"<outbox-\d+@(?:[\w.-]+|\[[^\]]+\])>", message_id(smtp.raw[0]))


# Reminders say how the answer came to be owed, and come with the first run that finds them due


def test_a_reminder_says_who_asked_or_that_the_member_volunteered_and_comes_at_the_first_run(
    jiseong, personas, smtp
):
    Preference.objects.create(user=jiseong, email=Preference.Email.IMMEDIATELY)
    paper = Paper.objects.get()
    bob = personas["bob"]
    Paper.objects.filter(pk=paper.pk).update(presenter=member("선민"))
    writes.claim(Question.objects.get(label="Q1"), member=member("지성"), user=bob)  # the presenter asks
    writes.claim(Question.objects.get(label="Q6"), member=member("지성"), user=jiseong)  # 지성 volunteers
    send()  # the request is mailed now; no session date yet, so no reminder
    assert smtp.subjects() == ["[스터디] 선민 님이 Q1에 답해 달라고 요청했습니다"]
    Paper.objects.filter(pk=paper.pk).update(session_date=timezone.localdate() + datetime.timedelta(days=2))
    # 지성's two, mailed by this very run, and 쯔위's two (she has no address).
    assert send().startswith("4 reminders, 0 digests, 2 mails sent")
    assert sorted(smtp.subjects()[1:]) == [
        "[스터디] 선민 님이 세션 전에 Q1에 답해 달라고 했습니다",
        "[스터디] 세션 전에 Q6에 답하기로 했습니다",
    ]
    # 쯔위's open answers came from the file: nobody to name, and no claim of volunteering.
    (imported,) = Notification.objects.filter(kind="reminder", recipient=personas["alice"])[:1]
    assert imported.actor is None
    assert headline(imported) == f"세션 전에 {imported.question.label}에 쓸 내 답변이 남아 있습니다"


def test_a_reminder_for_a_member_on_the_daily_default_comes_in_the_first_runs_digest(jiseong, personas, smtp):
    paper = Paper.objects.get()
    Paper.objects.filter(pk=paper.pk).update(session_date=timezone.localdate() + datetime.timedelta(days=1))
    writes.claim(Question.objects.get(label="Q1"), member=member("지성"), user=personas["carol"])
    send()
    (digest,) = smtp.messages
    assert "정훈 님이 세션 전에 Q1에 답해 달라고 했습니다" in smtp.texts()[0]


def test_a_reminder_of_an_answer_written_before_the_run_is_not_mailed(jiseong, personas, smtp):
    Preference.objects.create(user=jiseong, email=Preference.Email.IMMEDIATELY)
    paper = Paper.objects.get()
    Paper.objects.filter(pk=paper.pk).update(session_date=timezone.localdate() + datetime.timedelta(days=1))
    slot = writes.claim(Question.objects.get(label="Q1"), member=member("지성"), user=jiseong)[0]
    notify.remind(today=timezone.localdate())  # queued, then written before the sender's run
    writes.fill(slot, "다 썼습니다", expected_version=slot.version, user=jiseong)
    send()
    assert smtp.messages == []


def test_an_account_mails_subject_starts_on_the_subject_line_too(seeded, smtp):
    call_command("invite", "쯔위", "--email", "tzuyu@example.com", stdout=StringIO())
    send()
    (raw,) = smtp.raw
    (line,) = [line for line in headers_of(raw) if line.lower().startswith(b"subject:")]
    assert line.split(b":", 1)[1].strip()  # an encoded word, not an empty first line
    subject = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    assert subject.startswith("[스터디] ")
