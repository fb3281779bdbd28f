"""What a value must be to be stored: the database's limits, and the rules for text and topics.

One definition each: the models take their max_length from here, and the reader, the members'
forms and the admin ask the same functions, so a value refused in one way in is refused in all
of them, with a message, before anything is written. Pure: no database (Django's slugify only,
the function taggit makes a topic's slug with).
"""

import re
import unicodedata

from django.utils.text import slugify

# Column lengths (discussions/models.py uses these).
TITLE_LENGTH = 300  # Paper.title
PAPER_URL_LENGTH = 500  # Paper.url
REFERENCE_URL_LENGTH = 1000  # Reference.url
REFERENCE_LABEL_LENGTH = 300  # Reference.label
LABEL_LENGTH = 30  # Question.label, Answer.label: `Q12`, `A4-1-2`
NAME_LENGTH = 100  # Participant.name and full_name, ParticipantAlias.name
TOPIC_LENGTH = 100  # Topic.name (taggit's TagBase: 100), and so its slug
SOURCE_FILE_LENGTH = 300  # Paper.source_file
IMPORT_KEY_LENGTH = 500  # Question.import_key, Answer.import_key

# Characters XML 1.0 cannot hold (the feeds are XML), all invisible: C0 controls but tab and the
# line breaks, lone surrogates, U+FFFE and U+FFFF. NUL is one of them, and PostgreSQL cannot
# store it in text at all.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def without_controls(text: str) -> str:
    """The text without the characters XML cannot hold: they show as nothing, so nothing is lost."""
    return NOT_XML.sub("", text)


# A title is one line of visible text: it is a mail's Subject (where a line break is a header
# injection, refused by Django with BadHeaderError), a file's `- 제목 :` line, a page's <title>.
# So no control character at all: line breaks (also U+2028/U+2029 and NEL), tabs, the other C0 and
# C1 controls (Cc), and the invisible format characters (Cf: bidi overrides that reverse how a
# title reads, a BOM, a soft hyphen pasted from a PDF). The joiners U+200C and U+200D stay: some
# scripts and emoji sequences need them, and they change nothing but how letters join.
_JOINERS = {"\u200c", "\u200d"}
_TITLE_CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def title_control(title: str) -> str:
    """The first control character in a title (the rule above), else ""."""
    for char in title:
        if unicodedata.category(char) in _TITLE_CONTROL_CATEGORIES and char not in _JOINERS:
            return char
    return ""


def clean_title(title: str) -> str:
    """A title made to follow the rule, for what is read rather than typed (a file's title line,
    its name): line breaks and tabs become a space, other controls go, spaces are collapsed."""
    if not title_control(title):
        return title
    chars = []
    for char in title:
        if char not in _JOINERS and unicodedata.category(char) in _TITLE_CONTROL_CATEGORIES:
            chars.append(" " if char.isspace() else "")
        else:
            chars.append(char)
    return " ".join("".join(chars).split())


def title_problem(title: str) -> str:
    """Why a title breaks the rule, in a file's `file:line: message` or a command's error; else ""."""
    if char := title_control(title):
        return f"the title holds a line break, a tab or a control character (U+{ord(char):04X})"
    return ""


def too_long(what: str, value: str, limit: int) -> str:
    """A message when the value is longer than its column, else ""."""
    if len(value) <= limit:
        return ""
    return f"the {what} is {len(value):,} characters long; at most {limit:,} fit"


# What can be wrong with a topic name: a code, so the reader says it in English and the forms
# in the interface's language (discussions.forms), from the one rule below.
TOPIC_TOO_LONG = "too long"
TOPIC_CONTROL = "control"
TOPIC_SEPARATOR = "separator"
TOPIC_NO_ADDRESS = "address"


def topic_fault(name: str) -> str:
    """What is wrong with a topic name (one of the codes above), else "".

    A topic is written as `<!-- tags: a, b -->` in its question's file and typed as `a, b` in the
    topics form (taggit's parser, where `"…"` quotes a name): so no commas, quotes or `-->`. Its
    page is `/topics/<slug>/`, so its name must make a slug (`!!!` makes none).
    """
    if len(name) > TOPIC_LENGTH:
        return TOPIC_TOO_LONG
    if NOT_XML.search(name) or "\n" in name or "\r" in name:
        return TOPIC_CONTROL
    if "," in name or '"' in name or "-->" in name:
        return TOPIC_SEPARATOR
    if not slugify(name, allow_unicode=True):
        return TOPIC_NO_ADDRESS
    return ""


def topic_problem(name: str) -> str:
    """Why a topic name cannot be a topic, in a file's `file:line: message`; else ""."""
    fault = topic_fault(name)
    if fault == TOPIC_TOO_LONG:
        return too_long("topic name", name, TOPIC_LENGTH)
    if fault == TOPIC_CONTROL:
        return f"the topic name {name!r} holds a line break or a control character"
    if fault == TOPIC_SEPARATOR:
        return (
            f"the topic name {name!r} holds a comma, a double quote or '-->', "
            "which separate topics in a tags line"
        )
    if fault == TOPIC_NO_ADDRESS:
        return f"the topic name {name!r} has no letter or digit to make its address from"
    return ""


# The group's session template, as it is before anyone fills it in: `>- A7. 답변` is an answer slot
# nobody wrote, `Q1 (이름).` and `## 참여자` / `이름, 이름` name nobody. One list, asked by the reader:
# an answer whose whole body is one of PLACEHOLDER_BODIES is empty (an open answer), a signature or a
# listed name that is one of PLACEHOLDER_NAMES is no one. Question bodies are left alone: a
# question that reads "질문" is still a question someone asked.
PLACEHOLDER_BODIES = frozenset({"답변", "답변 내용"})
PLACEHOLDER_NAMES = frozenset({"이름", "작성자"})

# What may dress a placeholder: `답변.`, `**답변**`, `(답변)`, `[이름]`, `<답변>`, `답변 :`, and the
# number a template counts its slots with (`이름1`, `이름 2`).
_PLACEHOLDER_DRESS = re.compile(r"^[\s.,:;!?…~*_'\"`()\[\]<>{}-]+|[\s.,:;!?…~*_'\"`()\[\]<>{}\d-]+$")


def _bare(text: str) -> str:
    return " ".join(_PLACEHOLDER_DRESS.sub("", text).split())


def is_placeholder_body(body: str) -> bool:
    """Whether an answer's whole body is the template's placeholder (`답변`, `답변.`, `**답변**`)."""
    return bool(body) and len(body) < 40 and _bare(body) in PLACEHOLDER_BODIES


def is_placeholder_name(name: str | None) -> bool:
    """Whether a signature or a listed name is the template's placeholder (`이름`, `이름2`)."""
    return bool(name) and len(name) < 40 and _bare(name) in PLACEHOLDER_NAMES
