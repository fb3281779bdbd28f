"""Which topics a question is about, from keyword rules kept in fixtures/topics.toml.

Pure Python (no Django) so the rules can be tested on their own.
"""

import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TopicRule:
    name: str
    description: str
    keywords: tuple[str, ...]
    # The description in other languages (`description_ko = "…"`), by language code.
    translations: tuple[tuple[str, str], ...] = ()

    def description_in(self, language: str) -> str:
        return dict(self.translations).get(language, self.description)


@dataclass(frozen=True)
class TopicRules:
    topics: tuple[TopicRule, ...]
    question_weight: int = 3
    answer_weight: int = 1
    threshold: int = 3

    def topics_for(self, question: str, answers: list[str]) -> list[str]:
        """The names of the topics whose keywords weigh enough in a question and its answers."""
        question = _folded(question)
        answers = [_folded(answer) for answer in answers]
        chosen = []
        for topic in self.topics:
            score = self.question_weight * _hits(topic.keywords, question)
            score += self.answer_weight * sum(_hits(topic.keywords, answer) for answer in answers)
            if score >= self.threshold:
                chosen.append(topic.name)
        return chosen


def load_rules(path: Path | str) -> TopicRules:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    topics = tuple(
        TopicRule(
            name=entry["name"],
            description=entry.get("description", ""),
            keywords=tuple(_folded(word) for word in entry["keywords"]),
            translations=tuple(
                (key.removeprefix("description_"), value)
                for key, value in entry.items()
                if key.startswith("description_")
            ),
        )
        for entry in data.get("topic", [])
    )
    return TopicRules(
        topics=topics,
        question_weight=data.get("question_weight", 3),
        answer_weight=data.get("answer_weight", 1),
        threshold=data.get("threshold", 3),
    )


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _hits(keywords, text: str) -> int:
    """How many different keywords occur in the text (a keyword counts once)."""
    return sum(1 for keyword in keywords if keyword in text)
