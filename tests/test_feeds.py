import xml.etree.ElementTree as ET

from django.urls import reverse

from discussions.models import Answer, Question, Topic

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text
    assert feed.find(f"{ATOM}id").text and feed.find(f"{ATOM}updated").text
    found = feed.findall(f"{ATOM}entry")
    for entry in found:
        for required in ("title", "id", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    return found


def links(found):
    return {entry.find(f"{ATOM}link").get("href").split("://", 1)[-1].split("/", 1)[-1] for entry in found}


def test_the_archive_feed_lists_new_questions_and_answers(client, seeded):
    found = entries(client, reverse("discussions:feed"))
    assert len(found) == 26  # 11 questions and 15 filled answers; open slots are not news
    titles = [entry.find(f"{ATOM}title").text for entry in found]
    assert any(title.startswith("Q4 (소연)") for title in titles)
    authors = {entry.find(f"{ATOM}author/{ATOM}name").text for entry in found}
    assert {"정훈", "소연", "선민"} <= authors


def test_a_new_answer_comes_first_in_the_feed(as_persona):
    client = as_persona("bob")
    question = Question.objects.get(label="Q5")
    client.post(reverse("discussions:answer", args=[question.pk]), {"body": "피드에 새로 올라온 답"})
    first = entries(client, reverse("discussions:feed"))[0]
    assert "피드에 새로 올라온 답" in first.find(f"{ATOM}summary").text
    assert first.find(f"{ATOM}link").get("href").endswith(Answer.objects.latest("pk").get_absolute_url())


def test_a_topic_feed_has_only_that_topics_questions_and_their_answers(client, seeded):
    topic = Topic.objects.get(name="bias")
    found = entries(client, reverse("discussions:topic_feed", args=[topic.slug]))
    question = Question.objects.get(label="Q4", author__name="소연")
    expected = {question.get_absolute_url().lstrip("/")} | {
        answer.get_absolute_url().lstrip("/") for answer in question.answers.filled()
    }
    assert links(found) == expected


def test_a_paper_feed_has_that_papers_posts(client, seeded, make_paper):
    other = make_paper(questions=2, answers=1, title="Another paper")
    found = entries(client, reverse("discussions:paper_feed", args=[other.slug]))
    assert all(link.startswith(other.get_absolute_url().lstrip("/")) for link in links(found))
    assert len(found) == 6  # 2 questions, each with an answer and a reply to it


def test_topic_pages_advertise_their_feed(client, seeded):
    topic = Topic.objects.get(name="bias")
    html = client.get(topic.get_absolute_url()).content.decode()
    assert reverse("discussions:topic_feed", args=[topic.slug]) in html


def test_text_stored_with_control_characters_does_not_break_the_feeds(client, seeded):
    # Rows from before the reader and the forms dropped them (Django refuses to write them: a 500).
    question = Question.objects.get(label="Q4", author__name="소연")
    Question.objects.filter(pk=question.pk).update(
        body_html="<p>앞\x0c뒤\x1b</p>", label="Q4\x0b", topic_names="bias"
    )
    question.paper.title = "GPT-3\x0c"
    question.paper.save()
    topic = Topic.objects.get(name="bias")
    for url in (
        reverse("discussions:feed"),
        reverse("discussions:topic_feed", args=[topic.slug]),
        reverse("discussions:paper_feed", args=[question.paper.slug]),
    ):
        found = entries(client, url)
        summaries = [entry.find(f"{ATOM}summary").text or "" for entry in found]
        assert any("<p>앞뒤</p>" in summary for summary in summaries), url


def test_every_entry_id_is_a_tag_uri(client, seeded):
    import re
    import xml.etree.ElementTree as ET

    feed = ET.fromstring(client.get("/feed/").content)
    ids = [
        entry.findtext("{http://www.w3.org/2005/Atom}id")
        for entry in feed.iter("{http://www.w3.org/2005/Atom}entry")
    ]
    assert ids and all(
        re.fullmatch(r"tag:[a-z0-9.-]+,\d{4}-\d{2}-\d{2}:(question|answer)/\d+", i) for i in ids
    ), ids
    assert len(set(ids)) == len(ids)
