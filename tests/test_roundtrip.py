"""discussions.roundtrip: a file's text, its posts' spans and the app's changes in, the text out,
changed only where the posts changed, in the file's own house style. Pure: no database."""

import difflib

import pytest

from discussions import reader, roundtrip
from discussions.roundtrip import Added, Changes, Post

# The later house style: unsigned, list-dressed questions, blockquoted answers, <br> between threads.
LATER = """## 논문
- 제목 : Another Paper

## 토론
- Q1. 이 그림은요?
>- A1-1. 그렇군요.
>- A1-2. 두 줄로
> 쓴 답입니다.

<br>

- Q2. 두 번째 질문
>- A2. 두 번째 답
"""

# The older one: signed, no dress, a blank line between posts, CRLF line endings.
OLDER = (
    "논문 URL : [https://arxiv.org/abs/2101.00001](https://arxiv.org/abs/2101.00001)\r\n"
    "\r\n"
    "## 토론\r\n"
    "\r\n"
    "Q1 (정훈). 왜 이렇게 되나요?\r\n"
    "\r\n"
    "A1 (민상). 처음 쓴 답입니다.\r\n"
    "\r\n"
    "A1 (쯔위).\r\n"
    "\r\n"
    "Q2 (소연). 두 번째 질문\r\n"
)


def spans_of(text):
    """Spans keyed by reading order: `q1`, `q1.a1`, `q1.a1.r1` …"""
    posts = []
    for q, question in enumerate(reader.read(text).questions, start=1):
        posts.append((f"q{q}", "", question))
        stack = [(f"q{q}", answer, n) for n, answer in enumerate(question.answers, start=1)]
        while stack:
            parent, answer, n = stack.pop(0)
            key = f"{parent}.a{n}"
            posts.append((key, parent, answer))
            stack[0:0] = [(key, reply, m) for m, reply in enumerate(answer.replies, start=1)]
    return roundtrip.find_spans(text, posts)


def changed_lines(before, after):
    """(removed, added) lines between two texts."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def test_a_span_runs_from_its_label_to_its_last_line_of_text():
    spans = {span.key: span for span in spans_of(LATER)}
    assert (spans["q1"].start, spans["q1"].end) == (5, 5)
    assert (spans["q1.a2"].start, spans["q1.a2"].end) == (7, 8)  # not the blank and <br> after it
    assert (spans["q2.a1"].start, spans["q2.a1"].end) == (13, 13)
    assert spans["q1.a1"].parent == "q1"
    assert spans["q1.a1"].body == roundtrip.digest("그렇군요.")


def test_no_change_gives_back_every_byte():
    for text in (LATER, OLDER, OLDER.rstrip("\r\n"), "\ufeff" + LATER):
        assert roundtrip.splice(text, spans_of(text), Changes())[0] == text


def test_the_style_is_read_from_the_file():
    later = roundtrip.detect_style(LATER, spans_of(LATER))
    assert (later.question_dress, later.answer_dress, later.signed) == ("- ", ">- ", False)
    assert later.answer_continuation == "> "
    assert later.question_gap == ["", "<br>", ""]
    assert later.answer_gap == []
    older = roundtrip.detect_style(OLDER, spans_of(OLDER))
    assert (older.question_dress, older.answer_dress, older.signed) == ("", "", True)
    assert older.newline == "\r\n"
    assert older.answer_gap == older.question_gap == [""]


def test_an_edited_post_replaces_its_lines_and_keeps_its_label_line_dress():
    text, order = roundtrip.splice(
        LATER, spans_of(LATER), Changes(edited={"q1.a2": Post("A1-2", None, "고친 답입니다.\n둘째 줄")})
    )
    removed, added = changed_lines(LATER, text)
    assert removed == [">- A1-2. 두 줄로", "> 쓴 답입니다."]
    assert added == [">- A1-2. 고친 답입니다.", "> 둘째 줄"]
    assert order == ["q1", "q1.a1", "q1.a2", "q2", "q2.a1"]


def test_new_answers_and_questions_go_after_their_thread_in_the_files_style():
    changes = Changes(
        added=[
            Added("new-a", "A", "q1", Post("A1", "지성", "새 답입니다.")),
            Added("new-r", "A", "new-a", Post("A1", "정훈", "답에 답합니다.", depth=1)),
            Added("new-q", "Q", "", Post("Q3", "지성", "새 질문\n여러 줄")),
        ]
    )
    text, order = roundtrip.splice(LATER, spans_of(LATER), changes)
    removed, added = changed_lines(LATER, text)
    assert removed == []
    assert added == [
        ">- A1. 새 답입니다.",
        ">- ↳ A1. 답에 답합니다.",
        "",
        "<br>",
        "",
        "- Q3. 새 질문",
        "여러 줄",
    ]
    lines = text.splitlines()
    assert lines.index(">- A1. 새 답입니다.") == lines.index("> 쓴 답입니다.") + 1  # after the thread's last
    assert text.endswith("- Q3. 새 질문\n여러 줄\n")
    assert order == ["q1", "q1.a1", "q1.a2", "new-a", "new-r", "q2", "q2.a1", "new-q"]


def test_a_signed_file_gets_signed_posts_and_keeps_its_line_endings():
    changes = Changes(
        edited={"q1.a2": Post("A1", "쯔위", "채운 답입니다.")},  # an open answer filled
        added=[Added("n", "A", "q2", Post("A2", "정훈", "새 답"))],
    )
    text, _order = roundtrip.splice(OLDER, spans_of(OLDER), changes)
    assert "A1 (쯔위). 채운 답입니다.\r\n" in text
    assert text.endswith("Q2 (소연). 두 번째 질문\r\n\r\nA2 (정훈). 새 답\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_a_removed_post_leaves_with_the_separator_before_it():
    text, order = roundtrip.splice(LATER, spans_of(LATER), Changes(dropped={"q1.a1"}))
    assert changed_lines(LATER, text) == ([">- A1-1. 그렇군요."], [])
    text, order = roundtrip.splice(LATER, spans_of(LATER), Changes(dropped={"q2", "q2.a1"}))
    assert text == LATER.split("\n\n<br>\n\n")[0] + "\n"
    assert order == ["q1", "q1.a1", "q1.a2"]
    text, _order = roundtrip.splice(OLDER, spans_of(OLDER), Changes(dropped={"q1.a1"}))
    assert "처음 쓴" not in text and "\r\n\r\n\r\n" not in text


def test_a_body_line_the_reader_would_take_as_structure_is_escaped():
    body = "첫 줄\nQ9. 이건 본문\n> 인용\n<br>"
    text, _order = roundtrip.splice(
        LATER, spans_of(LATER), Changes(added=[Added("n", "A", "q2", Post("A2", None, body))])
    )
    reading = reader.read(text)
    assert reading.questions[1].answers[-1].body == body


def test_a_label_that_would_not_read_back_is_refused():
    with pytest.raises(ValueError, match="cannot write the label"):
        roundtrip.splice(
            LATER, spans_of(LATER), Changes(added=[Added("n", "A", "q2", Post("B2", None, "x"))])
        )


def test_a_body_that_starts_like_a_signature_goes_below_its_label():
    changes = Changes(added=[Added("n", "A", "q2", Post("A2", None, "(참고) 문헌입니다"))])
    text, _order = roundtrip.splice(LATER, spans_of(LATER), changes)
    assert text.endswith(">- A2.\n> (참고) 문헌입니다\n")
    assert reader.read(text).questions[1].answers[-1].author is None


def test_a_new_file_is_written_in_the_style():
    style = roundtrip.detect_style(LATER, spans_of(LATER))
    text, order = roundtrip.new_file(
        style,
        "## 논문\n- 제목 : New One\n\n## 토론",
        [("q", "Q", "", Post("Q1", "지성", "질문")), ("a", "A", "q", Post("A1", "정훈", "답"))],
    )
    assert text == "## 논문\n- 제목 : New One\n\n## 토론\n- Q1. 질문\n>- A1. 답\n"
    assert order == ["q", "a"]


def test_an_author_the_app_gives_changes_a_signed_file_only():
    older, later = spans_of(OLDER), spans_of(LATER)
    older_style, later_style = roundtrip.detect_style(OLDER, older), roundtrip.detect_style(LATER, later)
    q2 = next(span for span in older if span.key == "q2")
    assert roundtrip.changed(older_style, q2, "Q2 (소연). 두 번째 질문", "두 번째 질문", "지은")
    assert not roundtrip.changed(older_style, q2, "Q2 (소연). 두 번째 질문", "두 번째 질문", "소연")
    a2 = next(span for span in later if span.key == "q2.a1")
    # The later file signs nobody: an author the app gives leaves its lines as they are.
    assert not roundtrip.changed(later_style, a2, ">- A2. 두 번째 답", "두 번째 답", "소연")

    text, _order = roundtrip.splice(OLDER, older, Changes(edited={"q2": Post("Q2", "지은", "두 번째 질문")}))
    assert changed_lines(OLDER, text) == (["Q2 (소연). 두 번째 질문"], ["Q2 (지은). 두 번째 질문"])


def test_a_readme_gets_a_line_for_each_new_session_in_its_own_shape():
    readme = "# 시즌 2\r\n\r\n## 논문 목록\r\n"
    readme += "1) [First](1.%20First.md)\r\n2) [Second](2.%20Second.md)\r\n\r\n끝\r\n"
    assert roundtrip.readme_with(readme, []) == readme
    assert roundtrip.readme_with(readme, [(3, "Third One", "3. Third One.md")]) == readme.replace(
        "\r\n\r\n끝", "\r\n3) [Third One](3.%20Third%20One.md)\r\n\r\n끝"
    )
    assert (
        roundtrip.readme_with("# 시즌 3\n", [(1, "First", "1. First.md")])
        == "# 시즌 3\n\n## 논문 목록\n1. First\n"
    )


def test_the_first_thread_removed_takes_the_separator_after_it():
    text, order = roundtrip.splice(LATER, spans_of(LATER), Changes(dropped={"q1", "q1.a1", "q1.a2"}))
    assert text == "## 논문\n- 제목 : Another Paper\n\n## 토론\n- Q2. 두 번째 질문\n>- A2. 두 번째 답\n"
    assert order == ["q2", "q2.a1"]


def test_an_answer_after_a_last_line_without_a_line_break():
    text = OLDER.rstrip("\r\n")
    out, _order = roundtrip.splice(
        text, spans_of(text), Changes(added=[Added("n", "A", "q2", Post("A2", "정훈", "답"))])
    )
    assert out == text + "\r\n\r\nA2 (정훈). 답"


def test_an_edit_of_a_post_with_separators_inside_its_body_replaces_all_of_it():
    text = "## 토론\nQ1 (정훈). 첫 문단\n\n<br>\n\n둘째 문단\n\nA1 (민상). 답\n"
    spans = spans_of(text)
    assert (spans[0].start, spans[0].end) == (2, 6)
    out, _order = roundtrip.splice(text, spans, Changes(edited={"q1": Post("Q1", "정훈", "한 문단")}))
    assert out == "## 토론\nQ1 (정훈). 한 문단\n\nA1 (민상). 답\n"


def test_a_question_with_its_notes_keeps_them_when_edited():
    text = "## 토론\nQ1 (정훈).\n<!-- tags: bias -->\n본문\n"
    out, _order = roundtrip.splice(
        text, spans_of(text), Changes(edited={"q1": Post("Q1", "정훈", "새 본문")})
    )
    assert out == "## 토론\nQ1 (정훈).\n<!-- tags: bias -->\n새 본문\n"
