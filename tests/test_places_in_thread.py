"""The places a post names become chips, and a paper's page can show everything said about one."""

from discussions import writes
from discussions.models import Participant


def test_the_seeds_places_are_read_when_imported_and_shown_as_chips(client, seeded):
    keys = {p["key"] for q in seeded.questions.all() for p in q.places}
    assert {"section:6.2", "figure:2.1", "page:4"} <= keys
    html = client.get(seeded.get_absolute_url()).content.decode()
    assert 'class="place-chip"' in html and "?place=figure%3A2.1" in html


def test_a_paper_page_filtered_to_one_place_says_how_much_was_said_about_it(client, seeded):
    question = next(q for q in seeded.questions.all() if any(p["key"] == "figure:2.1" for p in q.places))
    writes.answer(
        question,
        author=Participant.objects.get(name="선민"),
        body="Figure 2.1의 오른쪽 그래프 말씀이죠?",
        user=None,
    )
    html = client.get(
        seeded.get_absolute_url() + "?place=figure:2.1", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Figure 2.1: 1 question" in html and "1 answer" in html
    assert html.count('class="question"') == 1


def test_an_edit_reads_the_places_again(seeded):
    question = seeded.questions.get(label="Q2")
    writes.save_text(question, "Table 6 과 §4 를 보면", expected_version=question.version, user=None)
    question.refresh_from_db()
    assert [p["key"] for p in question.places] == ["table:6", "section:4"]
