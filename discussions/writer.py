"""Write a Discussion in the one canonical style that reader.read() reads back.

The style is FORMAT.md's later style plus the project's own notations for replies, tags and the
escape; docs/file-format.md shows it. Standard library only: no Django.

Every line that carries structure is checked against the reader before it is written, so a value
the format cannot hold (a signature with parentheses in it, a participant name with a comma) raises
ValueError instead of coming back changed on the next import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from discussions import links, rules
from discussions.reader import (
    LINE_BREAK,
    Answer,
    Discussion,
    LabelLine,
    Question,
    Reference,
    is_structural_in_body,
    is_structural_in_description,
    parse_label,
    parse_link,
    parse_participants,
    parse_reference,
    parse_tags,
    thread_depths,
    thread_order,
    too_long_reference,
)


def write(discussion: Discussion) -> str:
    """The discussion as a Markdown file: blocks separated by a blank line, ending with a newline."""
    if problem := _refused_by_the_reader(discussion):
        raise ValueError(problem)
    blocks = [
        *_paper_section(discussion),
        *_participants_section(discussion),
        *_background_section(discussion),
        *_discussion_section(discussion),
    ]
    text = "\n\n".join(blocks) + "\n"
    if control := rules.NOT_XML.search(text):
        # The reader refuses a NUL and drops the others: the file would not read back as written.
        raise ValueError(f"the text holds the control character U+{ord(control[0]):04X}")
    return text


def _refused_by_the_reader(discussion: Discussion) -> str:
    """What the reader would refuse, or keep only as text, in this discussion (rules, links); else ""."""
    checks = [rules.too_long("title", discussion.title, rules.TITLE_LENGTH)]
    if discussion.url:
        checks.append(rules.too_long("paper URL", discussion.url, rules.PAPER_URL_LENGTH))
        checks.append(links.refusal(discussion.url))
    for reference in discussion.references:
        checks += [too_long_reference(reference), links.refusal(reference.url)]
    checks += [rules.too_long("name", name, rules.NAME_LENGTH) for name in discussion.participants]
    for question in discussion.questions:
        posts = [question, *thread_order(question.answers)]
        checks += [rules.too_long("label", post.label, rules.LABEL_LENGTH) for post in posts]
    return next((problem for problem in checks if problem), "")


# --- Sections ------------------------------------------------------------------------------------


def _paper_section(discussion: Discussion) -> list[str]:
    lines = []
    if discussion.title:
        lines.append(f"- 제목 : {_one_line(discussion.title, 'title')}")
    if discussion.url:
        lines.append(f"- 원본 : {_paper_link(discussion.url)}")
    for reference in discussion.references:
        if reference.kind == "summary":
            lines.append(f"- 요약 : {_summary_link(reference)}")
    if discussion.session_date:
        lines.append(f"- 날짜 : {discussion.session_date}")
    if discussion.presenter:
        lines.append(f"- 발표 : {_one_line(discussion.presenter, 'presenter')}")
    return ["## 논문", "\n".join(lines)] if lines else []


def _participants_section(discussion: Discussion) -> list[str]:
    if not discussion.participants:
        return []
    line = _one_line(", ".join(discussion.participants), "participants list")
    if parse_participants(line) != discussion.participants:
        raise ValueError(f"participant names cannot be listed on one line, split by commas: {line!r}")
    return ["## 참여자", line]


def _background_section(discussion: Discussion) -> list[str]:
    # Summaries are in the header; every other reference is listed here, with its kind when given.
    listed = [reference for reference in discussion.references if reference.kind != "summary"]
    blocks = []
    if listed:
        blocks.append("\n".join(_reference_line(n, reference) for n, reference in enumerate(listed, 1)))
    if discussion.description:
        blocks += ["[설명]", _escaped(discussion.description, is_structural_in_description)]
    return ["## 논문 Background", *blocks] if blocks else []


def _discussion_section(discussion: Discussion) -> list[str]:
    blocks = ["## 토론"]
    for question in discussion.questions:
        blocks.append(_question_block(question))
        for answer in question.answers:
            blocks += _thread_blocks(answer, depth=0)
    return blocks


def _thread_blocks(answer: Answer, depth: int) -> list[str]:
    # An answer, then its replies in thread order, each reply's own replies right after it;
    # walked with a stack (thread_depths), so a thread a thousand replies deep is written too.
    return [
        _block("A", reply.label, reply.author, reply.body, depth + below)
        for reply, below in thread_depths([answer])
    ]


# --- Question, answer and reply blocks -------------------------------------------------------------


def _question_block(question: Question) -> str:
    return _block("Q", question.label, question.author, question.body, 0, question.tags, question.discussed)


def _block(
    letter: str,
    label: str,
    author: str | None,
    body: str,
    depth: int,
    tags: Iterable[str] = (),
    discussed: bool = False,
) -> str:
    """A label line (`↳ A4 (지성).`), then the body, each line escaped where the reader needs it."""
    head = _label_head(letter, label, author, depth)
    body_lines = LINE_BREAK.split(body) if body else []
    lines = [head]
    if tags or discussed:
        # The notes (tags, the meeting's check mark) sit directly under the label line, so the
        # body starts below them.
        if tags:
            lines.append(_tags_line(list(tags)))
        if discussed:
            lines.append(DISCUSSED_LINE)
    elif body_lines and _reads_back(f"{head} {body_lines[0]}", label, author, depth, body_lines[0]):
        lines = [f"{head} {body_lines.pop(0)}"]
    lines += [_escaped_line(line, is_structural_in_body) for line in body_lines]
    return "\n".join(lines)


def _label_head(letter: str, label: str, author: str | None, depth: int) -> str:
    arrows = "↳" * depth + " " if depth else ""
    signature = f" ({author})" if author else ""
    head = _one_line(f"{arrows}{label}{signature}.", "label line")
    if not label.startswith(letter) or not _reads_back(head, label, author, depth, ""):
        raise ValueError(f"cannot write the label line {head!r} so that it reads back as written")
    return head


def _reads_back(line: str, label: str, author: str | None, depth: int, rest: str) -> bool:
    return parse_label(line) == LabelLine(label, depth, author or None, rest)


DISCUSSED_LINE = "<!-- discussed -->"


def _tags_line(tags: list[str]) -> str:
    for tag in tags:
        if problem := rules.topic_problem(tag):
            raise ValueError(problem)
    line = _one_line(f"<!-- tags: {', '.join(tags)} -->", "tags line")
    if parse_tags(line) != tags:
        raise ValueError(f"cannot write the tags {tags!r}: a tag must be one line, without commas")
    return line


# --- Links and references --------------------------------------------------------------------------


def _paper_link(url: str) -> str:
    link = f"[{url}]({url})"
    return link if parse_link(link) == (url, "") else _one_line(url, "paper URL")


def _summary_link(reference: Reference) -> str:
    link = _one_line(f"[{reference.label or reference.url}]({reference.url})", "summary link")
    if parse_link(link) != (reference.url, reference.label):
        raise ValueError(f"cannot write the summary link {link!r} so that it reads back as written")
    return link


def _reference_line(number: int, reference: Reference) -> str:
    link = f"[{reference.url}]({reference.url})"
    line = f"{number}) {reference.label} : {link}" if reference.label else f"{number}) {link}"
    if reference.kind:
        line += f" <!-- kind: {reference.kind} -->"
    _one_line(line, "reference line")
    read_back = parse_reference(line)
    if read_back is None or (read_back.url, read_back.label, read_back.kind) != (
        reference.url,
        reference.label,
        reference.kind,
    ):
        raise ValueError(f"cannot write the reference line {line!r} so that it reads back as written")
    return line


# --- Text ------------------------------------------------------------------------------------------


def _escaped(text: str, is_structural: Callable[[str], bool]) -> str:
    return "\n".join(_escaped_line(line, is_structural) for line in LINE_BREAK.split(text))


def _escaped_line(line: str, is_structural: Callable[[str], bool]) -> str:
    # The reader removes one leading backslash from a line whose remainder is structure.
    return "\\" + line if is_structural(line) else line


def _one_line(value: str, what: str) -> str:
    if LINE_BREAK.search(value):
        raise ValueError(f"the {what} must be one line: {value!r}")
    return value
