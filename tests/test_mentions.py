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
