"""The group's template placeholders on import: `이름` makes no participant, `A7. 답변` is an open slot
(rules.PLACEHOLDER_NAMES, rules.PLACEHOLDER_BODIES)."""

from discussions import reader
from discussions.importer import import_discussion
from discussions.models import Answer, Participant

TEMPLATE_LEFTOVERS = """## 논문
- 제목 : Counterfactual Fairness
- 원본 : [https://arxiv.org/abs/1703.06856](https://arxiv.org/abs/1703.06856)
- 발표 : 이름

## 참여자
이정훈, 김소연, 이름

## 토론
- Q1 (이름). 인과 그래프는 누가 정하나요?
>- A1. 도메인 전문가가 정합니다.
- Q7. 반사실적 공정성은 측정할 수 있나요?
>- A7. 답변
"""


def test_a_placeholder_name_makes_no_participant_and_a_placeholder_body_is_an_open_slot(db):
    discussion = reader.read(TEMPLATE_LEFTOVERS, "4. Counterfactual Fairness.md")
    paper = import_discussion(discussion, filename="4. Counterfactual Fairness.md").paper

    assert not Participant.objects.filter(name__contains="이름").exists()
    assert not Participant.objects.filter(full_name__contains="이름").exists()
    assert paper.presenter is None
    assert set(paper.participants.values_list("name", flat=True)) == {"이정훈", "김소연"}
    q1, q7 = paper.questions.order_by("position")
    assert q1.author is None
    placeholder = Answer.objects.get(question=q7)
    assert (placeholder.body, placeholder.author) == ("", None)
    assert list(Answer.objects.open()) == [placeholder]
