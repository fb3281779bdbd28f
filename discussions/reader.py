"""Read a study group's discussion file into plain dataclasses.

The format is described in FORMAT.md (shared with the group) and, for the notations that are the
project's own (replies, tags, the escape), in docs/file-format.md. No database (the standard library,
and discussions.links and discussions.rules for what a value must be to be stored), so the reader
can be tested and fuzzed without one.

A value the database or a page could not hold is refused here with `file:line: message`, so an
import never fails halfway: a title, URL, label, name or topic longer than its column, a topic
that makes no address, a NUL character, a paper URL a page may not link to (`javascript:` …).
A reference whose link may not be followed is kept as text in the description, with a warning.

The reader is one pass over the lines: the file is cut into sections at `## ` headings, and each
section's lines go through a small handler (paper header, participants, background, discussion).
The discussion handler is a state machine whose state is the thread that new lines attach to: the
current question, its current answer and the current reply at each depth.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from discussions import links, rules

# --- The data ------------------------------------------------------------------------------------


@dataclass
class Reference:
    url: str
    label: str = ""  # text before the colon, else link text when it is not a URL; "" when only a URL
    kind: str = ""  # "summary" for the `- 요약 :` / `- Summary:` bullet; "" otherwise
    line: int = 0


@dataclass
class Answer:
    label: str  # as written, dress removed: "A4", "A1-2"
    author: str | None  # the signature, NFC and trimmed; None when unsigned
    body: str  # Markdown, dress removed, stripped; "" means an open answer
    line: int = 0
    replies: list[Answer] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        # An answer slot someone signed but has not written yet (`A9 (쯔위).` and nothing after it).
        return not self.body


@dataclass
class Question:
    label: str  # "Q4"
    author: str | None
    body: str
    line: int = 0
    answers: list[Answer] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    discussed: bool = False  # gone through in the meeting: `<!-- discussed -->` under its label


@dataclass
class ReadWarning:
    line: int
    message: str


@dataclass
class Discussion:
    title: str = ""
    title_source: str = ""  # "header", "filename" or ""
    url: str = ""  # the paper URL as written (the target of a Markdown link)
    participants: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    description: str = ""  # Markdown
    session_date: str = ""  # `- 날짜 : 2026-12-08`, ISO; "" when the file gives none
    presenter: str = ""  # `- 발표 : 정훈`, a name as signed or listed; "" when none
    questions: list[Question] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    # SHA-256 of the file's bytes (of its text, UTF-8, when given text): which version was imported.
    digest: str = ""
    # The session's place in the group's order; the file does not say it, a repository's layout does.
    session_number: int | None = None
    # Set by import_repository, which knows them from the repository, not from the file: the file's
    # path followed across renames (Paper.source_path), and whether session_date is its history's.
    source_path: str = ""
    date_from_history: bool = False

    def cited_links(self) -> list[str]:
        """http(s) links in question, answer and reply bodies, images left out, each URL once.

        A link longer than a reference's URL column stays text in its body and is not listed."""
        found: dict[str, None] = {}  # a dict keeps the order of first appearance
        for body in self._bodies():
            for url in _links_in(body):
                if len(url) <= rules.REFERENCE_URL_LENGTH:
                    found.setdefault(url)
        return list(found)

    def _bodies(self):
        for question in self.questions:
            yield question.body
            for answer in thread_order(question.answers):
                yield answer.body


def thread_order(answers: list[Answer]):
    """Answers and their replies in the file's order (each reply right after what it replies to),
    with a stack instead of recursion: a thread may be a thousand replies deep."""
    stack = list(reversed(answers))
    while stack:
        answer = stack.pop()
        yield answer
        stack.extend(reversed(answer.replies))


def thread_depths(answers: list[Answer]):
    """(answer, depth) in thread_order: 0 for an answer, 1 for a reply to it, and so on."""
    stack = [(answer, 0) for answer in reversed(answers)]
    while stack:
        answer, depth = stack.pop()
        yield answer, depth
        stack.extend((reply, depth + 1) for reply in reversed(answer.replies))


class FormatError(ValueError):
    """A file the reader refuses: the message names the file and the line."""

    def __init__(self, message: str, filename: str = "", line: int = 0):
        super().__init__(f"{filename}:{line}: {message}")
        self.message = message
        self.filename = filename
        self.line = line


# --- Patterns ------------------------------------------------------------------------------------

# Line breaks: LF, CRLF or CR. Only these: other Unicode separators stay inside a line's text.
LINE_BREAK = re.compile(r"\r\n|\r|\n")

# A section heading, `## 토론`. Up to three spaces of indentation, as in Markdown; `###` is not one.
_HEADING = re.compile(r"^ {0,3}##(?:[ \t]+(?P<title>.*?))?[ \t]*$")

# A line that only separates things: `---`, `<br>`, `<br><br>` (blank lines are handled apart).
_SEPARATOR = re.compile(r"^[ \t]*(?:-{3,}|(?:<br[ \t]*/?>[ \t]*)+)[ \t]*$", re.IGNORECASE)

# Blockquote markers at the start of a body's continuation line: `> `, `>> `, `> > `.
_BLOCKQUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")

# The tags of a question, as an HTML comment directly under its label line: <!-- tags: bias, few-shot -->
_TAGS = re.compile(r"^[ \t]*<!--[ \t]*tags[ \t]*:(?P<tags>.*?)-->[ \t]*$", re.IGNORECASE)
# A listed reference's kind, at the end of its line, when its address does not say it.
REFERENCE_KINDS = ("paper", "blog", "video", "code", "summary", "other")
# A question gone through in the meeting, the same way: <!-- discussed -->
_DISCUSSED = re.compile(r"^[ \t]*<!--[ \t]*discussed[ \t]*-->[ \t]*$", re.IGNORECASE)

# A marker line in the background: [참고 파일] / [References] before references, [설명] /
# [Description] before the description.
# A line that only names the links below it (`[참고링크]`, `- 참고링크 :`) is such a marker too.
_MARKER = re.compile(
    r"""^[ \t]*(?:
    \[(?:참고[ \t]*파일|참고[ \t]*자료|참고[ \t]*링크|링크|references|links|설명|description)\][ \t]*:?
    |(?:[-*+][ \t]*)?(?:참고[ \t]*파일|참고[ \t]*자료|참고[ \t]*링크|references|links)[ \t]*[:：]
    )[ \t]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# A header line: `논문 URL : …` or a bullet `- 제목 : …`; the bullet is optional for all keys.
_HEADER_FIELD = re.compile(
    r"""^[ \t]*(?:[-*+][ \t]*)?
    (?P<key>논문[ \t]*URL|Paper[ \t]*URL|제목|Title|원본|Source|요약|Summary|논문[ \t]*Background|Background
    |날짜|Date|발표자?|Presenter)
    [ \t]*:[ \t]*(?P<value>.*?)[ \t]*$""",
    re.IGNORECASE | re.VERBOSE,
)
_HEADER_KEYS = {
    "논문url": "url",
    "paperurl": "url",
    "원본": "url",
    "source": "url",
    "제목": "title",
    "title": "title",
    "요약": "summary",
    "summary": "summary",
    "논문background": "background",
    "background": "background",
    "날짜": "date",
    "date": "date",
    "발표": "presenter",
    "발표자": "presenter",
    "presenter": "presenter",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The `- 논문 Background :` bullet's text goes on until a line that starts another bullet.
_TOP_LEVEL_BULLET = re.compile(r"^[-*+][ \t]")

# A Markdown link [text](url). The text may hold one level of [brackets] and the url one level of
# (parentheses), as in Wikipedia links; an optional "title" may follow the url.
_LINK = (
    r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\([ \t]*<?(?P<url>(?:[^()\s<>]|\([^()\s]*\))+)>?(?:[ \t]+\"[^\"]*\")?[ \t]*\)"
)
# A bare web address written as the whole value.
_BARE_URL = r"(?P<bare>https?://\S+)"
_LINK_VALUE = re.compile(rf"(?:{_LINK}|{_BARE_URL})")
# Link text that is itself an address carries no label.
_URL_START = re.compile(r"https?://", re.IGNORECASE)

# A reference line in the background, as the group's files write them: `1) label : [text](url)`,
# `2) [text](url)`, `- label : [text](url)`, `- [label](url)`, `3) https://…`, and without a bullet
# (`참고링크 : https://…`, a bare `https://youtu.be/…`, `<https://…>`), a label without a colon
# (`- 영상 https://…`) or in brackets (`[코드] https://…`), `<br>`s at the end. parse_reference()
# reads it from its end, the link first, so that no line costs more than one pass: a regular
# expression trying every colon as the label's end took minutes on a line of many `x:https://x`.
_BULLET = re.compile(r"[ \t]*(?:\d+[.)]|\(\d+\)|[-+]|\*(?=[ \t]))[ \t]*")
_LINK_ONLY = re.compile(_LINK)
_AUTOLINK = re.compile(r"<(?P<url>https?://[^\s<>]+)>")
_BARE_URL_START = re.compile(r"https?://")
_BARE_URL_TOKEN = re.compile(r"https?://[^\s<>]+")
_BRACKETED = re.compile(r"\[(?P<label>[^\[\]]+)\]")
_BREAK_AT_END = re.compile(r"<br[ \t]*/?>$", re.IGNORECASE)
_KIND_NOTE_AT_END = re.compile(
    r"<!--[ \t]*kind[ \t]*:[ \t]*(?P<kind>" + "|".join(REFERENCE_KINDS) + r")[ \t]*-->$", re.IGNORECASE
)
# How long a label may be on a line that is not a list item, and a label with no colon anywhere:
# longer, the line is a sentence that ends with a link (`자세한 설명은 이 글을 보면 좋습니다: https://…`),
# and stays in the description.
_UNLISTED_LABEL, _UNLISTED_LABEL_WORDS = 40, 4
_PLAIN_LABEL, _PLAIN_LABEL_WORDS = 30, 3

# Links cited in bodies: Markdown links and images (an image starts with "!"), <img> tags, and bare
# addresses in the text that is left once those are taken out.
_INLINE_LINK = re.compile(rf"(?P<bang>!?){_LINK}")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_BARE_URL_IN_TEXT = re.compile(r"https?://[^\s<>\[\]\"'`]+", re.IGNORECASE)
_URL_TRAILING_PUNCTUATION = ".,;:!?*"

# A file name's extension ("…md") and leading index ("8. RoBERTa….md"). The extension must start
# with a letter, so a name like "GPT 3.5" keeps its number.
_FILE_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
_FILE_INDEX = re.compile(r"^\d+[.)](?!\d)[ \t]*")

# --- Labels --------------------------------------------------------------------------------------

# The dress people put before a label: indentation, list markers (- * +), blockquote markers (>),
# bold (** or __), quotes and opening inline HTML tags such as <span style="…">. Possessive (*+) so a
# long line of dashes that is no label fails at once instead of backtracking.
_DRESS = r"(?:[ \t>*+\-_'\"‘“]|<[A-Za-z][^<>]*>)*+"

# The start of a label: dress, one ↳ per reply level (our reply notation), dress again, then Q or A
# and a number with optional sub-numbers (A1-2).
_LABEL_START = re.compile(
    _DRESS + r"(?P<arrows>(?:↳[ \t]*)*+)" + _DRESS + r"(?P<letter>[QA])(?P<number>\d+(?:-\d+)*)"
)

# A signature in parentheses, `(정훈)`; _is_signature() checks what is inside.
_SIGNATURE = re.compile(r"[ \t]*\((?P<name>[^()]*)\)")

# What may follow a signature written behind the stop (`A5. (소연)`): the end of the line, a space,
# punctuation or closing dress. So in `A1. (참고)문헌` the parentheses are body text.
_AFTER_LATE_SIGNATURE = re.compile(r"$|[ \t.:*_'\"’”<]")

# The `.` or `:` that may close a label. Not one followed by a digit: `Q1.5배` and `A1:30` are text.
_LABEL_STOP = re.compile(r"[ \t]*[.:](?!\d)")

# Dress closing a label, right after it: bold, quotes, closing HTML tags (`**Q1.**`, `</span>`).
_CLOSING_DRESS = re.compile(r"(?:\*\*|__|['\"’”]|</[A-Za-z]+[ \t]*>)*")


@dataclass
class LabelLine:
    """What a label line says: `↳ A4 (지성). text` is LabelLine("A4", 1, "지성", "text")."""

    label: str  # "Q4", "A1-2"
    depth: int  # 0 for questions and answers; the number of ↳ for a reply
    author: str | None
    rest: str  # the body text on the label's own line, stripped

    @property
    def is_question(self) -> bool:
        return self.label.startswith("Q")

    def __str__(self):
        arrows = "↳" * self.depth + " " if self.depth else ""
        signature = f" ({self.author})" if self.author else ""
        return f"{arrows}{self.label}{signature}"


def parse_label(line: str) -> LabelLine | None:
    """The label a line starts with, or None when the line does not start with one."""
    found = _parse_one_label(line)
    if found is None:
        return None
    # A doubled label (`Q1. Q1 (민상).`) is one label: the copy is dress and may bring the signature.
    copy = _parse_one_label(found.rest)
    if copy is not None and _is_copy(found, copy):
        return LabelLine(found.label, found.depth, found.author or copy.author, copy.rest)
    return found


def _parse_one_label(line: str) -> LabelLine | None:
    start = _LABEL_START.match(line)
    if start is None:
        return None
    if start["arrows"] and start["letter"] == "Q":
        return None  # replies answer answers: `↳ Q1.` is body text
    tail = line[start.end() :]

    author, tail = _take_signature(tail)
    stop = _LABEL_STOP.match(tail)
    if stop:
        tail = tail[stop.end() :]
        if author is None:
            # The signature may stand behind the stop: `A5. (소연)`.
            author, tail = _take_signature(tail, late=True)
            if author is not None and (stop_again := _LABEL_STOP.match(tail)):
                tail = tail[stop_again.end() :]
    closing = _CLOSING_DRESS.match(tail)
    rest = tail[closing.end() :].strip()
    if author is None and stop is None and rest:
        return None  # without a signature the number must be followed by . or : or end the line
    label = start["letter"] + start["number"]
    return LabelLine(label, start["arrows"].count("↳"), author, rest)


def _take_signature(tail: str, late: bool = False) -> tuple[str | None, str]:
    signature = _SIGNATURE.match(tail)
    if signature is None or not _is_signature(signature["name"]):
        return None, tail
    if late and not _AFTER_LATE_SIGNATURE.match(tail, signature.end()):
        return None, tail
    return signature["name"].strip(), tail[signature.end() :]


def _is_signature(name: str) -> bool:
    # 1 to 30 characters and not only digits: in `A10. (1)우선` the (1) numbers a point.
    name = name.strip()
    return 1 <= len(name) <= 30 and not name.isdigit()


def _is_copy(first: LabelLine, copy: LabelLine) -> bool:
    same_signature = first.author is None or copy.author is None or first.author == copy.author
    return copy.label == first.label and copy.depth == 0 and same_signature


def _main_number(label: str) -> str:
    # "A4-2" → "4". Compared as text, not int(): a label may carry thousands of digits.
    return label[1:].split("-")[0].lstrip("0")


# --- Lines that carry structure, and the escape ---------------------------------------------------
# A body or description line that would be read as structure is written with a leading backslash,
# and the reader removes exactly one backslash from a line whose remainder is structure. A line that
# is already escaped is structure too, so its own backslash survives (`\Q1.` is written `\\Q1.`).


def is_structural_in_body(line: str) -> bool:
    """Whether the reader would take this line of a question or answer body as more than text."""
    line = line.lstrip("\\")
    return bool(
        _HEADING.match(line)
        or _SEPARATOR.match(line)
        or _BLOCKQUOTE.match(line)
        or _TAGS.match(line)
        or _DISCUSSED.match(line)
        or parse_label(line)
    )


def is_structural_in_description(line: str) -> bool:
    """Whether the reader would take this line of the paper's description as more than text."""
    line = line.lstrip("\\")
    return bool(
        _HEADING.match(line)
        or _SEPARATOR.match(line)
        or _MARKER.match(line)
        or parse_reference(line) is not None
        or parse_label(line)
    )


# --- Links, references, participants, tags ---------------------------------------------------------


def parse_link(value: str) -> tuple[str, str] | None:
    """(url, label) of a value that is a Markdown link or a bare http(s) address, else None."""
    found = _LINK_VALUE.fullmatch(value.strip())
    if found is None:
        return None
    if found["bare"]:
        return found["bare"], ""
    return found["url"], _link_label(found["text"], found["url"])


def _link_label(text: str, url: str) -> str:
    # Link text that repeats the address, or is an address, is no label.
    text = text.strip()
    return "" if text == url or _URL_START.match(text) else text


def parse_reference(line: str) -> Reference | None:
    """The reference a background line lists, or None when the line has no reference's shape.

    A line may end with the project's note of its kind, `<!-- kind: video -->`."""
    kind = ""
    line = line.rstrip(" \t")
    if line.endswith("-->") and (noted := _KIND_NOTE_AT_END.search(line)):
        line, kind = line[: noted.start()].rstrip(" \t"), noted["kind"].casefold()
    end = len(line)  # `<br>`s closing the line go, counted from the end (no copy for each)
    while line.endswith(">", 0, end) and (br := _BREAK_AT_END.search(line, max(0, end - 12), end)):
        end = br.start()
        while end and line[end - 1] in " \t":
            end -= 1
    line = line[:end]
    link = _link_at_end(line)
    if link is None:
        return None
    before, url, link_label = link
    found = _label_before(before)
    if found is None:
        return None
    label, listed, plain = found
    if plain and (len(label) > _PLAIN_LABEL or len(label.split()) > _PLAIN_LABEL_WORDS):
        return None
    if not listed and (len(label) > _UNLISTED_LABEL or len(label.split()) > _UNLISTED_LABEL_WORDS):
        return None
    return Reference(url=url, label=label or link_label, kind=kind)


def _link_at_end(line: str) -> tuple[str, str, str] | None:
    """(the text before it, url, label from its text) of the link a line ends with, else None."""
    start = _markdown_link_start(line) if line.endswith(")") else None
    if start is not None and (found := _LINK_ONLY.fullmatch(line, start)):
        return line[:start], found["url"], _link_label(found["text"], found["url"])
    token_start = max(line.rfind(" "), line.rfind("\t")) + 1
    if found := _AUTOLINK.fullmatch(line, token_start):
        return line[:token_start], found["url"], ""
    # A bare address may follow its label's colon without a space: `참고링크:https://…`.
    if (at := _BARE_URL_START.search(line, token_start)) and _BARE_URL_TOKEN.fullmatch(line, at.start()):
        return line[: at.start()], line[at.start() :], ""
    return None


def _markdown_link_start(line: str) -> int | None:
    """Where the `[text](url)` a line ends with starts, found backwards: the url's `(` (one level
    of parentheses inside), then the text's `[` (one level of brackets inside), as _LINK reads them."""
    at = _matching_opener(line, len(line) - 1, "(", ")")
    if at is None or at < 1 or line[at - 1] != "]":
        return None
    return _matching_opener(line, at - 1, "[", "]")


def _matching_opener(line: str, close: int, opener: str, closer: str) -> int | None:
    depth = 0
    for at in range(close - 1, -1, -1):
        if line[at] == closer:
            depth += 1
            if depth > 1:
                return None
        elif line[at] == opener:
            if not depth:
                return at
            depth -= 1
    return None


def _label_before(before: str) -> tuple[str, bool, bool] | None:
    """(label, after a list bullet, written without a colon) of what stands before a reference's
    link; None when it is no label (text glued to the link, brackets that are not a label's)."""
    bullet = _BULLET.match(before)
    rest = before[bullet.end() :] if bullet else before
    label = rest.strip()
    if not label:
        return "", bool(bullet), False
    if label[-1] in ":：":
        label = label[:-1].strip()
        if bracketed := _BRACKETED.fullmatch(label):
            return bracketed["label"].strip(), bool(bullet), False
        return (label, bool(bullet), False) if "[" not in label and "]" not in label else None
    if not rest[-1].isspace() and rest[-1] != "]":
        return None  # `foohttps://…`: glued text is no label
    if bracketed := _BRACKETED.fullmatch(label):
        return bracketed["label"].strip(), bool(bullet), False
    if any(mark in label for mark in "[]:：<>"):
        return None
    return label, bool(bullet), True


def parse_participants(line: str) -> list[str]:
    """Names on a line of the participants list: `이정훈, 구선민` (a list bullet is allowed)."""
    line = re.sub(r"^[ \t]*[-*+][ \t]+", "", line)
    return [name.strip() for name in re.split(r"[,，、]", line) if name.strip()]


def parse_tags(line: str) -> list[str] | None:
    """The tags of a `<!-- tags: a, b -->` line, or None for any other line."""
    found = _TAGS.match(line)
    if found is None:
        return None
    return [tag.strip() for tag in found["tags"].split(",") if tag.strip()]


def _links_in(markdown: str) -> list[str]:
    found: list[tuple[int, str]] = []  # (position, url), to sort into order of appearance
    for link in _INLINE_LINK.finditer(markdown):
        if not link["bang"] and _URL_START.match(link["url"]):
            found.append((link.start(), link["url"]))
    # Blank out links, images and <img> tags, keeping positions, then look for bare addresses.
    text = _INLINE_LINK.sub(lambda match: " " * len(match[0]), markdown)
    text = _HTML_IMAGE.sub(lambda match: " " * len(match[0]), text)
    for bare in _BARE_URL_IN_TEXT.finditer(text):
        found.append((bare.start(), _trim_bare_url(bare[0])))
    return [url for _, url in sorted(found)]


def _trim_bare_url(url: str) -> str:
    # "(see https://x.com/a)." : the closing parenthesis and the full stop belong to the sentence.
    while url and (
        url[-1] in _URL_TRAILING_PUNCTUATION or (url[-1] == ")" and url.count(")") > url.count("("))
    ):
        url = url[:-1]
    return url


# --- Reading --------------------------------------------------------------------------------------


def read(data: bytes | str, filename: str = "<text>") -> Discussion:
    """Read a discussion file. Raise FormatError for a file FORMAT.md says to refuse."""
    text = _decode(data, filename)
    if not text.strip():
        raise FormatError("the file is empty", filename, 1)
    lines = LINE_BREAK.split(text)
    reading = _Reader(filename)
    lines = reading.without_controls(lines)
    discussion = reading.read(lines)
    discussion.digest = hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()
    return discussion


def label_counts(data: bytes | str) -> tuple[int, int]:
    """(questions, answers and replies) a file's lines start, counted without reading the file.

    An upper bound of what read() finds (a body line may start like a label), in a fraction of
    its time and memory: so a file with too many posts is refused before it is read.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes | bytearray) else str(data)
    questions = answers = 0
    for line in LINE_BREAK.split(text):
        label = _LABEL_START.match(line)
        if label is None:
            continue
        if label["letter"] == "Q":
            questions += 1
        else:
            answers += 1
    return questions, answers


def _decode(data: bytes | str, filename: str) -> str:
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = len(LINE_BREAK.split(data[: error.start].decode("utf-8")))
            message = f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded"
            raise FormatError(message, filename, line) from None
    else:
        text = data
    # Files exported on macOS carry decomposed Hangul: NFC makes NFD `정훈` the same as NFC `정훈`.
    return unicodedata.normalize("NFC", text.removeprefix("\ufeff"))


def _title_from_filename(filename: str) -> str:
    name = re.split(r"[\\/]", filename)[-1]
    name = _FILE_EXTENSION.sub("", name).strip()
    without_index = _FILE_INDEX.sub("", name)
    return unicodedata.normalize("NFC", without_index or name)


@dataclass
class _Section:
    kind: str  # "preamble", "paper", "participants", "background", "discussion" or "other"
    line: int  # the heading's line number; for the preamble, 0
    heading: str = ""  # the heading's text, without the ##
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)


def _section_kind(heading: str) -> str:
    name = " ".join(heading.split()).rstrip(":").strip().casefold()
    if name in ("논문", "paper") or re.match(r"(?:논문|paper) ?url\b", name):
        return "paper"
    if name in ("참여자", "participants"):
        return "participants"
    if name in ("논문 background", "paper background", "background"):
        return "background"
    if re.fullmatch(r"(?:참고|관련) ?(?:링크|자료|문헌)|references|links", name):
        return "background"  # `## 참고링크`: a list of the background's links under a heading of its own
    if name in ("토론", "discussion"):
        return "discussion"
    return "other"


def _split_sections(lines: list[str]) -> list[_Section]:
    sections = [_Section("preamble", 0)]
    for number, line in enumerate(lines, start=1):
        heading = _HEADING.match(line)
        if heading:
            title = heading["title"] or ""
            sections.append(_Section(_section_kind(title), number, title))
        else:
            sections[-1].lines.append((number, line))
    return sections


def _start_discussion_at_first_label(sections: list[_Section]) -> list[_Section]:
    # A file without a `## 토론` heading: its discussion starts at the first label line and runs to
    # the next heading.
    for index, section in enumerate(sections):
        for position, (number, line) in enumerate(section.lines):
            if parse_label(line):
                before = _Section(section.kind, section.line, section.heading, section.lines[:position])
                discussion = _Section("discussion", number, "", section.lines[position:])
                return [*sections[:index], before, discussion, *sections[index + 1 :]]
    return sections


class _Reader:
    """One pass over a file's sections, filling in a Discussion."""

    def __init__(self, filename: str):
        self.filename = filename
        self.discussion = Discussion()
        self.header_title = ""  # from the 제목 / Title bullet
        self.link_title = ""  # from the paper link's text
        # The description is gathered in chunks: runs of text between structure (a reference, a
        # marker, a heading). Each chunk is stripped and the chunks are joined by a blank line.
        self.chunks: list[str] = []
        self.chunk_lines: list[str] = []
        # The discussion's state: the question, answer, reply, reply-to-reply… that a new answer or
        # reply attaches to, and the body lines of the block being read (None before the first label
        # of a section).
        self.thread: list[Question | Answer] = []
        self.bodies: list[tuple[Question | Answer, list[str]]] = []
        self.block_lines: list[str] | None = None
        self.stray_text_warned = False
        self.title_line = 1  # where the title came from, for a refusal that names it

    def without_controls(self, lines: list[str]) -> list[str]:
        """Refuse a NUL (a file holding one is not text: binary, or broken on the way); drop the
        other characters XML cannot hold (form feeds and the like, pasted from PDFs: they show as
        nothing), with one warning naming the first line that had any."""
        if not any(rules.NOT_XML.search(line) for line in lines):
            return lines  # nearly every file: one pass of a C-coded search per line
        cleaned, first = [], 0
        for number, line in enumerate(lines, start=1):
            if "\x00" in line:
                raise self._error(number, "the line holds a NUL character (U+0000): is this a text file?")
            without = rules.without_controls(line)
            if without != line and not first:
                first = number
            cleaned.append(without)
        if first:
            self.warn(first, "control characters (such as form feeds) are removed; they show as nothing")
        return cleaned

    def read(self, lines: list[str]) -> Discussion:
        sections = _split_sections(lines)
        if not any(section.kind == "discussion" for section in sections):
            sections = _start_discussion_at_first_label(sections)
        for section in sections:
            self._read_section(section)
        self._end_chunk()

        if not self.discussion.questions:
            first = next((s.line for s in sections if s.kind == "discussion"), 1)
            raise self._error(first, "no question found (a question starts with a label like `Q1 (정훈).`)")
        for block, body_lines in self.bodies:
            block.body = "\n".join(body_lines).strip()
            if isinstance(block, Answer) and rules.is_placeholder_body(block.body):
                block.body = ""  # the template's `A7. 답변`: a slot nobody has written in
        self.discussion.description = "\n\n".join(self.chunks)
        self._set_title()
        if problem := rules.too_long("title", self.discussion.title, rules.TITLE_LENGTH):
            raise self._error(self.title_line, problem)
        return self.discussion

    def _read_section(self, section: _Section):
        self._end_chunk()  # sections never share a description chunk
        self.block_lines = None
        self.stray_text_warned = False
        if section.kind in ("preamble", "paper"):
            self._read_paper(section)
        elif section.kind == "participants":
            for number, line in section.lines:
                if not _SEPARATOR.match(line):
                    names = [name for name in parse_participants(line) if not rules.is_placeholder_name(name)]
                    for name in names:
                        if problem := rules.too_long("name", name, rules.NAME_LENGTH):
                            raise self._error(number, problem)
                    self.discussion.participants.extend(names)
        elif section.kind == "background":
            for number, line in section.lines:
                self._read_background_line(number, line)
        elif section.kind == "discussion":
            self._read_discussion(section)
        else:
            self._read_other(section)

    # The paper's header: `논문 URL :` line, `## 논문` bullets, and the text before any heading.

    def _read_paper(self, section: _Section):
        if _HEADER_FIELD.match(section.heading):  # `## 논문 URL : …`
            self._read_header_line(section.line, section.heading)
        in_background_bullet = False
        for number, line in section.lines:
            if in_background_bullet and not _TOP_LEVEL_BULLET.match(line):
                self._read_background_line(number, line)
                continue
            in_background_bullet = self._read_header_line(number, line)

    def _read_header_line(self, number: int, line: str) -> bool:
        """Read one header line; True when it opens the `- 논문 Background :` bullet."""
        found = _HEADER_FIELD.match(line)
        if found is None:
            self._read_background_line(number, line)
            return False
        key = _HEADER_KEYS[re.sub(r"[ \t]", "", found["key"]).casefold()]
        value = found["value"]
        if key == "background":
            self._end_chunk()
            self._read_background_line(number, value)
            return True
        if key == "title":
            self._read_title(number, line, value)
        elif key == "url":
            self._read_paper_url(number, line, value)
        elif key == "summary":
            self._read_summary(number, line, value)
        elif key == "date":
            self._read_session_date(number, line, value)
        elif key == "presenter":
            self._read_presenter(number, line, value)
        return False

    def _read_session_date(self, number: int, line: str, value: str):
        # The session's date, as the exporter writes it; anything else is a sentence about a date.
        try:
            valid = bool(_ISO_DATE.fullmatch(value)) and bool(datetime.date.fromisoformat(value))
        except ValueError:
            valid = False
        if not valid or self.discussion.session_date:
            self.warn(number, "a date that is not YYYY-MM-DD (or a second one) is kept in the description")
            self._describe(line)
            return
        self.discussion.session_date = value

    def _read_presenter(self, number: int, line: str, value: str):
        name = unicodedata.normalize("NFC", value).strip()
        if rules.is_placeholder_name(name):
            return  # the template's `- 발표 : 이름`: nobody yet
        if not name or self.discussion.presenter or parse_participants(name) != [name]:
            self.warn(number, "a presenter that is not one name (or a second one) is kept in the description")
            self._describe(line)
            return
        if problem := rules.too_long("presenter's name", name, rules.NAME_LENGTH):
            raise self._error(number, problem)
        self.discussion.presenter = name

    def _read_title(self, number: int, line: str, value: str):
        if self.header_title:
            self._keep_duplicate(number, line, "title")
        else:
            self.header_title, self.title_line = value, number

    def _read_paper_url(self, number: int, line: str, value: str):
        url, label = parse_link(value) or (value, "")
        if not url:
            return
        if self.discussion.url:
            self._keep_duplicate(number, line, "paper URL")
            return
        # The paper's link is the page's first: refused, not dropped, as the paper is known by it.
        if problem := _link_problem(url, "paper URL", rules.PAPER_URL_LENGTH):
            raise self._error(number, problem)
        self.discussion.url = url
        self.link_title = label  # the paper link's text is its title, unless a title is given
        if label and not self.header_title:
            self.title_line = number

    def _keep_duplicate(self, number: int, line: str, what: str):
        # A second title or URL would silently replace the first: keep it as text and say so.
        self.warn(number, f"a second {what} is kept in the description")
        self._describe(line)
        self._end_chunk()

    def _read_summary(self, number: int, line: str, value: str):
        link = parse_link(value)
        if link is None:
            self._describe(line)  # `- 요약 : …` with no link is prose
            return
        url, label = link
        reference = Reference(url=url, label=label, kind="summary", line=number)
        if self._check_reference(number, reference):
            self.discussion.references.append(reference)
        else:
            self._describe(line)

    def _set_title(self):
        if self.header_title or self.link_title:
            self.discussion.title = self.header_title or self.link_title
            self.discussion.title_source = "header"
        else:
            self.discussion.title = _title_from_filename(self.filename)
            self.discussion.title_source = "filename" if self.discussion.title else ""
        # A title is one line without tabs or controls (rules.title_control): a file's title line
        # or name holding one (a tab, a bidi override, a soft hyphen pasted from a PDF) is read
        # with them made spaces or dropped, as the members' forms would refuse them.
        if (cleaned := rules.clean_title(self.discussion.title)) != self.discussion.title:
            self.warn(self.title_line, "the title's tabs and control characters are made spaces or removed")
            self.discussion.title = cleaned

    # The background: references, markers, and the description.

    def _read_background_line(self, number: int, line: str):
        if line.startswith("\\") and is_structural_in_description(line[1:]):
            self._describe(line[1:])  # the escape: text that looks like a reference or a marker
        elif _MARKER.match(line):
            self._end_chunk()
        elif (reference := parse_reference(line)) and self._check_reference(number, reference):
            self._end_chunk()
            reference.line = number
            self.discussion.references.append(reference)
        else:
            self._describe(_description_text(line))

    def _read_other(self, section: _Section):
        # Nothing is dropped: a section the format does not know goes into the description.
        self.warn(
            section.line, f"section '## {section.heading}' is not part of the format; kept in the description"
        )
        self._describe(f"## {section.heading}".rstrip())
        self._describe("")
        for _, line in section.lines:
            self._describe(_description_text(line))
        self._end_chunk()

    def _check_reference(self, number: int, reference: Reference) -> bool:
        """False (with a warning) for a link a page may not follow: the line stays as text."""
        if problem := too_long_reference(reference):
            raise self._error(number, problem)
        if problem := links.refusal(reference.url):
            self.warn(number, f"{problem}: the line is kept as text in the description")
            return False
        return True

    def _describe(self, line: str):
        self.chunk_lines.append(line)

    def _end_chunk(self):
        text = "\n".join(self.chunk_lines).strip()
        if text:
            self.chunks.append(text)
        self.chunk_lines = []

    # The discussion: questions, answers and replies.

    def _read_discussion(self, section: _Section):
        after_question_label = False
        for number, line in section.lines:
            tags_may_follow, after_question_label = after_question_label, False
            if line.startswith("\\") and is_structural_in_body(line[1:]):
                self._add_body_line(number, line[1:])
            elif label := parse_label(line):
                self._start_block(number, label)
                after_question_label = label.is_question
            elif tags_may_follow and (tags := parse_tags(line)) is not None:
                for tag in tags:
                    if problem := rules.topic_problem(tag):
                        raise self._error(number, problem)
                self.thread[0].tags = tags
                after_question_label = True  # `<!-- discussed -->` may follow
            elif tags_may_follow and _DISCUSSED.match(line):
                self.thread[0].discussed = True
                after_question_label = True
            else:
                self._add_body_line(number, _body_text(line))

    def _start_block(self, number: int, label: LabelLine):
        if problem := rules.too_long("label", label.label, rules.LABEL_LENGTH):
            raise self._error(number, problem)
        # The template's `Q1 (이름).` is signed by nobody.
        author = None if rules.is_placeholder_name(label.author) else label.author
        if label.is_question:
            block = Question(label.label, author, "", number)
            self.discussion.questions.append(block)
            self.thread = [block]
        else:
            block = Answer(label.label, author, "", number)
            self._attach(number, label, block)
        self.block_lines = [label.rest]
        self.bodies.append((block, self.block_lines))

    def _attach(self, number: int, label: LabelLine, answer: Answer):
        # An answer belongs to the nearest question above it; a reply at depth n to the nearest
        # block above it at depth n - 1 (the answer for n = 1).
        if label.depth == 0:
            if not self.thread:
                raise self._error(number, f"answer {label} comes before any question")
            self.thread[0].answers.append(answer)
            self.thread = [self.thread[0], answer]
        else:
            if len(self.thread) <= label.depth:
                above = "answer" if label.depth == 1 else "↳" * (label.depth - 1) + " reply"
                raise self._error(number, f"reply {label} has no {above} above it to reply to")
            self.thread[label.depth].replies.append(answer)
            self.thread = [*self.thread[: label.depth + 1], answer]
        question = self.thread[0]
        if _main_number(label.label) != _main_number(question.label):
            message = f"{label.label} is kept under {question.label}, the nearest question above it"
            self.warn(number, message + ", though the numbers differ")

    def _add_body_line(self, number: int, text: str):
        if self.block_lines is not None:
            self.block_lines.append(text)
            return
        # Text between the discussion heading and the first label belongs to no question.
        if text.strip() and not self.stray_text_warned:
            self.warn(number, "text before the first question is kept in the description")
            self.stray_text_warned = True
        self._describe(text)

    # Helpers.

    def warn(self, line: int, message: str):
        self.discussion.warnings.append(ReadWarning(line, message))

    def _error(self, line: int, message: str) -> FormatError:
        return FormatError(message, self.filename, line)


def _link_problem(url: str, what: str, limit: int) -> str:
    return rules.too_long(what, url, limit) or links.refusal(url)


def too_long_reference(reference: Reference) -> str:
    """Why a reference does not fit its row, else ""."""
    return rules.too_long("reference URL", reference.url, rules.REFERENCE_URL_LENGTH) or rules.too_long(
        "reference label", reference.label, rules.REFERENCE_LABEL_LENGTH
    )


def _description_text(line: str) -> str:
    """The text a description line carries: the escape removed, separators carry none."""
    if line.startswith("\\") and is_structural_in_description(line[1:]):
        return line[1:]
    return "" if _SEPARATOR.match(line) else line


def _body_text(line: str) -> str:
    """The text a body's continuation line carries: separators carry none, blockquote markers go."""
    if _SEPARATOR.match(line):
        return ""
    quote = _BLOCKQUOTE.match(line)
    return line[quote.end() :] if quote else line
