"""The discussion-file reader (FORMAT.md, docs/file-format.md). No database needed."""

import contextlib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discussions.reader import Answer, Discussion, FormatError, Question, ReadWarning, Reference, read

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "gpt3-discussion.md"


@pytest.fixture(scope="module")
def seed() -> Discussion:
    return read(SEED.read_bytes(), "gpt3-discussion.md")


def all_answers(discussion):
    return [answer for question in discussion.questions for answer in question.answers]


def only_question(text: str) -> Question:
    """The single question of a small discussion file."""
    discussion = read(text)
    assert len(discussion.questions) == 1
    return discussion.questions[0]


def question_label(line: str) -> tuple[str, str | None, str]:
    """(label, author, body) of the question a discussion of one line starts."""
    question = only_question(f"## 토론\n{line}\n")
    return question.label, question.author, question.body


def answer_label(line: str) -> tuple[str, str | None, str]:
    """(label, author, body) of the answer a line starts under `Q1.`."""
    [answer] = only_question(f"## 토론\nQ1.\n{line}\n").answers
    return answer.label, answer.author, answer.body


# --- The seed file (the GPT-3 session, older style) ------------------------------------------------


def test_it_reads_eleven_questions_from_the_seed(seed):
    labels = [question.label for question in seed.questions]
    assert labels == ["Q1", "Q2", "Q3", "Q4", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q9"]


def test_it_reads_seventeen_answers_from_the_seed_two_of_them_open(seed):
    answers = all_answers(seed)
    assert len(answers) == 17
    assert [(answer.label, answer.author) for answer in answers if answer.is_open] == [
        ("A9", "쯔위"),
        ("A9", "쯔위"),
    ]


def test_it_puts_one_open_answer_under_each_q9_of_the_seed(seed):
    first_q9, second_q9 = seed.questions[9], seed.questions[10]
    assert (first_q9.author, second_q9.author) == ("선민", "지은")
    assert [(a.author, a.is_open) for a in first_q9.answers] == [("쯔위", True)]
    assert [(a.author, a.is_open) for a in second_q9.answers] == [("쯔위", True)]


def test_it_finds_the_seven_signers_of_the_seed(seed):
    signers = {question.author for question in seed.questions} | {a.author for a in all_answers(seed)}
    assert signers == {"정훈", "소연", "지성", "지은", "선민", "민상", "쯔위"}


def test_it_keeps_the_answers_of_each_q4_of_the_seed_apart(seed):
    first_q4, second_q4 = seed.questions[3], seed.questions[4]
    assert first_q4.author == "소연"
    assert [answer.author for answer in first_q4.answers] == ["선민"]
    assert second_q4.author == "민상"
    assert [answer.author for answer in second_q4.answers] == ["정훈", "소연", "지성"]


def test_it_reads_the_five_references_of_the_seed(seed):
    assert [(reference.label, reference.kind) for reference in seed.references] == [
        ("GPT1", ""),
        ("GPT2", ""),
        ("", ""),
        ("", ""),
        ("", ""),
    ]
    assert seed.references[0].url.endswith("/language_understanding_paper.pdf")
    assert seed.references[2].url == "https://jalammar.github.io/how-gpt3-works-visualizations-animations/"
    assert [reference.line for reference in seed.references] == [9, 11, 13, 15, 17]


def test_it_finds_the_three_links_cited_in_the_seed(seed):
    assert seed.cited_links() == [
        "https://arxiv.org/abs/1911.03064",
        "https://github.com/tunib-ai/parallelformers?fbclid="
        "IwAR1R4Hilz3-k4V2Uj_V35FN3LzL_K4yKxwbYHNkvcwA4suyLeXx9dOj7WoQ",
        "https://arxiv.org/abs/2008.03945",
    ]


def test_it_takes_the_seed_description_from_under_its_description_marker(seed):
    assert seed.description == (
        "GPT3 논문입니다. 아무래도 큰 줄기가 되는 논문들을 보는것이 좋겠다는 생각하에 "
        "계속 고민하다가 선택하게 되었습니다."
    )


def test_it_reads_the_seed_paper_url_and_takes_the_title_from_the_file_name(seed):
    assert seed.url == "https://arxiv.org/abs/2005.14165"
    assert (seed.title, seed.title_source) == ("gpt3-discussion", "filename")
    assert seed.participants == []


def test_it_reads_the_seed_without_warnings(seed):
    assert seed.warnings == []


def test_it_keeps_every_paragraph_of_a_seed_answer(seed):
    answer = seed.questions[7].answers[0]  # A7 (정훈): four paragraphs
    assert answer.line == 95
    assert answer.body.startswith("이 부분은 저도 많이 고민했던 부분입니다.")
    assert answer.body.count("\n\n") == 3
    assert answer.body.endswith("핵심인 것 타습니다.")


def test_it_keeps_a_seed_answer_link_in_its_body(seed):
    answer = seed.questions[3].answers[0]
    assert answer.body.endswith("(** [https://arxiv.org/abs/1911.03064](https://arxiv.org/abs/1911.03064))")


def test_it_numbers_the_seed_blocks_by_their_label_lines(seed):
    assert [question.line for question in seed.questions] == [27, 38, 46, 60, 66, 80, 86, 92, 105, 111, 115]


# --- Encoding and lines ----------------------------------------------------------------------------

LATER_STYLE = """\
## 논문
- 제목 : Language Models are Few-Shot Learners
- 원본 : [https://arxiv.org/abs/2005.14165](https://arxiv.org/abs/2005.14165)
- 요약 : [PDF](https://some.blog/274)
- 논문 Background : free text, which may go on
over the following lines
## 참여자
이정훈, 구선민, 김소연, 김지성, 남궁민상, 류지은
## 논문 Background
1) GPT1 : [https://example.org/gpt1.pdf](https://example.org/gpt1.pdf)
## 토론
Q1 (정훈). 질문
A1 (소연). 답
"""


def test_it_reads_utf8_with_a_byte_order_mark():
    discussion = read("\ufeff".encode() + LATER_STYLE.encode())
    assert discussion.title == "Language Models are Few-Shot Learners"


def test_it_reads_crlf_line_endings():
    discussion = read(LATER_STYLE.replace("\n", "\r\n").encode())
    assert discussion.questions[0].answers[0].body == "답"
    assert discussion.participants[0] == "이정훈"


def test_it_reads_cr_line_endings():
    discussion = read(LATER_STYLE.replace("\n", "\r").encode())
    assert [question.line for question in discussion.questions] == [12]
    assert discussion.questions[0].answers[0].author == "소연"


def test_it_normalises_decomposed_hangul_to_nfc():
    decomposed = unicodedata.normalize("NFD", LATER_STYLE)
    assert decomposed != LATER_STYLE
    discussion = read(decomposed.encode())
    assert discussion.questions[0].author == "정훈"
    assert discussion.participants[0] == "이정훈"
    assert discussion.questions[0].body == "질문"


def test_it_reads_text_as_well_as_bytes():
    assert read(LATER_STYLE).questions[0].answers[0].body == "답"


def test_it_refuses_a_file_that_is_not_utf8_naming_the_line_of_the_first_bad_byte():
    data = "Q1 (정훈). 질문\r\nA1 (소연). 답\n\n".encode() + "A2 (지성). 잘못".encode("cp949")
    with pytest.raises(FormatError) as refused:
        read(data, "bad.md")
    assert refused.value.line == 4
    assert str(refused.value).startswith("bad.md:4: not UTF-8 text")


def test_it_refuses_utf16():
    with pytest.raises(FormatError) as refused:
        read(LATER_STYLE.encode("utf-16"), "wide.md")
    assert (refused.value.filename, refused.value.line) == ("wide.md", 1)


# --- The two header styles -------------------------------------------------------------------------


def test_it_reads_the_later_header_style():
    discussion = read(LATER_STYLE)
    assert (discussion.title, discussion.title_source) == ("Language Models are Few-Shot Learners", "header")
    assert discussion.url == "https://arxiv.org/abs/2005.14165"
    assert discussion.participants == ["이정훈", "구선민", "김소연", "김지성", "남궁민상", "류지은"]
    assert discussion.references == [
        Reference("https://some.blog/274", "PDF", "summary", 4),
        Reference("https://example.org/gpt1.pdf", "GPT1", "", 10),
    ]
    assert discussion.description == "free text, which may go on\nover the following lines"
    assert discussion.warnings == []


def test_it_reads_the_older_paper_url_line_with_a_bare_url():
    discussion = read("논문 URL : https://arxiv.org/abs/1907.11692\n## 토론\nQ1. 질문\n")
    assert discussion.url == "https://arxiv.org/abs/1907.11692"


def test_it_reads_the_paper_url_written_as_a_heading():
    discussion = read("## 논문 URL : [https://arxiv.org/abs/1](https://arxiv.org/abs/1)\n## 토론\nQ1. 질문\n")
    assert discussion.url == "https://arxiv.org/abs/1"


def test_it_reads_the_english_header_words():
    text = (
        "## Paper\n- Title: RoBERTa\n- Source: https://arxiv.org/abs/1907.11692\n"
        "- Summary: https://blog.example/1\n## Participants\nAlice, Bob\n"
        "## Background\n[References]\n- [Slides](https://slides.example)\n[Description]\nText.\n"
        "## Discussion\nQ1 (Alice). Why?\n"
    )
    discussion = read(text)
    assert (discussion.title, discussion.url) == ("RoBERTa", "https://arxiv.org/abs/1907.11692")
    assert discussion.participants == ["Alice", "Bob"]
    assert [(r.label, r.kind) for r in discussion.references] == [("", "summary"), ("Slides", "")]
    assert discussion.description == "Text."
    assert discussion.questions[0].author == "Alice"


def test_it_takes_the_title_from_the_paper_link_text():
    discussion = read("Paper URL: [RoBERTa](https://arxiv.org/abs/1907.11692)\n\nQ1. 질문\n")
    assert (discussion.title, discussion.title_source) == ("RoBERTa", "header")
    assert discussion.url == "https://arxiv.org/abs/1907.11692"


def test_it_prefers_the_title_bullet_to_the_link_text():
    text = "## 논문\n- 원본 : [RoBERTa paper](https://arxiv.org/abs/1907.11692)\n- 제목 : RoBERTa\nQ1.\n"
    assert read(text).title == "RoBERTa"


def test_it_takes_the_title_from_the_file_name_without_extension_or_index():
    discussion = read("Q1. 질문\n", "papers/8. RoBERTa: A Robustly Optimized BERT Pretraining Approach.md")
    assert discussion.title == "RoBERTa: A Robustly Optimized BERT Pretraining Approach"
    assert discussion.title_source == "filename"


def test_it_derives_a_title_even_from_a_bare_name():
    assert read("Q1. 질문\n").title == "<text>"
    assert read("Q1. 질문\n", "GPT 3.5").title == "GPT 3.5"


def test_it_keeps_a_second_paper_url_in_the_description_with_a_warning():
    text = "논문 URL : https://a.example\n논문 URL : https://b.example\n## 토론\nQ1.\n"
    discussion = read(text)
    assert discussion.url == "https://a.example"
    assert discussion.description == "논문 URL : https://b.example"
    assert discussion.warnings == [ReadWarning(2, "a second paper URL is kept in the description")]


# --- Labels: every shape FORMAT.md lists -----------------------------------------------------------


def test_it_reads_a_signed_label_with_a_full_stop():
    assert question_label("Q1 (정훈). 질문") == ("Q1", "정훈", "질문")


def test_it_reads_a_signature_without_a_space_before_it():
    assert question_label("Q2(선민). 질문") == ("Q2", "선민", "질문")


def test_it_reads_a_signed_label_without_a_stop():
    assert question_label("Q6 (선민) text…") == ("Q6", "선민", "text…")


def test_it_reads_a_signature_written_after_the_stop():
    assert answer_label("A5. (소연)") == ("A5", "소연", "")


def test_it_reads_a_signature_glued_to_the_label_with_text_after_it():
    assert answer_label("A4(소연) text") == ("A4", "소연", "text")


def test_it_reads_an_unsigned_label():
    assert question_label("Q1. 질문") == ("Q1", None, "질문")


def test_it_reads_a_label_with_a_colon():
    assert question_label("Q1: 질문") == ("Q1", None, "질문")


def test_it_reads_a_label_that_ends_its_line():
    assert question_label("Q1\n질문") == ("Q1", None, "질문")


def test_it_reads_a_label_with_a_sub_number():
    assert answer_label("A1-1. 답") == ("A1-1", None, "답")


def test_it_reads_a_two_digit_label():
    assert answer_label("A10 (쯔위).") == ("A10", "쯔위", "")


def test_it_reads_digits_in_parentheses_after_the_stop_as_body():
    assert answer_label("A10. (1)우선 이렇게") == ("A10", None, "(1)우선 이렇게")


def test_it_does_not_take_a_number_followed_by_text_for_a_label():
    question = only_question("Q1. 질문\nQ1 text goes on\n")
    assert question.body == "질문\nQ1 text goes on"


def test_it_does_not_take_over_thirty_characters_in_parentheses_for_a_signature():
    question = only_question("Q1. 질문\nA1 (" + "가" * 31 + ") 답\n")
    assert question.answers == []


def test_it_reads_a_label_dressed_as_a_list_item():
    assert question_label("- Q1. 질문") == ("Q1", None, "질문")


def test_it_reads_a_label_dressed_as_a_doubled_list_item():
    assert question_label("- -Q5. 질문") == ("Q5", None, "질문")


def test_it_reads_a_label_dressed_as_a_blockquote():
    assert answer_label("> A1. 답") == ("A1", None, "답")


def test_it_reads_a_label_dressed_as_an_indented_quoted_list_item():
    assert answer_label("  >- A1-1. 답") == ("A1-1", None, "답")


def test_it_reads_a_label_dressed_in_bold():
    assert question_label("**Q1 (정훈).** 질문") == ("Q1", "정훈", "질문")


def test_it_reads_a_label_dressed_in_quotes():
    assert answer_label("'A1 (민상).' 답") == ("A1", "민상", "답")


def test_it_reads_a_label_dressed_in_an_inline_html_tag():
    line = '<span style="color: rgb(235, 87, 87)">Q1 (정훈).</span> 질문'
    assert question_label(line) == ("Q1", "정훈", "질문")


def test_it_reads_a_doubled_label_as_one():
    assert question_label("Q1. Q1 (민상). 질문") == ("Q1", "민상", "질문")


def test_it_reads_a_label_in_the_middle_of_a_line_as_body_text():
    question = only_question("Q1 (정훈). 질문\n앞에서 Q2 (소연). 라고 했듯이 A1. 도\n")
    assert question.body == "질문\n앞에서 Q2 (소연). 라고 했듯이 A1. 도"
    assert question.answers == []


def test_it_trims_and_normalises_signatures():
    question = only_question(unicodedata.normalize("NFD", "Q1 ( 정훈 ). 질문\n"))
    assert question.author == "정훈"


# --- Bodies ----------------------------------------------------------------------------------------


def test_it_joins_continuation_lines_to_the_body():
    question = only_question("Q1 (정훈). 첫 줄\n둘째 줄\n\n새 문단\n")
    assert question.body == "첫 줄\n둘째 줄\n\n새 문단"


def test_it_starts_the_body_on_the_next_line_when_the_label_line_has_none():
    assert only_question("Q1 (정훈).\n\n질문\n").body == "질문"


def test_it_removes_blockquote_markers_from_continuation_lines():
    question = only_question("> Q1 (정훈). 질문\n> 이어서\n>\n>> 인용 안의 인용\n")
    assert question.body == "질문\n이어서\n\n인용 안의 인용"


def test_it_reads_numbered_lines_as_body_text():
    question = only_question("Q1. 질문\n1) 첫째\n(2) 둘째\n")
    assert question.body == "질문\n1) 첫째\n(2) 둘째"


def test_it_drops_separator_lines_from_bodies():
    question = only_question("Q1. 질문\n<br>\n---\n<br><br>\n")
    assert question.body == "질문"


def test_it_keeps_markdown_in_bodies():
    body = "**굵게** $x^2$ ![그림](https://img.example/a.png)\n\n```\ncode\n```"
    assert only_question(f"Q1. {body}\n").body == body


# --- Questions and answers -------------------------------------------------------------------------


def test_it_gives_an_answer_to_the_nearest_question_above():
    discussion = read("Q1. 하나\nQ2. 둘\nA1. 답\n")
    assert discussion.questions[0].answers == []
    assert [answer.label for answer in discussion.questions[1].answers] == ["A1"]


def test_it_warns_with_the_line_number_when_answer_and_question_numbers_differ():
    discussion = read("## 토론\nQ1. 하나\nA1. 답\nA2 (지성). 둘\nA1-3. 셋\n")
    assert len(discussion.questions[0].answers) == 3
    assert discussion.warnings == [
        ReadWarning(4, "A2 is kept under Q1, the nearest question above it, though the numbers differ")
    ]


def test_it_reads_an_answer_with_no_body_as_open():
    question = only_question("Q9 (선민). 질문\n\nA9 (쯔위).\n\nA9 (지은). 답\n")
    assert [(answer.author, answer.is_open) for answer in question.answers] == [
        ("쯔위", True),
        ("지은", False),
    ]


def test_it_reads_an_unsigned_answer_as_having_no_author():
    assert only_question("Q1. 질문\nA1. 답\n").answers[0].author is None


# --- The template's placeholders (rules.PLACEHOLDER_BODIES, rules.PLACEHOLDER_NAMES) -----------------


@pytest.mark.parametrize(
    "line",
    ["A7. 답변", ">- A7. 답변", "A7 (소연). 답변.", "A7. **답변**", "A7. (답변)", "A7. 답변 내용"]
    + ["A7.\n답변", "A7. \n> 답변"],
)
def test_an_answer_whose_body_is_the_templates_placeholder_is_open(line):
    [answer] = only_question(f"## 토론\nQ7. 질문\n{line}\n").answers
    assert answer.body == "" and answer.is_open


@pytest.mark.parametrize("line", ["A7. 답변입니다", "A7. 좋은 답변", "A7. 답변: 네, 됩니다.", "A7. 답"])
def test_an_answer_that_only_starts_or_ends_with_the_word_keeps_its_body(line):
    [answer] = only_question(f"## 토론\nQ7. 질문\n{line}\n").answers
    assert answer.body == line.removeprefix("A7. ")


def test_a_question_that_reads_like_a_placeholder_is_still_a_question():
    assert only_question("Q1. 질문\n").body == "질문"


@pytest.mark.parametrize("label", ["Q1 (이름).", "Q1. (이름)", "Q1 (이름2).", "Q1 ([이름])."])
def test_the_templates_placeholder_signature_is_nobody(label):
    question = only_question(f"## 토론\n{label} 질문입니다\nA1 (이름). 답변\n")
    assert (question.author, question.body) == (None, "질문입니다")
    assert [(answer.author, answer.is_open) for answer in question.answers] == [(None, True)]


def test_the_templates_placeholder_names_in_the_participants_list_are_nobody():
    discussion = read("## 참여자\n이정훈, 이름, 김소연, 이름2\n## 토론\nQ1. 질문\n")
    assert discussion.participants == ["이정훈", "김소연"]


def test_the_templates_placeholder_presenter_is_nobody():
    discussion = read("## 논문\n- 제목 : T\n- 발표 : 이름\n## 토론\nQ1. 질문\n")
    assert discussion.presenter == ""
    assert discussion.warnings == [] and "이름" not in discussion.description


def test_it_reads_a_file_without_headings_as_all_discussion():
    discussion = read("Q1 (정훈). 질문\nA1 (소연). 답\n")
    assert len(discussion.questions) == 1
    assert discussion.description == ""


def test_it_starts_the_discussion_at_the_first_label_when_there_is_no_discussion_heading():
    discussion = read("## 논문 Background\n설명입니다.\n\nQ1 (정훈). 질문\n")
    assert discussion.description == "설명입니다."
    assert discussion.questions[0].body == "질문"


def test_it_keeps_an_unknown_section_in_the_description_with_a_warning():
    text = "## 논문 Background\n[설명]\n설명.\n## 메모\n기억할 것\n---\n## 토론\nQ1. 질문\n"
    discussion = read(text)
    assert discussion.description == "설명.\n\n## 메모\n\n기억할 것"
    assert discussion.warnings == [
        ReadWarning(4, "section '## 메모' is not part of the format; kept in the description")
    ]


def test_it_ends_the_discussion_at_the_next_heading():
    discussion = read("## 토론\nQ1. 질문\n## 뒷이야기\n다음엔 BERT\n")
    assert discussion.questions[0].body == "질문"
    assert discussion.description == "## 뒷이야기\n\n다음엔 BERT"


def test_it_keeps_text_before_the_first_question_in_the_description_with_a_warning():
    discussion = read("## 토론\n오늘의 토론\n\nQ1. 질문\n")
    assert discussion.description == "오늘의 토론"
    assert discussion.warnings == [
        ReadWarning(2, "text before the first question is kept in the description")
    ]


# --- References and the description ------------------------------------------------------------------


def only_reference(line: str) -> Reference:
    discussion = read(f"## 논문 Background\n{line}\n## 토론\nQ1.\n")
    assert discussion.description == ""
    [reference] = discussion.references
    return reference


def test_it_reads_a_numbered_reference_with_a_label():
    assert only_reference("1) GPT1 : [https://a.example/1.pdf](https://a.example/1.pdf)") == Reference(
        "https://a.example/1.pdf", "GPT1", "", 2
    )


def test_it_reads_a_numbered_reference_without_a_label():
    reference = only_reference("2) [https://a.example](https://a.example)")
    assert (reference.url, reference.label) == ("https://a.example", "")


def test_it_reads_a_bulleted_reference_with_a_label():
    reference = only_reference("- 발표자료 : [slides](https://a.example/s)")
    assert (reference.url, reference.label) == ("https://a.example/s", "발표자료")


def test_it_takes_the_link_text_as_the_label_when_it_is_not_a_url():
    reference = only_reference("- [Illustrated GPT-3](https://a.example/g)")
    assert (reference.url, reference.label) == ("https://a.example/g", "Illustrated GPT-3")


def test_it_reads_a_reference_that_is_a_bare_url():
    reference = only_reference("3) https://a.example/x?y=1")
    assert (reference.url, reference.label) == ("https://a.example/x?y=1", "")


# Background links as the group's files list them, messy as they are: every one is a reference.
MESSY_REFERENCES = [
    # No bullet, a label and a colon (the older style's `참고링크 : …`).
    ("참고링크 : https://a.example/cf", ("https://a.example/cf", "참고링크")),
    ("참고링크: [https://a.example/cf](https://a.example/cf)", ("https://a.example/cf", "참고링크")),
    ("참고링크 ： https://a.example/cf", ("https://a.example/cf", "참고링크")),
    # A bullet, a label, a link whose text is or is not its address.
    ("- 참고링크 : [https://a.example/cf](https://a.example/cf)", ("https://a.example/cf", "참고링크")),
    ("- 참고링크 : [블로그 글](https://a.example/cf)", ("https://a.example/cf", "참고링크")),
    ("-참고링크 : https://a.example/cf", ("https://a.example/cf", "참고링크")),
    ("* **참고링크** : https://a.example/cf", ("https://a.example/cf", "**참고링크**")),
    # A video, bulleted, numbered, or a bare address on its own line.
    ("- 영상 : https://www.youtube.com/watch?v=abc", ("https://www.youtube.com/watch?v=abc", "영상")),
    ("2) 영상 : https://youtu.be/abc", ("https://youtu.be/abc", "영상")),
    ("(3) 영상 https://youtu.be/abc", ("https://youtu.be/abc", "영상")),
    ("https://www.youtube.com/watch?v=abc&t=10s", ("https://www.youtube.com/watch?v=abc&t=10s", "")),
    ("<https://youtu.be/abc>", ("https://youtu.be/abc", "")),
    ("[발표 영상](https://youtu.be/abc)", ("https://youtu.be/abc", "발표 영상")),
    # Code: a label with no colon, a label in brackets, `<br>`s closing the line.
    ("- 코드 : https://github.com/o/summarization", ("https://github.com/o/summarization", "코드")),
    ("- 코드 https://github.com/o/summarization", ("https://github.com/o/summarization", "코드")),
    ("[코드] https://github.com/o/summarization", ("https://github.com/o/summarization", "코드")),
    ("- 코드 : https://github.com/o/summarization <br>", ("https://github.com/o/summarization", "코드")),
    ("코드 : [github](https://github.com/o/s)<br><br>", ("https://github.com/o/s", "코드")),
    ("1. 공식 구현 : https://github.com/o/s", ("https://github.com/o/s", "공식 구현")),
]


@pytest.mark.parametrize(("line", "expected"), MESSY_REFERENCES)
def test_every_background_link_a_file_lists_is_a_reference(line, expected):
    reference = only_reference(line)
    assert (reference.url, reference.label) == expected
    assert reference.line == 2


@pytest.mark.parametrize(
    "line",
    [
        "자세한 내용은 저자들이 직접 정리한 이 글에서 볼 수 있습니다 https://a.example/x",
        "이 논문은 " + "아주 " * 30 + "중요합니다: https://a.example/x",
        "https://a.example/x 에 정리되어 있습니다",
        "자세한 설명은 저자들이 쓴 이 글을 보면 좋습니다: https://a.example/x",
        "링크 두 개 https://a.example/x https://a.example/y",
    ],
)
def test_a_sentence_with_a_link_in_the_background_stays_in_the_description(line):
    discussion = read(f"## 논문 Background\n{line}\n## 토론\nQ1.\n")
    assert discussion.references == []
    assert discussion.description == line


def test_the_real_files_references_are_read_with_their_kinds_from_their_addresses():
    # The shapes of `4. Counterfactual Fairness` (older style) and `5. Text Summarization…` (later).
    older = (
        "논문 URL : [https://arxiv.org/abs/1703.06856](https://arxiv.org/abs/1703.06856)\n\n"
        "## 논문 Background\n참고링크 : https://blog.example/counterfactual<br>\n\n"
        "[설명]\n인과 추론으로 공정성을 정의하는 논문입니다.\n\n"
        "https://www.youtube.com/watch?v=ZfuOw02U7hs\n\n## 토론\nQ1 (정훈). 질문\n"
    )
    later = (
        "## 논문\n- 제목 : Text Summarization with Pretrained Encoders\n"
        "- 원본 : [https://arxiv.org/abs/1908.08345](https://arxiv.org/abs/1908.08345)\n"
        "- 논문 Background : BERT를 요약에 쓴 논문\n"
        "    - 참고링크 : [https://blog.example/bertsum](https://blog.example/bertsum)\n"
        "- 코드 : https://github.com/nlpyang/PreSumm\n"
        "## 토론\n- Q1.\n"
    )
    from discussions.links import infer_kind

    first, second = read(older, "4. Counterfactual Fairness.md"), read(later, "5. Text Summarization.md")
    assert [(r.label, r.line, infer_kind(r.url)) for r in first.references] == [
        ("참고링크", 4, "blog"),
        ("", 9, "video"),
    ]
    assert first.description == "인과 추론으로 공정성을 정의하는 논문입니다."
    assert [(r.label, r.line, infer_kind(r.url)) for r in second.references] == [
        ("참고링크", 5, "blog"),
        ("코드", 6, "code"),
    ]
    assert second.description == "BERT를 요약에 쓴 논문"


def test_a_messy_later_style_file_lists_every_background_link_and_no_placeholder():
    from discussions.links import infer_kind

    path = SEED.parent / "messy-background.md"
    discussion = read(path.read_bytes(), path.name)
    assert [(r.label, infer_kind(r.url), r.line) for r in discussion.references] == [
        ("참고링크", "blog", 4),
        ("영상", "video", 6),
        ("코드", "code", 7),
        ("참고링크", "blog", 13),
        ("발표 영상", "video", 15),
        ("", "paper", 16),
        ("", "video", 17),
    ]
    assert discussion.description == (
        "인과 그래프로 공정성을 정의합니다.\n\n"
        "Kusner 외, NeurIPS 2017. 자세한 설명은 저자들이 쓴 이 글을 보면 좋습니다: https://blog.example/long"
    )
    assert discussion.participants == ["이정훈", "김소연"]
    q1, q2 = discussion.questions
    assert (q1.author, q2.answers[0].is_open, q1.answers[0].is_open) == (None, True, False)
    assert discussion.warnings == []


@pytest.mark.parametrize(
    "heading_or_marker",
    ["## 참고링크", "## 참고 자료", "## References", "[참고링크]", "- 참고링크 :", "참고 링크:"],
)
def test_a_heading_or_a_line_that_names_the_links_below_it_is_no_text(heading_or_marker):
    text = f"## 논문 Background\n설명입니다.\n{heading_or_marker}\n- https://a.example/1\n## 토론\nQ1.\n"
    discussion = read(text)
    assert [r.url for r in discussion.references] == ["https://a.example/1"]
    assert (discussion.description, discussion.warnings) == ("설명입니다.", [])


def test_it_reads_a_summary_bullet_as_a_summary_reference():
    discussion = read("## 논문\n- 요약 : [PDF](https://some.blog/274)\n## 토론\nQ1.\n")
    assert discussion.references == [Reference("https://some.blog/274", "PDF", "summary", 2)]


def test_it_keeps_prose_between_references_in_the_description():
    text = (
        "## 논문 Background\n1) [https://a.example](https://a.example)\n이건 설명\n\n> 인용도\n## 토론\nQ1.\n"
    )
    discussion = read(text)
    assert discussion.description == "이건 설명\n\n> 인용도"
    assert len(discussion.references) == 1


# --- Cited links -----------------------------------------------------------------------------------


def test_it_cites_each_link_once_in_order_and_leaves_images_out():
    text = (
        "Q1. see [paper](https://a.example/1) and https://b.example/2.\n"
        '![figure](https://img.example/f.png) <img src="https://img.example/g.png">\n'
        "A1. again (https://c.example/3) [again](https://a.example/1) <https://d.example/4>\n"
        "↳ A1. [ftp](ftp://e.example) http://f.example/5\n"
    )
    assert read(text).cited_links() == [
        "https://a.example/1",
        "https://b.example/2",
        "https://c.example/3",
        "https://d.example/4",
        "http://f.example/5",
    ]


# --- What is refused ---------------------------------------------------------------------------------


def test_it_refuses_an_empty_file():
    with pytest.raises(FormatError) as refused:
        read(b"", "empty.md")
    assert str(refused.value) == "empty.md:1: the file is empty"


def test_it_refuses_a_file_of_blank_lines():
    with pytest.raises(FormatError, match="the file is empty"):
        read("\ufeff\n  \r\n")


def test_it_refuses_a_file_without_a_question():
    with pytest.raises(FormatError) as refused:
        read("논문 URL : https://a.example\n\n## 토론\n\n아직 없음\n", "none.md")
    assert str(refused.value).startswith("none.md:3: no question found")


def test_it_refuses_an_answer_before_any_question_naming_file_and_line():
    text = "## 토론\n\n---\n\nA1 (소연). 답\n\nQ1 (정훈). 질문\n"
    with pytest.raises(FormatError) as refused:
        read(text.encode(), "gpt3.md")
    assert str(refused.value) == "gpt3.md:5: answer A1 (소연) comes before any question"
    assert (refused.value.filename, refused.value.line) == ("gpt3.md", 5)
    assert refused.value.message == "answer A1 (소연) comes before any question"


def test_its_format_error_is_a_value_error_with_the_location_in_front():
    error = FormatError("broken", "a.md", 7)
    assert isinstance(error, ValueError)
    assert str(error) == "a.md:7: broken"


# --- The project's notations: replies, tags, the escape ----------------------------------------------


def test_it_reads_a_reply_as_a_reply_to_the_nearest_answer_above():
    question = only_question("Q4 (민상). 질문\nA4 (정훈). 답\nA4 (소연). 답2\n↳ A4 (지성). 동의\n")
    first, second = question.answers
    assert first.replies == []
    assert second.replies == [Answer("A4", "지성", "동의", 4)]


def test_it_reads_a_reply_to_a_reply_one_level_deeper():
    text = "Q1. 질문\nA1 (정훈). 답\n↳ A1 (지성). 하나\n↳↳ A1 (소연). 둘\n↳ A1 (민상). 셋\n"
    answer = only_question(text).answers[0]
    assert [(reply.author, [r.author for r in reply.replies]) for reply in answer.replies] == [
        ("지성", ["소연"]),
        ("민상", []),
    ]


def test_it_refuses_a_reply_with_no_answer_above_it():
    with pytest.raises(FormatError) as refused:
        read("Q1. 질문\n↳ A1 (지성). 동의\n", "r.md")
    assert str(refused.value) == "r.md:2: reply ↳ A1 (지성) has no answer above it to reply to"


def test_it_refuses_a_reply_two_levels_below_an_answer():
    with pytest.raises(FormatError) as refused:
        read("Q1. 질문\nA1. 답\n↳↳ A1 (소연). 동의\n", "r.md")
    assert str(refused.value) == "r.md:3: reply ↳↳ A1 (소연) has no ↳ reply above it to reply to"


def test_it_does_not_let_a_reply_reach_back_past_a_question():
    with pytest.raises(FormatError, match="^r.md:4: reply ↳ A1 has no answer above it"):
        read("Q1. 질문\nA1. 답\nQ2. 새 질문\n↳ A1. 동의\n", "r.md")


def test_it_reads_tags_directly_under_a_question_label():
    question = only_question("Q1 (정훈).\n<!-- tags: bias, few-shot -->\n질문\n")
    assert question.tags == ["bias", "few-shot"]
    assert question.body == "질문"


def test_it_keeps_a_tags_comment_elsewhere_in_the_body():
    question = only_question("Q1 (정훈). 질문\n\n<!-- tags: bias -->\n")
    assert question.tags == []
    assert question.body == "질문\n\n<!-- tags: bias -->"


def test_it_removes_one_backslash_from_an_escaped_structural_line():
    text = "Q1. 질문\n\\Q1. 이건 인용\n\\## 제목 같은 줄\n\\---\n\\> 인용 표시\n\\\\A1. 두 번\n\\그냥 줄\n"
    assert (
        only_question(text).body
        == "질문\nQ1. 이건 인용\n## 제목 같은 줄\n---\n> 인용 표시\n\\A1. 두 번\n\\그냥 줄"
    )


def test_it_removes_the_escape_from_description_lines():
    text = "## 논문 Background\n[설명]\n\\[설명]\n\\1) [https://a.example](https://a.example)\n## 토론\nQ1.\n"
    discussion = read(text)
    assert discussion.description == "[설명]\n1) [https://a.example](https://a.example)"
    assert discussion.references == []


# --- Anything either reads or is refused ---------------------------------------------------------------

STRUCTURE_LIKE_LINES = [
    "Q1 (정훈). 질문",
    "A1 (소연). 답",
    "A9 (쯔위).",
    "↳ A1 (지성). 답글",
    "↳↳ A2. 답글",
    "## 토론",
    "## 논문 Background",
    "## 참여자",
    "## 메모",
    "---",
    "<br>",
    "> 인용",
    "- Q1.",
    "[설명]",
    "1) GPT1 : [https://a.example](https://a.example)",
    "- 요약 : [PDF](https://b.example)",
    "- 논문 Background : 배경",
    "<!-- tags: a, b -->",
    "\\Q1.",
    "논문 URL : [x](https://c.example)",
    "",
]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_either_reads_or_is_refused(text):
    with contextlib.suppress(FormatError):
        read(text)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_any_bytes_either_read_or_are_refused(data):
    with contextlib.suppress(FormatError):
        read(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(STRUCTURE_LIKE_LINES), st.text(max_size=30)), max_size=25))
def test_any_mix_of_structure_like_lines_either_reads_or_is_refused(lines):
    try:
        discussion = read("\n".join(lines))
    except FormatError as error:
        assert error.line >= 1
    else:
        assert discussion.questions


# --- Values the archive cannot store or link to: refused with file:line, or kept as text ----------


def refusal(text: str) -> str:
    with pytest.raises(FormatError) as refused:
        read(text, "bad.md")
    return str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- 제목 : " + "t" * 301 + "\n\nQ1 (a). q\n",
            "bad.md:1: the title is 301 characters long; at most 300 fit",
        ),
        (
            "## 논문\n- 원본 : [x](javascript:alert(1))\n\nQ1 (a). q\n",
            "bad.md:2: the link scheme 'javascript:'",
        ),
        ("- 원본 : [x](JaVaScRiPt:alert(1))\n\nQ1 (a). q\n", "bad.md:1: the link scheme 'javascript:'"),
        (
            "- 원본 : [x]( JaVa\tScRiPt:alert(1))\n\nQ1 (a). q\n",
            "bad.md:1: '[x]( JaVa\\tScRiPt:alert(1))' is not",
        ),
        ("- 원본 : https://e.com/" + "u" * 500 + "\n\nQ1 (a). q\n", "bad.md:1: the paper URL is 514"),
        ("Q" + "1" * 40 + " (a). q\n", "bad.md:1: the label is 41 characters long; at most 30 fit"),
        ("## 참여자\n" + "가" * 150 + "\n\n## 토론\nQ1 (a). q\n", "bad.md:2: the name is 150"),
        ("Q1 (a).\n<!-- tags: !!! -->\n질문\n", "bad.md:2: the topic name '!!!' has no letter or digit"),
        ("Q1 (a).\n<!-- tags: " + "t" * 101 + " -->\n질문\n", "bad.md:2: the topic name is 101"),
        (
            'Q1 (a).\n<!-- tags: "bias -->\n질문\n',
            "bad.md:2: the topic name '\"bias' holds a comma, a double quote",
        ),
        (
            "## 논문 Background\n1) https://e.com/" + "u" * 1000 + "\n\nQ1 (a). q\n",
            "bad.md:2: the reference URL",
        ),
        (
            "## 논문 Background\n1) " + "l" * 301 + " : https://e.com\n\nQ1 (a). q\n",
            "bad.md:2: the reference label",
        ),
        ("Q1 (a). 질문\nA1 (b). 답\x00\n", "bad.md:2: the line holds a NUL character (U+0000)"),
    ],
)
def test_a_value_that_cannot_be_stored_refuses_the_file_naming_its_line(text, expected):
    assert refusal(text).startswith(expected)


def test_a_nul_byte_in_the_file_is_refused_with_its_line():
    assert refusal(b"Q1 (a). q\n\nA1 (b). \x00\n").startswith("bad.md:3: the line holds a NUL")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "vbscript:x", "data:text/html,hi", "JaVaScRiPt:x"])
def test_a_reference_a_page_may_not_link_to_is_kept_as_text_with_a_warning(url):
    discussion = read(f"## 논문 Background\n1) 나쁜 링크 : [x]({url})\n2) https://ok.example\n\nQ1 (a). q\n")
    assert [ref.url for ref in discussion.references] == ["https://ok.example"]
    assert url in discussion.description
    (warning,) = discussion.warnings
    assert warning.line == 2 and "is not allowed" in warning.message and "kept as text" in warning.message


def test_a_summary_link_a_page_may_not_link_to_is_kept_as_text():
    discussion = read("## 논문\n- 요약 : [요약](javascript:alert(1))\n\nQ1 (a). q\n")
    assert discussion.references == []
    assert "javascript:alert(1)" in discussion.description


def test_links_in_bodies_that_are_no_web_links_are_not_cited():
    discussion = read("Q1 (a). [x](javascript:alert(1)) and https://ok.example/" + "u" * 1000 + "\n")
    assert discussion.cited_links() == []
    assert "javascript:alert(1)" in discussion.questions[0].body  # the text stays


def test_control_characters_are_dropped_with_one_warning_naming_the_first_line():
    discussion = read("Q1 (a). 질문\x0c입니다\nA1 (b). 답\x1b[0m\x0b\n")
    assert discussion.questions[0].body == "질문입니다"
    assert discussion.questions[0].answers[0].body == "답[0m"
    assert discussion.warnings == [
        ReadWarning(1, "control characters (such as form feeds) are removed; they show as nothing")
    ]


def deep_file(depth: int) -> str:
    lines = ["Q1 (a). 질문", "A1 (b). 답"]
    lines += [f"{'↳' * level} A1 (c{level % 7}). 답글 {level}" for level in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def test_a_thread_a_thousand_replies_deep_reads_without_recursion():
    discussion = read(deep_file(1000))
    answer, depth = discussion.questions[0].answers[0], 0
    while answer.replies:
        (answer,) = answer.replies
        depth += 1
    assert depth == 1000 and answer.body == "답글 1000"
    assert discussion.cited_links() == []  # walks every body, with a stack


def test_the_project_notes_a_sessions_date_presenter_reference_kinds_and_discussed_questions():
    from discussions import reader

    text = (
        "## 논문\n- 제목 : T\n- 날짜 : 2026-12-08\n- 발표 : 정훈\n"
        "## 논문 Background\n1) Talk : [https://example.org/t](https://example.org/t) <!-- kind: video -->\n"
        "## 토론\nQ1 (소연).\n<!-- tags: bias -->\n<!-- discussed -->\n질문\nQ2 (지성). 다른 질문\n"
    )
    read = reader.read(text, filename="s.md")
    assert (read.session_date, read.presenter) == ("2026-12-08", "정훈")
    assert [(r.label, r.kind) for r in read.references] == [("Talk", "video")]
    assert [(q.discussed, q.tags, q.body) for q in read.questions] == [
        (True, ["bias"], "질문"),
        (False, [], "다른 질문"),
    ]


@pytest.mark.parametrize("value", ["12월 8일", "2026-13-01", "2026-12-8"])
def test_a_date_that_is_not_iso_stays_in_the_description_with_a_warning(value):
    from discussions import reader

    read = reader.read(f"## 논문\n- 제목 : T\n- 날짜 : {value}\n## 토론\nQ1. 질문\n", filename="s.md")
    assert read.session_date == ""
    assert value in read.description
    assert any(w.line == 3 for w in read.warnings)
