"""Places in the paper, pure (no database): "Figure 2.1을 보면", "6.2의 bias", "Page.4 의 하단 주석".

A fifth of the group's questions point at a figure, a table, a section, a page, an equation or an
appendix of the paper in plain words, in English or Korean. `find_places(text)` finds them, with
their offsets in the text as written, so a page can link each one to the paper's PDF
(`pdfindex.py` says on which page each starts).

It errs on the side of missing a place rather than inventing one: a number is a place only next to a
word that says what it is (`Figure`, `표`, `절`, `페이지`, …), or, for a bare section number, written
like one (`6.2`, no leading zero) and followed by a Korean particle (`6.2의`, `6.2에서`), or counted
before the word (`5번 섹션`, `3번째 섹션`, `두번째 페이지`, `2.1 섹션`). A range (`식 (1)~(6)`) is one
place, the first of it, shown as written. Versions
(`GPT-3`, `v2.1`, `Python 3.11`), money, sizes (`175B`), dates, percentages, counts (`1.5배`, `그림 3개`),
decimals, arXiv ids, URLs, Markdown link targets and code spans (between backticks) are never places.
"""

import bisect
import re
from dataclasses import dataclass

KINDS = ("figure", "table", "section", "page", "equation", "appendix")


@dataclass(frozen=True)
class Place:
    kind: str  # one of KINDS
    number: str  # normalised label: "2.1", "6", "B", "B.1", "4"
    start: int  # offsets in the text: text[start:end] == text_as_written
    end: int
    text: str  # as written: "Figure 2.1", "6.2", "Page.4", "식 (3)"


def place_key(place: Place) -> str:
    """The place as one string, such as "figure:2.1", the same however it is written: for grouping
    and filtering."""
    return f"{place.kind}:{place.number}"


def place_of_key(key: str) -> Place:
    """The place a key names (its offsets and text are not kept in the key)."""
    kind, _, number = key.partition(":")
    return Place(kind=kind, number=number, start=0, end=0, text=key)


# A label: "2.1", "6", or one of an appendix's ("B.1"; appendix letters are capitals, whatever the
# case of the word before them, so "appendix a lot" is no place).
_NUMBER = r"(?:[1-9]\d{0,2}(?:\.\d{1,3})*|(?-i:[A-Z])(?:\.\d{1,3})+)"
_PAGE = r"[1-9]\d{0,3}"
_LETTER = r"(?-i:[A-Z])(?:\.\d{1,3})*"
# A bare section number: "6.2", "3.1.4", never "0.5", "2.05" or "2020.05".
_SECTION = r"[1-9]\d?(?:\.[1-9]\d?)+"

# After a label: no more digits ("Figure 2.15" is not "Figure 2.1"), no unit or counter: "그림 3개"
# is three pictures, "표 2배" twice, "page 4%" nothing.
_NOT_A_COUNT = (
    r"(?!\.?\d)(?![A-Za-z0-9_])(?![ \t]*[%％])"
    r"(?!(?:개|가지|장|명|배|번|년|월|일|시간|시|분|초|만|억|천|달러|원|달|주|차|위|살|회|퍼센트))"
)
# Korean words are written without spaces before their particles, so a Korean keyword may follow
# Hangul only where it is a word of its own: "발표 2" and "방식 (3)" are no table and no equation.
_NOT_AFTER_HANGUL = r"(?<![가-힣])"
# English keywords: not the end of a longer word ("subfigure 2" is still "figure 2": fine; "stable 3"
# is not "table 3"). \b would not do: Hangul counts as a word character, and "논문Figure 2" is a place.
_NOT_AFTER_LETTER = r"(?<![A-Za-z])"
# The Korean particles after a bare section number ("6.2의 bias", "6.2 에서 다룬"); "에서" not followed
# by a number, which makes it a range of values ("2.7에서 3.1로").
_PARTICLE = r"(?=[ ]?(?:의|에는|참고|(?:에서는|에서|에선)(?![ ]?\d)))"
# Between the two ends of a range, `식 (1)~(6)`, `Eq. (1)-(3)`.
_RANGE_TO = r"[ \t]*[~\-–—][ \t]*"
# A Korean word for a place ending where a particle may follow ("섹션에서", "표를"), not inside a
# longer word: "표현", "표시", "절대", "절반", "그림자", "식물" are none.
_KO_WORD_END = r"(?=[을를은는이가의에과와도로만까부랑]|[^가-힣]|$)"
# "5번 섹션", "3번째 섹션", "두번째 페이지", "열두 번째 그림": a number or a Korean ordinal word, then the
# word that says what it counts. Ordinal words need 번째 ("두 번 섹션을 읽었다" is twice).
_ORDINAL_WORDS = ["첫", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열"]
_ORDINAL_WORDS += ["열한", "열두", "열세", "열네", "열다섯", "열여섯", "열일곱", "열여덟", "열아홉", "스무"]
ORDINALS = {word: number for number, word in enumerate(_ORDINAL_WORDS, start=1)}
ORDINAL_KINDS = {
    "섹션": "section",
    "절": "section",
    "페이지": "page",
    "쪽": "page",
    "그림": "figure",
    "표": "table",
    "수식": "equation",
    "식": "equation",
}
_ORDINAL_WORD = "|".join(sorted(ORDINALS, key=len, reverse=True))
_ORDINAL_KIND = "|".join(sorted(ORDINAL_KINDS, key=len, reverse=True))

# One pattern per way of writing a place; its group is named after the kind ("figure_ko" → figure).
_PATTERNS = [
    (
        "figure",
        rf"{_NOT_AFTER_LETTER}(?:figures?|figs?\.?)[ \t]*(?P<figure>{_NUMBER})(?:[a-z](?![A-Za-z]))?"
        rf"{_NOT_A_COUNT}",
    ),
    ("figure", rf"{_NOT_AFTER_HANGUL}그림[ \t]*(?P<figure_ko>{_NUMBER}){_NOT_A_COUNT}"),
    ("table", rf"{_NOT_AFTER_LETTER}(?:tables?|tabs?\.)[ \t]*(?P<table>{_NUMBER}){_NOT_A_COUNT}"),
    ("table", rf"{_NOT_AFTER_HANGUL}표[ \t]*(?P<table_ko>{_NUMBER}){_NOT_A_COUNT}"),
    (
        "section",
        rf"(?:{_NOT_AFTER_LETTER}(?:sections?|secs?\.)[ \t]*|§[ \t]*|{_NOT_AFTER_HANGUL}섹션[ \t]*)"
        rf"(?P<section>{_NUMBER}){_NOT_A_COUNT}",
    ),
    # "3절", "3.2절을": the number and 절 written together, 절 a word of its own (not 절대, 절반).
    (
        "section",
        r"(?<![\w.\-])(?P<section_ko>[1-9]\d?(?:\.[1-9]\d?)*)절(?=[을를은는이의에과와도로만]|[^가-힣]|$)",
    ),
    # "2.1 섹션": a section number written before the word.
    (
        "section",
        rf"(?<![\w.\-+$€£¥~×/])(?P<section_before>{_SECTION})(?![\d.])[ ]?섹션{_KO_WORD_END}",
    ),
    # "5번 섹션", "3번째 섹션", "두번째 페이지": the kind is the word after the number (see find_places).
    (
        "ordinal",
        rf"(?:(?<![\w.\-])(?P<ordinal_digits>[1-9]\d?)[ ]?번(?:[ ]?째)?"
        rf"|(?<![가-힣])(?P<ordinal_word>{_ORDINAL_WORD})[ ]?번[ ]?째)"
        rf"[ ]?(?P<ordinal_kind>{_ORDINAL_KIND}){_KO_WORD_END}",
    ),
    # A bare "6.2의": not after letters (`Python 3.11에서`, `v2.1의`) nor inside a longer number.
    ("section", rf"(?<![\w.\-+$€£¥~×/])(?<![A-Za-z][ ])(?P<section_bare>{_SECTION})(?![\d.]){_PARTICLE}"),
    (
        "page",
        rf"{_NOT_AFTER_LETTER}(?:pages?[ \t]*\.?|pp?\.)[ \t]*(?P<page>{_PAGE}){_NOT_A_COUNT}",
    ),
    ("page", rf"(?<![\w.\-])(?P<page_ko>{_PAGE})[ ]?(?:페이지|쪽)"),
    # A range of equations, `식 (1)~(6)`, is one place: the first one, where the range starts (a
    # chip shows the range as written and opens the page of its first equation).
    (
        "equation",
        rf"(?:{_NOT_AFTER_LETTER}(?:eqs?\.|equations?)|{_NOT_AFTER_HANGUL}수식"
        rf"|{_NOT_AFTER_HANGUL}식(?=[ \t]*\())"
        rf"[ \t]*(?:\((?P<equation_paren>{_NUMBER})\)(?:{_RANGE_TO}\({_NUMBER}\))?"
        rf"|(?P<equation>{_NUMBER}){_NOT_A_COUNT})",
    ),
    (
        "appendix",
        rf"(?:{_NOT_AFTER_LETTER}appendix|{_NOT_AFTER_HANGUL}부록)[ \t]*(?P<appendix>{_LETTER})"
        r"(?![A-Za-z0-9_])",
    ),
]
_FINDER = re.compile("|".join(f"(?:{pattern})" for _, pattern in _PATTERNS), re.IGNORECASE)
_KIND_OF_GROUP = {name: name.split("_")[0] for name in _FINDER.groupindex}

# Where nothing is a place: a URL written out, an autolink, an arXiv id (2005.14165).
_NOT_PROSE = re.compile(
    r"<[a-z][a-z0-9+.\-]*:[^<>\s]*>"
    r"|(?:https?|ftp)://[^\s<>]*"
    r"|www\.[^\s<>]*"
    r"|(?<![\d.])\d{4}\.\d{4,5}(?:v\d+)?",
    re.IGNORECASE,
)
_BACKTICKS = re.compile(r"`+")


def places_in(body):
    """The places a body names, each once, in the order it names them (a post's `places`)."""
    found = {}
    for place in find_places(body):
        found.setdefault(place_key(place), place.text)
    return [{"key": key, "text": text} for key, text in found.items()]


def find_places(text: str) -> list[Place]:
    """Every place of the paper the text names, in the order written."""
    if not text:
        return []
    hidden = _hidden_spans(text)
    starts = [start for start, _ in hidden]
    places = []
    for match in _FINDER.finditer(text):
        if _overlaps(hidden, starts, match.start(), match.end()):
            continue
        group = match.lastgroup
        if group == "ordinal_kind":
            kind = ORDINAL_KINDS[match["ordinal_kind"]]
            number = match["ordinal_digits"] or str(ORDINALS[match["ordinal_word"]])
        else:
            kind, number = _KIND_OF_GROUP[group], match.group(group).upper()
        places.append(
            Place(
                kind=kind,
                number=number,
                start=match.start(),
                end=match.end(),
                text=match.group(),
            )
        )
    return places


def _hidden_spans(text):
    """Sorted, non-overlapping (start, end) spans of code, link targets and URLs."""
    spans = _code_spans(text) + _link_targets(text)
    spans = sorted(spans + [match.span() for match in _NOT_PROSE.finditer(text)])
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _code_spans(text):
    """Code spans as CommonMark reads them: a run of backticks up to the next run of the same length
    (fenced blocks are such runs too); a run that nothing closes is a backtick as written."""
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(text)]
    by_length = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    spans = []
    index = 0
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        later = bisect.bisect_right(same, index)
        if later < len(same):
            closing = same[later]
            spans.append((start, runs[closing][1]))
            index = closing + 1
        else:
            index += 1
    return spans


def _link_targets(text):
    """The `(…)` of each `[text](…)` on one line. Found by hand rather than by a regular expression,
    which would read on to the end of the text from each `](` that nothing closes."""
    spans = []
    close = newline = -1  # the next ")" and line break at or after the current position, once found
    start = text.find("](")
    while start != -1:
        if close < start:
            close = text.find(")", start)
            if close == -1:
                break
        if newline < start:
            newline = text.find("\n", start)
            if newline == -1:
                newline = len(text)
        if close < newline:
            spans.append((start + 1, close + 1))
            start = text.find("](", close + 1)
        else:
            start = text.find("](", start + 2)
    return spans


def _overlaps(spans, starts, start, end):
    # The spans do not overlap one another: only the last one starting before `end` can reach `start`.
    index = bisect.bisect_left(starts, end) - 1
    return index >= 0 and spans[index][1] > start
