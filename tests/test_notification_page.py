"""The notifications page as a member reads it: when, in words a person would use, and each paper's
title once above its run of notifications rather than on every line."""

import datetime
import re

from django.urls import reverse

from discussions import writes
from discussions.models import Notification, Participant, Question


def page_text(client):
    html = client.get(reverse("discussions:notifications")).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_notification_of_a_moment_ago_says_just_now_and_an_older_one_how_long(personas, client):
    question = Question.objects.filter(author__name="선민").first()
    writes.answer(question, author=Participant.objects.get(name="쯔위"), body="지금 답", user=None)
    client.force_login(personas["bob"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    text = page_text(client)
    assert "방금" in text and "0분" not in text
    Notification.objects.update(
        created_at=Notification.objects.get().created_at - datetime.timedelta(hours=2)
    )
    text = page_text(client)
    assert "2시간 전" in text and "방금" not in text


def test_a_papers_title_stands_once_above_its_notifications(personas, client):
    question = Question.objects.filter(author__name="선민").first()
    for body in ("하나", "둘", "셋"):
        writes.answer(question, author=Participant.objects.get(name="쯔위"), body=body, user=None)
    client.force_login(personas["bob"])
    text = page_text(client)
    assert text.count("Language Models are Few-Shot Learners") == 1
    assert len(re.findall("쯔위", text)) == 3
