"""What a newcomer met on their first visit, mended: names that say what they lead to, Korean where
the interface is Korean, a visitor's "mine", an icon."""

from django.urls import reverse

from discussions.models import Answer, Topic


def test_the_header_link_names_what_the_page_lists(client, seeded):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for answers" in html and "Open questions" not in html
    page = client.get(reverse("discussions:open"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Waiting for answers</h1>" in page


def test_a_visitor_asking_for_their_own_open_answers_is_asked_to_log_in(client, seeded):
    response = client.get(reverse("discussions:open") + "?mine=1")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "mine%3D1" in response["Location"]


def test_a_participant_page_says_under_which_question_each_open_answer_waits(client, seeded):
    slots = list(Answer.objects.open().select_related("question__author"))
    html = client.get(slots[0].author.get_absolute_url()).content.decode()
    for slot in slots:
        assert f"{slot.question.signature} → {slot.label}" in html
    assert html.count("Q9 (선민) → A9") == 1 and html.count("Q9 (지은) → A9") == 1


def test_topic_descriptions_follow_the_interface_language(client, seeded):
    korean = client.get(reverse("discussions:topics")).content.decode()
    english = client.get(reverse("discussions:topics"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "편향, 공정성, 대표성" in korean and "Bias, fairness and representation" not in korean
    assert "Bias, fairness and representation" in english
    # A description staff rewrote is shown as they wrote it, in both.
    Topic.objects.filter(name="bias").update(description="우리 그룹의 설명")
    assert "우리 그룹의 설명" in client.get(reverse("discussions:topic", args=["bias"])).content.decode()


def test_the_admin_names_every_model_in_korean(seeded, staff_client):
    html = staff_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    for name in ("논문", "질문", "답변", "참여자", "주제"):
        assert name in html, name
    for english in (">Papers<", ">Questions<", ">Answers<", ">Participants<", ">Topics<"):
        assert english not in html, english


def test_the_site_has_an_icon(client, seeded):
    html = client.get("/").content.decode()
    assert 'rel="icon"' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
