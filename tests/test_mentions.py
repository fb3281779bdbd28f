import pytest

from discussions.mentions import mentioned

PEOPLE = {
    "쯔위": "tzuyu",
    "정훈": "jeonghun",
    "이정훈": "jeonghun-full",
    "소연": "soyeon",
    "김소연": "soyeon",
    "Min": "min",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@쯔위 이건 어떻게 보세요?", ["tzuyu"]),
        ("@쯔위님 답변 부탁드려요", ["tzuyu"]),
        ("@쯔위가 말한 것처럼", ["tzuyu"]),
        ("@정훈님께 여쭤봅니다", ["jeonghun"]),
        ("@이정훈 님", ["jeonghun-full"]),  # the longest name that fits
        ("@김소연, @소연 두 번", ["soyeon"]),  # one person, two names: once
        ("(@소연) 괄호 안에서도", ["soyeon"]),
        ("메일은 soyeon@example.org 로", []),  # an address is not a mention
        ("`@쯔위` 는 코드입니다", []),
        ("```\n@쯔위 in a fenced block\n```\n", []),
        ("    @쯔위 indented code\n", []),
        ("@누군가 모르는 사람", []),
        ("@Min's point and @쯔위", ["min", "tzuyu"]),
        ("쯔위 without an at sign", []),
    ],
)
def test_mentions(text, expected):
    assert mentioned(text, PEOPLE) == expected


def test_a_name_that_is_a_prefix_of_another_does_not_steal_the_longer_one():
    # 정훈 and 이정훈 are two people: @이정훈 is the second, @정훈 the first.
    people = {"정훈": "a", "이정훈": "b"}
    assert mentioned("@이정훈 그리고 @정훈", people) == ["b", "a"]


# Mentions in the rendered thread are links to whoever they name


def test_a_mention_renders_as_a_link_and_leads_to_the_person_it_names(client, seeded):
    from discussions.models import Participant
    from discussions.rendering import render_markdown

    html = render_markdown("@쯔위님 보셨나요? (@이정훈) `@코드` [@링크](https://example.org) a@b.org")
    assert html.count('href="/mentions/') == 2
    assert ">@쯔위님</a>" in html and ">@이정훈</a>" in html
    assert "<code>@코드</code>" in html
    Participant.objects.filter(name="정훈").update(full_name="이정훈")
    for word, name in [("쯔위님", "쯔위"), ("이정훈", "정훈"), ("정훈님께", "정훈")]:
        response = client.get(f"/mentions/{word}/")
        assert response.status_code == 302
        assert response["Location"] == Participant.objects.get(name=name).get_absolute_url()
    assert client.get("/mentions/아무도아님/").status_code == 404


def test_a_mention_in_a_post_is_a_link_on_the_thread(client, seeded):
    from discussions import writes
    from discussions.models import Participant, Question

    question = Question.objects.first()
    writes.answer(question, author=Participant.objects.get(name="선민"), body="@소연 님 말씀대로", user=None)
    html = client.get(question.paper.get_absolute_url()).content.decode()
    assert '<a href="/mentions/%EC%86%8C%EC%97%B0/"' in html
