"""The places a question names in the paper: which words are a figure, a table, a section, a page, an
equation or an appendix, and which numbers are none (versions, money, sizes, dates, code, links)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from discussions.places import KINDS, Place, find_places, place_key


def found(text):
    return [(place.kind, place.number, place.text) for place in find_places(text)]


# Sentences in the style of the group's files (fixtures/gpt3-discussion.md), with what they name.
SENTENCES = [
    # The seed's own.
    (
        "Q4 (소연). 6.2의 bias, fairness& representation에서 다뤄지듯 모델 자체가 편향된 결과를 낸다는건",
        [("section", "6.2", "6.2")],
    ),
    (
        "제가 신기한 부분은 Figure 2.1을 보면 zero-shot/ one-shot/ few-shot은 inference에서",
        [("figure", "2.1", "Figure 2.1")],
    ),
    (
        "그리고 본 논문의 Page.4 의 하단 주석을 보면 meta learning과 few shot task에 대한 구분을",
        [("page", "4", "Page.4")],
    ),
    # Figures.
    ("Figure3에서 보이듯 모델이 커질수록 few-shot 성능이 빠르게 올라갑니다.", [("figure", "3", "Figure3")]),
    ("Fig. 3의 그래프는 log scale인가요?", [("figure", "3", "Fig. 3")]),
    ("figure 2를 보면 in-context learning의 예시가 나옵니다.", [("figure", "2", "figure 2")]),
    ("Figures 3.1 shows smooth scaling of the validation loss.", [("figure", "3.1", "Figures 3.1")]),
    ("그림 3을 보면 파라미터 수에 따른 loss 곡선이 있습니다.", [("figure", "3", "그림 3")]),
    ("그림3처럼 zero-shot은 예제 없이 설명만 줍니다.", [("figure", "3", "그림3")]),
    ("Figure G.1 in the appendix has the full results.", [("figure", "G.1", "Figure G.1")]),
    ("Fig.1.2의 aggregate performance가 인상적이었습니다.", [("figure", "1.2", "Fig.1.2")]),
    # Tables.
    ("Table 6에서 TriviaQA 결과가 fine-tuned SOTA와 비슷하다고 나와 있습니다.", [("table", "6", "Table 6")]),
    ("Tab. 2의 모델 크기별 learning rate는 어떻게 정했을까요?", [("table", "2", "Tab. 2")]),
    ("표 2에 나온 batch size가 1M이 넘는데 가능한가요?", [("table", "2", "표 2")]),
    ("table 3.3 shows the results on the SuperGLUE benchmark.", [("table", "3.3", "table 3.3")]),
    ("Table 2.2와 Table 2.1을 비교해 보면", [("table", "2.2", "Table 2.2"), ("table", "2.1", "Table 2.1")]),
    # Sections.
    ("section 2.5에 평가 방법이 설명되어 있는데 이해가 잘 안 됩니다.", [("section", "2.5", "section 2.5")]),
    ("Section 4에서 data contamination을 다루는 방식이 궁금합니다.", [("section", "4", "Section 4")]),
    ("§4를 읽어보면 overlap을 측정한 방법이 나옵니다.", [("section", "4", "§4")]),
    ("§ 4.1 참고", [("section", "4.1", "§ 4.1")]),
    ("3절에서 few-shot 결과를 task별로 정리하고 있습니다.", [("section", "3", "3절")]),
    ("3.2절의 closed book QA 부분", [("section", "3.2", "3.2절")]),
    ("6.2에서 말하는 gender bias는 어떻게 측정했나요?", [("section", "6.2", "6.2")]),
    ("6.2 에서 다룬 내용과 비슷한데요", [("section", "6.2", "6.2")]),
    ("3.9.1의 arithmetic 실험에서 두 자리 덧셈은 거의 100%였습니다.", [("section", "3.9.1", "3.9.1")]),
    ("Sec. 5 on limitations mentions sample efficiency.", [("section", "5", "Sec. 5")]),
    ("섹션 7의 related work", [("section", "7", "섹션 7")]),
    # Pages.
    ("page 4 하단 각주에 meta-learning 정의가 있습니다.", [("page", "4", "page 4")]),
    ("p. 4 footnote에 있습니다.", [("page", "4", "p. 4")]),
    ("pp. 4-5에 걸쳐 설명되어 있어요.", [("page", "4", "pp. 4")]),
    ("4페이지 하단 주석을 보시면 됩니다.", [("page", "4", "4페이지")]),
    ("논문 34쪽의 그래프", [("page", "34", "34쪽")]),
    ("Pages 12 and 13 show the broader impacts.", [("page", "12", "Pages 12")]),
    # Equations.
    ("Eq. (3)에서 conditional probability를 쓰는 이유가 있을까요?", [("equation", "3", "Eq. (3)")]),
    ("Equation 3 is the language modeling objective.", [("equation", "3", "Equation 3")]),
    ("식 (3)의 의미가 궁금합니다.", [("equation", "3", "식 (3)")]),
    ("수식 3을 보면 joint probability를 factorize합니다.", [("equation", "3", "수식 3")]),
    ("식(2.1)은 cross entropy인가요?", [("equation", "2.1", "식(2.1)")]),
    # Appendices.
    ("Appendix B에 학습 세부 사항이 있습니다.", [("appendix", "B", "Appendix B")]),
    ("부록 B를 보면 모델 학습에 쓴 Adam 설정이 나옵니다.", [("appendix", "B", "부록 B")]),
    ("Appendix C.1의 filtering", [("appendix", "C.1", "Appendix C.1")]),
    # Counted places: a number or a Korean ordinal word (첫번째 … 열번째 and beyond), then the word.
    ("5번 섹션에서 다룬 ablation이 궁금합니다.", [("section", "5", "5번 섹션")]),
    ("3번째 섹션의 내용을 보면", [("section", "3", "3번째 섹션")]),
    ("두번째 페이지에 나온 그래프", [("page", "2", "두번째 페이지")]),
    ("두 번째 페이지를 보시면", [("page", "2", "두 번째 페이지")]),
    ("첫번째 그림이 전체 구조입니다.", [("figure", "1", "첫번째 그림")]),
    ("세 번째 표를 보면 BLEU가 낮습니다.", [("table", "3", "세 번째 표")]),
    ("열번째 페이지까지 읽었어요.", [("page", "10", "열번째 페이지")]),
    ("열두번째 식은 무슨 뜻인가요?", [("equation", "12", "열두번째 식")]),
    ("2번 수식이 loss입니다.", [("equation", "2", "2번 수식")]),
    ("4 번째 절 참고", [("section", "4", "4 번째 절")]),
    # A section number before the word.
    ("2.1 섹션에서 설명하는 attention", [("section", "2.1", "2.1 섹션")]),
    ("3.2섹션을 참고하세요", [("section", "3.2", "3.2섹션")]),
    # A range of equations is one place, its first equation, shown as written.
    ("식 (1)~(6)을 차례로 보면", [("equation", "1", "식 (1)~(6)")]),
    ("Eq. (2)-(4) define the encoder.", [("equation", "2", "Eq. (2)-(4)")]),
    ("수식 (1) ~ (3)과 식 (7)", [("equation", "1", "수식 (1) ~ (3)"), ("equation", "7", "식 (7)")]),
    # Several in one sentence, both languages.
    (
        "Figure 3.10이랑 Table 3.9, 그리고 3.9절의 arithmetic 결과를 같이 보면",
        [("figure", "3.10", "Figure 3.10"), ("table", "3.9", "Table 3.9"), ("section", "3.9", "3.9절")],
    ),
    ("논문Figure 1.1과 표 1을 보면", [("figure", "1.1", "Figure 1.1"), ("table", "1", "표 1")]),
]

# Numbers that are no place: each sentence names nothing.
NO_PLACES = [
    "Q1 (정훈). GPT-3를 실서비스에 사용할 수 있을까요?",
    "GPT-3는 GPT-2보다 100배 이상 큽니다.",
    "v2.1에서 바뀐 tokenizer",
    "Python 3.11에서 돌려봤습니다.",
    "GPT 3.5의 성능은 어떨까요?",
    "학습 비용이 $4.6M 정도라고 합니다.",
    "460만 달러가 들었다고 하네요.",
    "175B 모델과 13B 모델의 차이",
    "2.7B parameters 모델은 성능이 애매합니다.",
    "2.7B의 성능은 어땠나요?",
    "2020.05에 공개된 논문입니다.",
    "2020년 5월에 arXiv에 올라왔습니다.",
    "정확도가 86.4%로 올랐습니다.",
    "정확도 6.2%의 차이가 납니다.",
    "few-shot이 zero-shot보다 1.5배 좋습니다.",
    "세션은 10:30에 시작합니다.",
    "temperature 0.5로 샘플링했습니다.",
    "0.5의 확률로 뽑습니다.",
    "π는 3.14 정도입니다.",
    "loss가 2.7에서 3.1로 바뀌었어요.",
    "논문 URL : [https://arxiv.org/abs/2005.14165](https://arxiv.org/abs/2005.14165)",
    "arXiv 2005.14165의 v4",
    "`Figure 2.1` 같은 이름의 변수",
    "```\nsection 2.5 = load()\n```",
    "[그림 보기](https://example.org/Figure-3/page 4)",
    "https://example.org/table 6 에서",
    "발표 2번째 슬라이드",
    "대표 3가지 방법",
    "그림 3개를 준비했습니다.",
    "방식 (3) 가지가 있습니다.",
    "1 절대적인 지표가 있을까요?",
    "동물 그림만보고 향후 분류해야한다는 것",
    "stable 3 runs",
    "appendix a lot of details",
    "Appendix Bert",
    "비전쪽에도 one-shot, zero-shot 등이 있다는 건",
    "step. 4 is next",
    # Counts and orders of things that are no place.
    "두번째로 중요한 점은 데이터입니다.",
    "3번째 질문에 대한 답입니다.",
    "5번 답변을 보면",
    "1~2개 정도만 보면 됩니다.",
    "섹션을 두 번 읽었습니다.",
    "두 번 섹션을 나눴어요.",
    "5번 표현이 어색합니다.",
    "3번째 표시된 부분",
    "두번째 방식으로 풀면",
    "첫번째 절대 기준은",
    "이런 식으로 세번째 식으로",
    "2번째 그림자",
    "10번 쪽지",
    "Q5번 섹션",
    "A1-2번 답변",
    "2020.05 섹션",
    "v2.1 섹션",
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_it_finds_the_places_a_sentence_names(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", NO_PLACES)
def test_it_finds_no_place_in_numbers_that_are_not_places(text):
    assert found(text) == []


def test_a_place_keeps_its_offsets_in_the_text_as_written():
    text = "그리고 Figure 2.1을 보면, 그리고 6.2의 bias"
    first, second = find_places(text)
    assert text[first.start : first.end] == "Figure 2.1"
    assert text[second.start : second.end] == "6.2"
    assert (first.start, second.start) == (4, 24)


def test_a_place_outside_a_code_span_is_found_beside_one():
    assert found("`x = 2.1` 말고 Figure 2.1을 보면") == [("figure", "2.1", "Figure 2.1")]


def test_an_unclosed_backtick_is_a_backtick_and_hides_nothing():
    assert found("` Figure 2") == [("figure", "2", "Figure 2")]


def test_a_link_s_text_is_a_place_but_its_target_is_not():
    assert found("[Figure 2](https://arxiv.org/pdf/2005.14165#page=4)") == [("figure", "2", "Figure 2")]


def test_a_link_target_ends_on_its_line():
    assert found("[a](b\nFigure 4)에서") == [("figure", "4", "Figure 4")]


def test_a_bare_section_number_before_another_number_is_a_place_unless_it_starts_a_range():
    assert found("6.2의 3번째 문단") == [("section", "6.2", "6.2")]
    assert found("6.2에서 3번째 문단") == []


def test_place_key_groups_the_same_place_written_two_ways():
    english, korean = find_places("Figure 3 and 그림 3")
    assert place_key(english) == place_key(korean) == "figure:3"
    assert english.text != korean.text


def test_a_place_is_a_frozen_value():
    place = find_places("Table 6")[0]
    assert place == Place(kind="table", number="6", start=0, end=7, text="Table 6")
    with pytest.raises(AttributeError):
        place.number = "7"


# Text made of prose pieces (anything but a backtick) and code spans: the spans' offsets are known.
_prose = st.text(st.characters(blacklist_characters="`", blacklist_categories=("Cs",)), max_size=40)
_places_text = st.sampled_from(
    ["Figure 2.1", "표 2", "6.2의", "Page.4", "§4", "Appendix B", "식 (3)", " "]
    + ["식 (1)~(6)", "두번째 페이지", "5번 섹션", "2.1 섹션"]
)
_piece = st.one_of(_prose, _places_text, st.tuples(_prose, _places_text).map("".join))
_code = st.builds(lambda inner: f"`{inner}`", st.one_of(_prose, _places_text))


@given(st.text())
def test_any_text_is_read_without_error_and_each_place_slices_back_to_its_text(text):
    for place in find_places(text):
        assert text[place.start : place.end] == place.text
        assert place.kind in KINDS
        assert place.number


@given(st.lists(st.tuples(_piece, st.booleans(), _code), max_size=8))
def test_no_place_is_found_inside_backticks(parts):
    text, code_spans = "", []
    for prose, has_code, code in parts:
        text += prose
        if has_code:
            if text.endswith("`"):
                # Two spans side by side are one run of backticks to CommonMark ("``" + "`x`" is
                # "```x`", no code span at all): a space keeps them two, as the test means them.
                text += " "
            code_spans.append((len(text), len(text) + len(code)))
            text += code
    for place in find_places(text):
        assert not any(start < place.end and place.start < end for start, end in code_spans), (text, place)


def test_backticks_that_close_nothing_are_text_and_their_places_count():
    # As CommonMark shows them: "```" opens nothing here, so FIGURE1 is read as the page shows it.
    assert [place.text for place in find_places("```FIGURE1`")] == ["FIGURE1"]
    assert find_places("`` `FIGURE1`") == []
