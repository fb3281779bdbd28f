"""A discussion file written back as it was read, changed only where the app changed it.

Pure Python (text, spans and changes in, text out; no Django), as the reader and the writer are.
tomlkit and LibCST keep every token they were not asked to change; this keeps every line of a
discussion file that no change touches. An import keeps the file's text and each post's source
span, its lines in that text (find_spans). An export says which posts were edited, removed or
added (Changes); splice() writes those in the file's own house style (detect_style: the labels'
dress, signed or not, the lines between posts, the line endings) and leaves every other byte as
it was: an edited post replaces its span, a removed one leaves with the separator before it, a
new answer goes after the last post of its thread, a new question after the last question's.

What splice() writes is read back before it is returned: a post that would not read back as
written (a label the reader takes differently, a body line it would take as structure) raises
ValueError instead of reaching the group's repository changed.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from urllib.parse import quote

from discussions import reader

# --- Spans: where each post is in the text --------------------------------------------------------


@dataclass
class Span:
    key: str  # the post's import key: how the export finds its row
    kind: str  # "Q" or "A" (an answer or a reply)
    parent: str  # the key of what it answers (a question, or an answer for a reply); "" for a question
    start: int  # its label line, counted from 1 as the reader counts
    end: int  # its last line: blank and separator lines after it belong to no post
    label: str
    author: str | None
    body: str  # digest() of its body as imported: the export compares the row's body with it

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Span:
        return cls(**data)


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:24]


def lines_of(text: str) -> tuple[list[str], list[str]]:
    """The text's lines as the reader numbers them, and each line's own ending ("" for the last)."""
    return reader.LINE_BREAK.split(text), [*reader.LINE_BREAK.findall(text), ""]


def _is_gap(line: str) -> bool:
    # Lines that separate things and carry no text (FORMAT.md): blank, `---`, `<br>`.
    return not line.strip() or bool(reader._SEPARATOR.match(line))


def find_spans(text: str, posts) -> list[Span]:
    """The spans of a file's posts; `posts`: (key, parent key, post of the reading) in file order.

    A post runs from its label line to the line before the next label or `## ` heading, without
    the blank and separator lines at its end."""
    lines, _endings = lines_of(text)
    posts = list(posts)
    headings = [n for n, line in enumerate(lines, start=1) if reader._HEADING.match(line)]
    starts = sorted(post.line for _key, _parent, post in posts)
    spans = []
    for key, parent, post in posts:
        after = [len(lines) + 1]
        for found in (starts, headings):
            if (index := bisect.bisect_right(found, post.line)) < len(found):
                after.append(found[index])
        end = min(after) - 1
        while end > post.line and _is_gap(lines[end - 1]):
            end -= 1
        kind = "Q" if isinstance(post, reader.Question) else "A"
        spans.append(Span(key, kind, parent, post.line, end, post.label, post.author, digest(post.body)))
    return spans


# --- The house style -------------------------------------------------------------------------------


@dataclass
class Style:
    """How a file writes its posts; the defaults are the canonical writer's (discussions.writer)."""

    question_dress: str = ""  # before the label: `- ` in `- Q1.`
    answer_dress: str = ""  # `>- ` in `>- A1-1.`
    signed: bool = True  # `Q1 (정훈).` rather than `Q1.`
    signature_space: bool = True  # `Q1 (정훈)` rather than `Q1(정훈)`
    stop: str = "."  # after the label (and signature): `.`, `:` or nothing
    body_on_label_line: bool = True  # `Q1 (정훈). text` rather than the text on the next line
    question_continuation: str = ""  # what a question's later body lines start with
    answer_continuation: str = ""  # `> ` under a blockquoted answer
    question_gap: list[str] = field(default_factory=lambda: [""])  # lines before a question
    answer_gap: list[str] = field(default_factory=lambda: [""])  # lines before an answer
    lead_gap: list[str] = field(default_factory=lambda: [""])  # between `## 토론` and the first post
    newline: str = "\n"


# The dress a new label may copy: indentation, blockquote and list markers (not bold or HTML,
# which close after the label and would be written half).
_PLAIN_DRESS = re.compile(r"[ \t>\-+]*")
_LABEL_TAIL = re.compile(
    r"(?P<label>[QA]\d+(?:-\d+)*)(?P<space>[ \t]*)(?P<signature>\([^()]*\))?[ \t]*(?P<stop>[.:])?"
)


def _vote(counter: Counter, default):
    return counter.most_common(1)[0][0] if counter else default


def detect_style(text: str, spans: list[Span]) -> Style:
    """The style most of the file's posts are written in (each trait by majority)."""
    lines, endings = lines_of(text)
    style = Style()
    dress = {"Q": Counter(), "A": Counter()}
    continuation = {"Q": Counter(), "A": Counter()}
    gaps = {"Q": Counter(), "A": Counter()}
    signed, spaced, stops, on_line, lead = Counter(), Counter(), Counter(), Counter(), Counter()
    previous = None
    for span in sorted(spans, key=lambda s: s.start):
        line = lines[span.start - 1]
        worn = _PLAIN_DRESS.match(line)[0]
        tail = _LABEL_TAIL.match(line, len(worn))
        if tail is not None:
            dress[span.kind][worn] += 1
            stops[tail["stop"] or ""] += 1
            # What the line shows, not whom the archive knows the post by.
            signed[bool(tail["signature"])] += 1
            if tail["signature"]:
                spaced[bool(tail["space"])] += 1
        parsed = reader.parse_label(line)
        if parsed is not None and span.body != digest(""):
            on_line[bool(parsed.rest)] += 1
        for inner in lines[span.start : span.end]:
            if inner.strip():
                quote = reader._BLOCKQUOTE.match(inner)
                continuation[span.kind][quote[0] if quote else ""] += 1
        if previous is not None and span.start > previous.end:
            between = lines[previous.end : span.start - 1]
            if all(_is_gap(gap) for gap in between):
                gaps[span.kind][tuple(between)] += 1
        elif previous is None:
            above = lines[: span.start - 1]
            heading = max((n for n, gap in enumerate(above) if reader._HEADING.match(gap)), default=None)
            if heading is not None and all(_is_gap(gap) for gap in above[heading + 1 :]):
                lead[tuple(above[heading + 1 :])] += 1
        previous = span
    style.question_dress = _vote(dress["Q"], style.question_dress)
    style.answer_dress = _vote(dress["A"], style.answer_dress)
    style.signed = _vote(signed, style.signed)
    style.signature_space = _vote(spaced, style.signature_space)
    style.stop = _vote(stops, style.stop)
    style.body_on_label_line = _vote(on_line, style.body_on_label_line)
    style.question_continuation = _vote(continuation["Q"], "")
    style.answer_continuation = _vote(continuation["A"], "")
    style.question_gap = list(_vote(gaps["Q"], tuple(style.question_gap)))
    style.answer_gap = list(_vote(gaps["A"], tuple(style.answer_gap)))
    style.lead_gap = list(_vote(lead, tuple(style.lead_gap)))
    style.newline = _vote(Counter(ending for ending in endings if ending), "\n")
    return style


# --- Blocks: a post's lines in a style --------------------------------------------------------------


@dataclass
class Post:
    """A post as the export wants it written."""

    label: str
    author: str | None
    body: str
    depth: int = 0  # 0: a question or an answer; n: a reply n levels down (`↳ A1.`)


def clean(body: str) -> str:
    """A body as the reader gives it back: NFC, one kind of line break, stripped."""
    return "\n".join(reader.LINE_BREAK.split(unicodedata.normalize("NFC", body))).strip()


def _head(style: Style, kind: str, post: Post, dress: str | None = None) -> tuple[str, str | None]:
    """The label line without its body, and the author it names (None: unsigned)."""
    dress = (style.question_dress if kind == "Q" else style.answer_dress) if dress is None else dress
    arrows = "↳" * post.depth + " " if post.depth else ""
    author = post.author if style.signed else None
    space = " " if style.signature_space else ""
    for stop in dict.fromkeys([style.stop, "."]):  # a stop the reader needs (`Q1` alone ends no label)
        signature = f"{space}({author})" if author else ""
        head = f"{dress}{arrows}{post.label}{signature}{stop}"
        if reader.parse_label(head) == reader.LabelLine(post.label, post.depth, author, ""):
            return head, author
    raise ValueError(f"cannot write the label {post.label!r} so that it reads back as written")


def _body_lines(body: str, continuation: str) -> list[str]:
    out = []
    for line in reader.LINE_BREAK.split(body):
        if reader.is_structural_in_body(line):
            out.append("\\" + line)  # the reader removes one backslash from such a line
        elif continuation:
            out.append(continuation + line if line else continuation.rstrip())
        else:
            out.append(line)
    return out


def _lay_out(head: str, post: Post, author, body_on_line: bool, continuation: str, notes=()):
    body = clean(post.body)
    rest = reader.LINE_BREAK.split(body) if body else []
    if body_on_line and rest and not notes:
        first = f"{head} {rest[0]}"
        if reader.parse_label(first) == reader.LabelLine(post.label, post.depth, author, rest[0]):
            return [first, *_body_lines("\n".join(rest[1:]), continuation)] if rest[1:] else [first]
    return [head, *notes, *(_body_lines(body, continuation) if body else [])]


def block(style: Style, kind: str, post: Post) -> tuple[list[str], str | None]:
    """A new post's lines in the style, and the author its label names."""
    head, author = _head(style, kind, post)
    continuation = style.question_continuation if kind == "Q" else style.answer_continuation
    return _lay_out(head, post, author, style.body_on_label_line, continuation), author


_NOTE = re.compile(r"^[ \t]*<!--.*-->[ \t]*$")


def changed(style: Style, span: Span, label_line: str, body: str, author: str | None) -> bool:
    """Whether the app changed what the file shows of a post: its text, or its author where the
    file signs its posts (an unsigned file keeps a post unsigned, whoever the app says wrote it)."""
    if digest(body) != span.body:
        return True
    parsed = reader.parse_label(label_line)
    return _signs(style, parsed) and author != span.author


def _signs(style: Style, parsed) -> bool:
    return style.signed or (parsed is not None and parsed.author is not None)


def rewrite(style: Style, span: Span, old: list[str], post: Post) -> tuple[list[str], str | None]:
    """An edited post's new lines: its own label line kept as it was (dress, signature, stop)
    unless its author changed, its notes kept, its body written as the post wrote its own."""
    line = old[0]
    parsed = reader.parse_label(line)
    if parsed is None:
        raise ValueError(f"line {span.start}: the post's label line is not where it was")
    signs = _signs(style, parsed)
    kept = line.rstrip()
    if parsed.rest and kept.endswith(parsed.rest):
        kept = kept[: len(kept) - len(parsed.rest)].rstrip()
    label, author = parsed.label, parsed.author
    same = reader.LabelLine(parsed.label, parsed.depth, parsed.author, "")
    if (signs and post.author != span.author) or reader.parse_label(kept) != same:
        # A new label line, in the dress this one wore: signed where the file signs.
        worn = _PLAIN_DRESS.match(line)[0]
        relabelled = Post(post.label, post.author, post.body, parsed.depth)
        kept, author = _head(Style(**{**asdict(style), "signed": signs}), span.kind, relabelled, worn)
        label = post.label
    notes = []
    for inner in old[1:]:
        if not _NOTE.match(inner):
            break
        notes.append(inner)
    own = Counter()
    for inner in old[1 + len(notes) :]:
        if inner.strip():
            quote = reader._BLOCKQUOTE.match(inner)
            own[quote[0] if quote else ""] += 1
    default = style.question_continuation if span.kind == "Q" else style.answer_continuation
    continuation = _vote(own, default)
    on_line = bool(parsed.rest) if (parsed.rest or len(old) > 1) else style.body_on_label_line
    written = Post(label, author, post.body, parsed.depth)
    return _lay_out(kept, written, author, on_line, continuation, notes), author


# --- Splicing ---------------------------------------------------------------------------------------


@dataclass
class Added:
    id: str  # how later additions name it as their parent, and how the result's order names it
    kind: str  # "Q" or "A"
    parent: str  # a span's key or an earlier addition's id; "" for a question
    post: Post


@dataclass
class Changes:
    edited: dict[str, Post] = field(default_factory=dict)  # span key → the post as it is now
    dropped: set[str] = field(default_factory=set)  # span keys of posts no longer shown
    added: list[Added] = field(default_factory=list)  # in thread order


_ANY = object()  # an author not checked


@dataclass
class _Unit:
    lines: list[tuple[str, str | None]]  # (text, its ending; None: the style's)
    post: str = ""  # the span's key or the addition's id; "" for the text between posts
    ancestors: tuple[str, ...] = ()
    dropped: bool = False
    expect: tuple | None = None  # (label, author, body or None) the reader must find


def splice(text: str, spans: list[Span], changes: Changes, style: Style | None = None):
    """The text with the changes made; returns (text, the posts' keys and ids in their new order)."""
    style = style or detect_style(text, spans)
    lines, endings = lines_of(text)
    numbered = list(zip(lines, endings, strict=True))
    units, ancestors = [], {}
    at = 1
    for span in sorted(spans, key=lambda s: s.start):
        if span.start > at:
            units.append(_Unit(numbered[at - 1 : span.start - 1]))
        ancestors[span.key] = (*ancestors.get(span.parent, ()), span.parent) if span.parent else ()
        own = numbered[span.start - 1 : span.end]
        # An untouched post is checked by its label: its lines are as they were.
        unit = _Unit(own, span.key, ancestors[span.key], expect=(span.label, _ANY, None))
        if span.key in changes.edited:
            post = changes.edited[span.key]
            new, author = rewrite(style, span, [line for line, _ in own], post)
            unit.lines = [(line, None) for line in new[:-1]] + [(new[-1], own[-1][1])]
            unit.expect = (reader.parse_label(new[0]).label, author, clean(post.body))
        unit.dropped = span.key in changes.dropped
        units.append(unit)
        at = span.end + 1
    if at <= len(lines):
        units.append(_Unit(numbered[at - 1 :]))

    units = _drop(units)
    for added in changes.added:
        ancestors[added.id] = (*ancestors.get(added.parent, ()), added.parent) if added.parent else ()
        new, author = block(style, added.kind, added.post)
        unit = _Unit([(line, None) for line in new], added.id, ancestors[added.id])
        unit.expect = (added.post.label, author, clean(added.post.body))
        gap = style.question_gap if added.kind == "Q" else style.answer_gap
        _insert(units, unit, added.parent, [(line, None) for line in gap], style)

    flat = [line for unit in units for line in unit.lines]
    last_ending = endings[-1] if lines else ""
    out = []
    for number, (line, ending) in enumerate(flat, start=1):
        if number == len(flat):
            ending = last_ending  # a file without a final line break stays so
        elif not ending:
            ending = style.newline  # a line that was last, or a new one
        out.append(line + ending)
    result = "".join(out)
    order = [unit.post for unit in units if unit.post]
    _check(result, [unit.expect for unit in units if unit.post])
    return result, order


def _drop(units: list[_Unit]) -> list[_Unit]:
    """Without the dropped posts, and for each run of them the separator lines before it (or
    after it, when no post is left before it): removed posts leave no doubled separators."""
    posts = [index for index, unit in enumerate(units) if unit.post]
    gone = set()
    run = []
    for number, index in enumerate([*posts, None]):
        if index is not None and units[index].dropped:
            run.append(number)
            continue
        if run:
            first, last = posts[run[0]], posts[run[-1]]
            gone.update(range(first, last + 1))  # the run and the lines between its posts
            kept_before = any(not units[i].dropped for i in posts[: run[0]])
            if kept_before and _is_gap_unit(units, first - 1):
                gone.add(first - 1)
            elif not kept_before and index is not None and _is_gap_unit(units, last + 1):
                gone.add(last + 1)
            run = []
    return [unit for index, unit in enumerate(units) if index not in gone]


def _is_gap_unit(units, index) -> bool:
    return (
        0 <= index < len(units)
        and not units[index].post
        and all(_is_gap(line) for line, _ in units[index].lines)
    )


def _insert(units: list[_Unit], unit: _Unit, parent: str, gap, style: Style):
    """After the last post of its thread (its parent's, or the whole discussion for a question)."""
    after = None
    for index, other in enumerate(units):
        if other.post and (not parent or other.post == parent or parent in other.ancestors):
            after = index
    if after is not None:
        units[after + 1 : after + 1] = [_Unit(list(gap)), unit]
        return
    if parent:
        raise ValueError(f"the post {parent!r} that {unit.post!r} answers is not in the file")
    # No post left at all: the first question goes where the first post was, or at the end.
    first = next((index for index, other in enumerate(units) if other.post), len(units))
    units[first:first] = [unit, _Unit(list(gap))] if first < len(units) else [_Unit(list(gap)), unit]


def _check(text: str, expected: list[tuple]):
    """Read the result back: the same posts in the same order, the changed ones as written."""
    try:
        reading = reader.read(text)
    except reader.FormatError as error:
        raise ValueError(f"the file would not read back: {error}") from error
    found = [
        (post.line, post.label, post.author, post.body)
        for question in reading.questions
        for post in [question, *reader.thread_order(question.answers)]
    ]
    if len(found) != len(expected):
        raise ValueError(f"the file would read back with {len(found)} posts, not {len(expected)}")
    for (line, label, author, body), (want_label, want_author, want_body) in zip(
        found, expected, strict=True
    ):
        if (
            label != want_label
            or (want_author is not _ANY and author != want_author)
            or (want_body is not None and body != want_body)
        ):
            raise ValueError(f"line {line}: {label} would not read back as written")


# --- A new file -------------------------------------------------------------------------------------


def new_file(style: Style, header: str, posts: list[tuple[str, str, str, Post]]) -> tuple[str, list[str]]:
    """A session's file: `header` (its text up to and including the discussion's heading), then
    its posts in the style; posts: (id, kind, parent id, post) in thread order, as Changes.added.
    Returns the text and the posts' ids in order, read back as splice()'s are."""
    nl = style.newline
    text = nl.join(reader.LINE_BREAK.split(header.rstrip("\r\n"))) + nl
    lines = list(style.lead_gap)
    expected, order = [], []
    for number, (post_id, kind, _parent, post) in enumerate(posts):
        if number:
            lines += style.question_gap if kind == "Q" else style.answer_gap
        new, author = block(style, kind, post)
        lines += new
        expected.append((post.label, author, clean(post.body)))
        order.append(post_id)
    text += nl.join(lines) + nl
    _check(text, expected)
    return text, order


# --- The season's README -----------------------------------------------------------------------------

_README_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t]*$")
_README_ENTRY = re.compile(r"^(?P<indent>[ \t]*)(?P<number>\d+)(?P<stop>[.)][ \t]+)(?P<title>.+?)[ \t]*$")
_MARKDOWN_LINK = re.compile(r"^\[(.+?)\]\((.*)\)$")
ORDER_HEADING = "논문 목록"


def readme_with(text: str, entries: list[tuple[int, str, str]]) -> str:
    """The README with a line for each new session, (number, title, file name), after the last
    line of its paper list and written as that line is (`3. Title`, or a link when it links);
    a README without a list gets one at its end. No entries: the text as it was."""
    if not entries:
        return text
    lines, endings = lines_of(text)
    newline = _vote(Counter(ending for ending in endings if ending), "\n")
    section, last = "", None
    for number, line in enumerate(lines):
        if heading := _README_HEADING.match(line):
            section = heading[1].casefold()
        elif section in ("논문 목록", "papers") and _README_ENTRY.match(line):
            last = number
    if last is None:
        body = text.rstrip("\r\n")
        added = [f"{n}. {title}" for n, title, _name in entries]
        return (body + newline * 2 if body else "") + newline.join([f"## {ORDER_HEADING}", *added]) + newline
    shape = _README_ENTRY.match(lines[last])
    linked = _MARKDOWN_LINK.match(shape["title"])
    added = []
    for n, title, name in entries:
        shown = f"[{title}]({quote(name)})" if linked else title
        added.append(f"{shape['indent']}{n}{shape['stop']}{shown}")
    ending = endings[last] or newline
    before = "".join(line + end for line, end in zip(lines[: last + 1], endings[: last + 1], strict=True))
    if not endings[last]:  # the list's last line ended the file
        return before + "".join(ending + line for line in added)
    after = "".join(line + end for line, end in zip(lines[last + 1 :], endings[last + 1 :], strict=True))
    return before + "".join(line + ending for line in added) + after
