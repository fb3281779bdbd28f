"""The discussion-file writer: its canonical style, and that read() gives back what it wrote."""

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discussions.reader import Answer, Discussion, Question, Reference, read, thread_depths
from discussions.rules import topic_problem
from discussions.writer import write

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "gpt3-discussion.md"

EXAMPLE = Discussion(
    title="Language Models are Few-Shot Learners",
    url="https://arxiv.org/abs/2005.14165",
    participants=["이정훈", "김소연", "김지성"],
    references=[
        Reference("https://some.blog/274", "PDF", "summary"),
        Reference("https://example.org/gpt1.pdf", "GPT1"),
        Reference("https://jalammar.github.io/how-gpt3-works/"),
    ],
    description="GPT3 논문입니다.\n[설명]\n여기까지.",
    questions=[
        Question(
            "Q1",
            "정훈",
            "GPT-3를 실서비스에 사용할 수 있을까요?\n\nQ1. 이건 인용",
            answers=[
                Answer(
                    "A1",
                    "소연",
                    "어렵네요",
                    replies=[Answer("A1", "지성", "동의해요", replies=[Answer("A1", "소연", "감사")])],
                ),
                Answer("A1", "쯔위", ""),
            ],
            tags=["deployment", "few-shot"],
        ),
        Question("Q3", None, "> 꺾쇠로 시작하는 질문\n---\n끝"),
    ],
)

EXAMPLE_TEXT = """\
## 논문

- 제목 : Language Models are Few-Shot Learners
- 원본 : [https://arxiv.org/abs/2005.14165](https://arxiv.org/abs/2005.14165)
- 요약 : [PDF](https://some.blog/274)

## 참여자

이정훈, 김소연, 김지성

## 논문 Background

1) GPT1 : [https://example.org/gpt1.pdf](https://example.org/gpt1.pdf)
2) [https://jalammar.github.io/how-gpt3-works/](https://jalammar.github.io/how-gpt3-works/)

[설명]

GPT3 논문입니다.
\\[설명]
여기까지.

## 토론

Q1 (정훈).
<!-- tags: deployment, few-shot -->
GPT-3를 실서비스에 사용할 수 있을까요?

\\Q1. 이건 인용

A1 (소연). 어렵네요

↳ A1 (지성). 동의해요

↳↳ A1 (소연). 감사

A1 (쯔위).

Q3. > 꺾쇠로 시작하는 질문
\\---
끝
"""


def essence(discussion: Discussion):
    """What export then import must give back: everything but line numbers, warnings and title_source."""
    return (
        discussion.title,
        discussion.url,
        discussion.participants,
        [(reference.url, reference.label, reference.kind) for reference in discussion.references],
        discussion.description,
        [
            (
                question.label,
                question.author,
                question.body,
                question.tags,
                [thread(a) for a in question.answers],
            )
            for question in discussion.questions
        ],
    )


def thread(answer: Answer):
    return (answer.label, answer.author, answer.body, [thread(reply) for reply in answer.replies])


# --- The canonical style ---------------------------------------------------------------------------


def test_it_writes_the_canonical_style():
    assert write(EXAMPLE) == EXAMPLE_TEXT


def test_it_writes_the_example_in_docs_as_shown():
    documented = (ROOT / "docs" / "file-format.md").read_text(encoding="utf-8")
    example = documented.split("## The canonical export style")[1].split("```\n")[1]
    assert write(read(example)) == example


def test_it_reads_back_the_canonical_example():
    assert essence(read(EXAMPLE_TEXT)) == essence(EXAMPLE)


def test_it_writes_an_open_answer_as_its_signed_label_alone():
    assert "\n\nA1 (쯔위).\n" in write(EXAMPLE)


def test_it_writes_an_unsigned_label_with_a_full_stop():
    discussion = Discussion(questions=[Question("Q3", None, "질문", answers=[Answer("A3", None, "")])])
    assert write(discussion).endswith("## 토론\n\nQ3. 질문\n\nA3.\n")


def test_it_writes_the_first_body_line_below_the_label_when_it_would_read_as_a_signature():
    discussion = Discussion(questions=[Question("Q1", None, "(소연) 이 괄호는 서명이 아님")])
    text = write(discussion)
    assert text.endswith("Q1.\n(소연) 이 괄호는 서명이 아님\n")
    assert read(text).questions[0].author is None


def test_it_writes_the_first_body_line_below_the_label_when_it_repeats_the_label():
    discussion = Discussion(questions=[Question("Q1", "정훈", "Q1 (정훈). 이라고 썼어요")])
    text = write(discussion)
    assert text.endswith("Q1 (정훈).\n\\Q1 (정훈). 이라고 썼어요\n")
    assert read(text).questions[0].body == "Q1 (정훈). 이라고 썼어요"


def test_it_escapes_an_escaped_line_once_more():
    discussion = Discussion(questions=[Question("Q1", None, "질문\n\\Q2.\n\\\\## 제목\n\\보통 줄")])
    text = write(discussion)
    assert text.endswith("Q1. 질문\n\\\\Q2.\n\\\\\\## 제목\n\\보통 줄\n")
    assert read(text).questions[0].body == "질문\n\\Q2.\n\\\\## 제목\n\\보통 줄"


def test_it_escapes_description_lines_shaped_like_references():
    discussion = Discussion(
        description="1) GPT1 : [https://a.example](https://a.example)\n- [b](https://b.example)"
    )
    discussion.questions = [Question("Q1", None, "")]
    text = write(discussion)
    assert (
        "[설명]\n\n\\1) GPT1 : [https://a.example](https://a.example)\n\\- [b](https://b.example)\n" in text
    )
    assert read(text).references == []


def test_it_leaves_out_sections_it_has_nothing_for():
    assert write(Discussion(questions=[Question("Q1", "정훈", "질문")])) == "## 토론\n\nQ1 (정훈). 질문\n"


def test_it_writes_line_breaks_in_bodies_as_lf():
    discussion = Discussion(questions=[Question("Q1", None, "하나\r\n둘\r셋")])
    assert write(discussion) == "## 토론\n\nQ1. 하나\n둘\n셋\n"


def test_it_refuses_a_signature_the_reader_could_not_read_back():
    with pytest.raises(ValueError, match="label line"):
        write(Discussion(questions=[Question("Q1", "정훈 (이정훈)", "질문")]))
    with pytest.raises(ValueError, match="label line"):
        write(Discussion(questions=[Question("Q1", "1", "질문")]))


def test_it_refuses_a_question_labelled_as_an_answer():
    with pytest.raises(ValueError, match="label line"):
        write(Discussion(questions=[Question("A1", None, "질문")]))


def test_it_refuses_a_participant_name_with_a_comma():
    with pytest.raises(ValueError, match="participant"):
        write(Discussion(participants=["이정훈, 구선민"], questions=[Question("Q1", None, "")]))


def test_it_refuses_a_tag_with_a_comma():
    with pytest.raises(ValueError, match="tags"):
        write(Discussion(questions=[Question("Q1", None, "", tags=["a, b"])]))


def test_it_refuses_a_reference_label_with_brackets():
    references = [Reference("https://a.example", "[GPT1]")]
    with pytest.raises(ValueError, match="reference"):
        write(Discussion(references=references, questions=[Question("Q1", None, "")]))


# --- Export then import ------------------------------------------------------------------------------


def test_it_gives_back_the_seed_after_export_and_import():
    seed = read(SEED.read_bytes(), "gpt3-discussion.md")
    again = read(write(seed), "export.md")
    assert essence(again) == essence(seed)
    assert again.cited_links() == seed.cited_links()
    assert again.warnings == []


def test_it_writes_the_seed_the_same_way_twice():
    text = write(read(SEED.read_bytes(), "gpt3-discussion.md"))
    assert write(read(text)) == text


def nfc_stripped(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


# Lines that look like structure; a body or description made of them must come back unchanged.
NASTY_LINES = [
    "Q1. 이건 인용",
    "Q1 (정훈). 질문",
    "A2 (소연).",
    "A10. (1)우선",
    "- Q1.",
    "- -Q5. 둘",
    "> 인용",
    ">",
    "  >- A1-1.",
    "**Q1 (정훈).**",
    "'A1 (민상).'",
    '<span style="x">Q1</span>',
    "↳ A4 (지성). 답글",
    "↳↳ A4.",
    "↳ Q1.",
    "## 토론",
    "## 논문 Background",
    "##",
    "   ## 들여쓴 제목",
    "### 작은 제목",
    "---",
    "<br>",
    "<br><br>",
    "[설명]",
    "[참고 파일]",
    "1) GPT1 : [https://a.example](https://a.example)",
    "2) [https://b.example](https://b.example)",
    "- [label](https://c.example)",
    "3) https://d.example",
    "- 요약 : [PDF](https://e.example)",
    "- 제목 : 다른 제목",
    "논문 URL : https://f.example",
    "<!-- tags: a, b -->",
    "\\Q1.",
    "\\\\---",
    "\\",
    "\\그냥",
    "1) 첫째",
    "(2) 둘째",
    "$x^2$ 와 `code`",
    "",
    "",
    "  ",
]
TEXT_CHARACTERS = st.one_of(
    # No control characters: the reader refuses a NUL and drops the others (test_reader.py).
    st.characters(blacklist_categories=("Cs", "Cc")),
    st.sampled_from("QA0123456789.:()[]<>!-*_'\"#\\↳ 가나다정훈"),
)
LINES = st.one_of(st.sampled_from(NASTY_LINES), st.text(TEXT_CHARACTERS, max_size=25))
MARKDOWN = st.lists(LINES, max_size=6).map(lambda lines: nfc_stripped("\n".join(lines)))

NAME_CHARACTERS = st.sampled_from("가나다라마바사아자차카타파하정훈소연쯔위 abcXYZ019.")
SIGNATURES = (
    st.text(NAME_CHARACTERS, min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda name: name and not name.isdigit())
)
AUTHORS = st.one_of(st.none(), SIGNATURES)
NUMBERS = st.integers(min_value=1, max_value=12)
SUB_NUMBERS = st.one_of(st.just(""), NUMBERS.map(lambda n: f"-{n}"))
WORDS = (
    st.text(st.sampled_from("가나다GPTbert 01:.-_!?"), min_size=1, max_size=20).map(str.strip).filter(bool)
)
# A topic must make an address (`!?` makes none: rules.topic_problem).
TOPICS = WORDS.filter(lambda word: not topic_problem(word))
URLS = st.text(st.sampled_from("abcxyz0189./-_?=&%~"), min_size=1, max_size=20).map(
    lambda path: f"https://{path}"
)


def answer_threads(depth: int):
    replies = st.just([]) if depth == 0 else st.lists(answer_threads(depth - 1), max_size=2)
    return st.builds(
        Answer,
        label=st.builds(lambda n, sub: f"A{n}{sub}", NUMBERS, SUB_NUMBERS),
        author=AUTHORS,
        body=st.one_of(st.just(""), MARKDOWN),
        replies=replies,
    )


QUESTIONS = st.builds(
    Question,
    label=st.builds(lambda n, sub: f"Q{n}{sub}", NUMBERS, SUB_NUMBERS),
    author=AUTHORS,
    body=MARKDOWN,
    answers=st.lists(answer_threads(2), max_size=3),
    tags=st.lists(TOPICS, max_size=3),
)


@st.composite
def canonical_discussions(draw):
    # Canonical form: NFC, stripped, no CR; summaries listed before other references.
    summaries = draw(
        st.lists(
            st.builds(Reference, url=URLS, label=st.one_of(st.just(""), WORDS), kind=st.just("summary")),
            max_size=2,
        )
    )
    listed = draw(st.lists(st.builds(Reference, url=URLS, label=st.one_of(st.just(""), WORDS)), max_size=3))
    return Discussion(
        title=draw(WORDS),
        title_source="header",
        url=draw(st.one_of(st.just(""), URLS)),
        participants=draw(st.lists(SIGNATURES, max_size=4)),
        references=summaries + listed,
        description=draw(MARKDOWN),
        questions=draw(st.lists(QUESTIONS, min_size=1, max_size=4)),
    )


@settings(max_examples=200, deadline=None)
@given(canonical_discussions())
def test_export_then_import_gives_back_the_same_discussion(discussion):
    # Open answers included: an open answer is one whose body is "".
    assert essence(read(write(discussion))) == essence(discussion)


@settings(max_examples=200, deadline=None)
@given(canonical_discussions())
def test_it_writes_what_it_read_back_the_same_way(discussion):
    text = write(discussion)
    assert write(read(text)) == text


# --- Deep threads, and values the reader would refuse or change --------------------------------


def deep_discussion(depth: int) -> Discussion:
    innermost = Answer("A1", "c", "가장 깊은 답글")
    answer = innermost
    for level in range(depth - 1, -1, -1):
        answer = Answer("A1", f"p{level % 5}", f"답글 {level}", replies=[answer])
    return Discussion(questions=[Question("Q1", "a", "질문", answers=[answer])])


def test_a_thread_a_thousand_replies_deep_is_written_and_reads_back():
    discussion = deep_discussion(1000)
    text = write(discussion)
    assert "↳" * 1000 + " A1 (c). 가장 깊은 답글" in text

    # Compared flat: dataclass equality itself recurses, a frame or two per level.
    def flat(d):
        return [(a.label, a.author, a.body, depth) for a, depth in thread_depths(d.questions[0].answers)]

    assert flat(read(text)) == flat(discussion)
    assert len(flat(discussion)) == 1001


@pytest.mark.parametrize("control", ["\x00", "\x0c", "\x1b"])
def test_a_control_character_the_reader_would_refuse_or_drop_is_refused(control):
    with pytest.raises(ValueError, match="control character"):
        write(Discussion(questions=[Question("Q1", "a", f"질문{control}")]))


@pytest.mark.parametrize("tag", ["!!!", "a,b", '"bias', "x" * 101])
def test_a_topic_the_reader_would_refuse_is_refused(tag):
    with pytest.raises(ValueError, match="topic name"):
        write(Discussion(questions=[Question("Q1", "a", "질문", tags=[tag])]))


@pytest.mark.parametrize(
    ("discussion", "problem"),
    [
        (Discussion(title="t" * 301), "the title is 301"),
        (Discussion(url="JaVaScRiPt:alert(1)"), "the link scheme 'javascript:'"),
        (Discussion(references=[Reference(url="vbscript:x")]), "the link scheme 'vbscript:'"),
        (Discussion(references=[Reference(url="https://e.org", label="l" * 301)]), "the reference label"),
        (Discussion(participants=["n" * 101]), "the name is 101"),
        (Discussion(questions=[Question("Q" + "1" * 40, None, "q")]), "the label is 41"),
    ],
)
def test_a_value_the_reader_would_refuse_or_keep_as_text_is_refused(discussion, problem):
    # What the exporter writes must import back: a row stored before the rules makes the download
    # say so instead (tests/test_hostile_input.py).
    if not discussion.questions:
        discussion.questions = [Question("Q1", None, "q")]
    with pytest.raises(ValueError, match=problem):
        write(discussion)


def test_a_sessions_notes_are_written_and_read_back():
    from discussions import reader, writer

    discussion = reader.Discussion(
        title="T",
        title_source="header",
        session_date="2026-12-08",
        presenter="정훈",
        references=[reader.Reference(url="https://example.org/t", label="Talk", kind="video")],
        questions=[
            reader.Question("Q1", "소연", "질문", tags=["bias"], discussed=True),
            reader.Question("Q2", "지성", "<!-- discussed -->"),  # a body that looks like the note
        ],
    )
    text = writer.write(discussion)
    read = reader.read(text, filename="s.md")
    assert (read.session_date, read.presenter) == ("2026-12-08", "정훈")
    assert [(r.label, r.kind) for r in read.references] == [("Talk", "video")]
    assert [(q.discussed, q.body) for q in read.questions] == [(True, "질문"), (False, "<!-- discussed -->")]
