"""discussions.lineage: which post of one version of a file is which post of the next, by text.

Pure: versions are read with the reader, no database."""

from discussions import lineage, reader


def versions(*texts):
    return [reader.read(text.encode(), filename=f"v{n}.md").questions for n, text in enumerate(texts)]


def posts(text):
    return [(post.label, post.author) for post in lineage.walk(versions(text)[0])]


SIGNED = """## 토론
Q1 (정훈). GPT-3는 왜 few-shot에서만 잘 되나요? 모델 크기와 관련이 있을까요?

A1 (소연). 모델이 커질수록 in-context learning 능력이 생기는 것 같습니다.

A2 (민상). 저는 데이터의 다양성이 더 중요하다고 생각합니다.

Q2 (민상). Table 3의 결과가 이상하지 않나요? 번역 성능이 너무 낮게 나왔어요.

A1 (정훈). 영어 위주의 학습 데이터 때문일 것 같아요.
"""

# The restyle: signatures dropped, answers renumbered under their question's number.
UNSIGNED = """## 토론
- Q1. GPT-3는 왜 few-shot에서만 잘 되나요? 모델 크기와 관련이 있을까요?
>- A1-1. 모델이 커질수록 in-context learning 능력이 생기는 것 같습니다.
>- A1-2. 저는 데이터의 다양성이 더 중요하다고 생각합니다.

- Q2. Table 3의 결과가 이상하지 않나요? 번역 성능이 너무 낮게 나왔어요.
>- A2-1. 영어 위주의 학습 데이터 때문일 것 같아요.
"""


def test_a_restyle_that_drops_signatures_and_renumbers_keeps_every_post():
    found = lineage.follow(versions(SIGNED, UNSIGNED))

    assert found.ids[0] == found.ids[1]
    assert found.keys[1] == found.keys[0] == ["Q1|정훈|1", "A1|소연|1", "A2|민상|1", "Q2|민상|1", "A1|정훈|1"]
    # The authors the signed version gave stay with the unsigned posts.
    assert found.authors[1] == ["정훈", "소연", "민상", "민상", "정훈"]
    assert set(found.born.values()) == {0}


def test_an_author_stays_until_a_later_version_signs_someone_else():
    resigned = UNSIGNED.replace(">- A1-2.", ">- A1-2 (지성).")
    found = lineage.follow(versions(SIGNED, UNSIGNED, resigned))
    assert found.authors[2][2] == "지성"
    assert found.ids[2] == found.ids[0]


def test_two_near_identical_answers_each_keep_their_own_lineage_when_one_is_edited_and_renumbered():
    before = """## 토론
Q1 (정훈). 이 방법의 한계는 무엇일까요? 실험이 충분하지 않은 것 같습니다.

A1 (소연). 저도 같은 생각입니다. 실험이 더 필요해 보여요.

A2 (민상). 저도 같은 생각입니다. 실험이 더 필요해 보여요!
"""
    # The second is edited a little and the two swap places and numbers.
    after = """## 토론
- Q1. 이 방법의 한계는 무엇일까요? 실험이 충분하지 않은 것 같습니다.
>- A1-1. 저도 같은 생각입니다. 실험이 더 많이 필요해 보여요!
>- A1-2. 저도 같은 생각입니다. 실험이 더 필요해 보여요.
"""
    found = lineage.follow(versions(before, after))
    q, first, second = found.ids[0]
    # The unchanged text is the first answer; the edited one is the second.
    assert found.ids[1] == [q, second, first]
    assert found.authors[1] == ["정훈", "민상", "소연"]


def test_an_answer_edited_a_little_and_renumbered_is_the_same_answer():
    before = SIGNED
    after = UNSIGNED.replace(
        "모델이 커질수록 in-context learning 능력이 생기는 것 같습니다.",
        "모델이 커질수록 in-context learning 능력이 생기는 것 같아요. (Figure 3.1 참고)",
    )
    found = lineage.follow(versions(before, after))
    assert found.ids[1] == found.ids[0]
    assert found.keys[1][1] == "A1|소연|1"


def test_an_answer_that_grew_is_the_same_answer():
    grown = SIGNED.replace(
        "저는 데이터의 다양성이 더 중요하다고 생각합니다.",
        "저는 데이터의 다양성이 더 중요하다고 생각합니다. 논문의 Table 2를 보면 데이터를 섞은 비율에 따라 "
        "성능 차이가 크게 나고, 특히 웹 데이터의 품질을 걸러낸 부분이 중요했다고 합니다.",
    )
    found = lineage.follow(versions(SIGNED, grown))
    assert found.ids[1] == found.ids[0]


def test_a_post_split_in_two_continues_as_one_part_and_the_other_is_new():
    before = """## 토론
Q1 (정훈). 질문입니다. 이 논문의 핵심 기여는 무엇인가요?

A1 (소연). 첫째로 모델 크기를 키워서 few-shot 성능을 보였습니다.
둘째로 벤치마크 오염 문제를 자세히 분석했습니다.
"""
    after = """## 토론
Q1 (정훈). 질문입니다. 이 논문의 핵심 기여는 무엇인가요?

A1 (소연). 첫째로 모델 크기를 키워서 few-shot 성능을 보였습니다.

A2 (소연). 둘째로 벤치마크 오염 문제를 자세히 분석했습니다.
"""
    found = lineage.follow(versions(before, after))
    q, answer = found.ids[0]
    assert found.ids[1][:2] == [q, answer]
    assert found.ids[1][2] not in (q, answer)
    assert found.born[found.ids[1][2]] == 1
    assert found.keys[1] == ["Q1|정훈|1", "A1|소연|1", "A2|소연|1"]


def test_an_open_answer_filled_in_is_the_same_answer():
    open_answer = SIGNED + "\nA2 (지성).\n"
    filled = SIGNED + "\nA2 (지성). 채워 넣은 답입니다.\n"
    found = lineage.follow(versions(open_answer, filled))
    assert found.ids[1] == found.ids[0]


def test_a_new_post_under_a_label_a_removed_one_had_gets_a_key_of_its_own():
    without = SIGNED.replace("A2 (민상). 저는 데이터의 다양성이 더 중요하다고 생각합니다.\n", "")
    old = "저는 데이터의 다양성이 더 중요하다고 생각합니다."
    again = SIGNED.replace(old, "전혀 다른 이야기, 비용 말이에요.")
    found = lineage.follow(versions(SIGNED, without, again))
    assert len(found.ids[1]) == 4
    assert found.ids[2][2] not in found.ids[0]
    # The row of the removed answer may be kept (a member replied to it): never the same key.
    assert found.keys[2][2] == "A2|민상|1~2"


def test_a_question_inserted_above_leaves_the_others_as_they_were():
    inserted = SIGNED.replace("## 토론\n", "## 토론\nQ0 (지성). 새로 끼워 넣은 질문입니다, 맨 앞에요.\n\n")
    found = lineage.follow(versions(SIGNED, inserted))
    assert found.ids[1][1:] == found.ids[0]
    assert found.born[found.ids[1][0]] == 1


def test_an_answer_and_its_replies_are_matched_within_their_question_only():
    two = """## 토론
Q1 (정훈). 첫 번째 질문입니다, 데이터에 관해서.

A1 (소연). 같은 답입니다.

Q2 (민상). 두 번째 질문입니다, 모델에 관해서.

A1 (소연). 같은 답입니다.
"""
    found = lineage.follow(versions(two, two))
    assert found.ids[1] == found.ids[0]
    assert len(set(found.ids[0])) == 4


def test_an_open_answer_renumbered_by_the_restyle_keeps_its_owner():
    signed = SIGNED + "\nA2 (지성).\n"
    unsigned = UNSIGNED + ">- A2-2.\n"
    found = lineage.follow(versions(signed, unsigned))
    assert found.ids[1] == found.ids[0]
    assert found.authors[1][-1] == "지성"


def test_a_file_rewritten_from_top_to_bottom_is_compared_in_linear_time_first(monkeypatch):
    """120 questions rewritten: 14,400 pairs, each stopped by the linear bound, none compared by
    difflib's quadratic ratio (which took seconds for a file this size)."""
    from difflib import SequenceMatcher

    compared = []
    ratio = SequenceMatcher.ratio
    monkeypatch.setattr(SequenceMatcher, "ratio", lambda self: compared.append(1) or ratio(self))
    before = "## 토론\n" + "".join(
        f"Q{n} (정훈). {n}번째 질문입니다, 모델 {n}의 크기와 데이터 {n * 7}에 관해 묻습니다.\n\n"
        for n in range(1, 121)
    )
    after = "## 토론\n" + "".join(f"- Q{n}. Rewritten from scratch, topic {n * 11}.\n" for n in range(1, 121))
    found = lineage.follow(versions(before, after))
    assert len(found.ids[1]) == 120
    assert set(found.ids[1]).isdisjoint(found.ids[0])
    assert len(compared) == 0
