"""Where each figure, table, section and appendix of a paper's PDF starts: its page index.

`index_pdf(data)` reads the text of each page with pypdf and notes the first page that has each
caption (`Figure 2.1:`, `Fig. 3.`, `Table 6:`, `그림 3`, `표 2`) and each section heading (a line that
starts with `2.5 Title`, `Appendix B`, or `B. Title` once the appendices or the references have
begun); then
`PdfIndex.page_for(place)` answers for a place `places.find_places()` found in a question.

The PDF comes from outside: whatever it holds, the answer is an index or a `PdfError` that says
what is wrong (not a PDF, encrypted, broken, too many pages, too slow to read), never another
exception. Reading is bounded by pages (`max_pages`), bytes (`max_bytes`) and time (`time_limit`,
checked between pages: pypdf cannot be stopped inside one).

A check between pages does not stop one page of a million text operators, nor the memory it
takes. So the app reads a PDF with `index_in_child()`: in a child process whose processor time and
address space the kernel limits (setrlimit), run by the task worker (discussions.tasks), never in
a request. Whatever pypdf does inside one page, the kernel stops it at its limit.
"""

import io
import json
import re
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

from .places import Place

MAX_PAGES = 300  # a long paper with its appendices is under 100
MAX_BYTES = 50 * 1024 * 1024
TIME_LIMIT = 30.0  # seconds


class PdfError(ValueError):
    """The PDF cannot be indexed; the message says why, for the person who gave it."""


@dataclass(frozen=True)
class PdfIndex:
    pages: int
    # places.place_key() → the first page (1-based) where it starts: {"figure:2.1": 6, "section:2.5": 10}
    starts: dict[str, int] = field(default_factory=dict)

    def page_for(self, place: Place) -> int | None:
        """The page to open for a place, or None when the PDF does not say."""
        if place.kind == "page":
            page = int(place.number)
            return page if 1 <= page <= self.pages else None
        number = place.number
        while True:
            if (page := self.starts.get(f"{place.kind}:{number}")) is not None:
                return page
            # Section 2.5 not found as a heading: section 2 is where to start reading. Figures and
            # tables have no such parent: Figure 2.1 is not in Figure 2.
            if place.kind not in ("section", "appendix") or "." not in number:
                return None
            number = number.rsplit(".", 1)[0]


def index_pdf(
    data: bytes, max_pages: int = MAX_PAGES, *, max_bytes: int = MAX_BYTES, time_limit: float = TIME_LIMIT
) -> PdfIndex:
    """The page index of a PDF, or PdfError."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise PdfError("not a PDF: the file is empty")
    if len(data) > max_bytes:
        raise PdfError(f"the PDF is {len(data):,} bytes, more than the {max_bytes:,} an index reads")
    # A PDF's header is in its first 1,024 bytes (ISO 32000-1, 7.5.2): anything else is another file.
    if b"%PDF-" not in data[:1024]:
        raise PdfError("not a PDF: it does not start with %PDF-")
    try:
        return _index(bytes(data), max_pages, time_limit)
    except PdfError:
        raise
    except MemoryError as exc:  # the child process's address space is limited (index_in_child)
        raise PdfError("reading the PDF needed more memory than an index may take") from exc
    except Exception as exc:  # pypdf reading a damaged file can fail in many ways, none of them ours
        raise PdfError(f"a broken PDF: {exc.__class__.__name__}: {exc}") from exc


def _index(data, max_pages, time_limit):
    deadline = time.monotonic() + time_limit
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise PdfError("an encrypted PDF: its text cannot be read without its password")
    count = len(reader.pages)
    if count == 0:
        raise PdfError("a PDF without pages")
    if count > max_pages:
        raise PdfError(f"the PDF has {count} pages, more than the {max_pages} an index reads")
    starts = {}
    appendix = None  # the appendices have not begun; then "" or the letter of the last one seen
    chapter = 0  # the last top-level section seen
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except MemoryError:
            raise  # not this page's fault alone: index_pdf() says what it is
        except Exception as exc:
            raise PdfError(
                f"page {number}: its text cannot be read ({exc.__class__.__name__}: {exc})"
            ) from exc
        for line in text.splitlines():
            line = " ".join(line.split())
            if not line:
                continue
            for key in _keys(line, appendix, chapter):
                starts.setdefault(key, number)
                if key.startswith("section:"):
                    chapter = int(key[len("section:") :].split(".")[0])
                elif key.startswith("appendix:"):
                    appendix = key[len("appendix:")]
            if appendix is None and _APPENDICES.match(line):
                appendix = ""
        if time.monotonic() >= deadline:
            raise PdfError(f"reading the PDF took too long: stopped at page {number} of {count}")
    return PdfIndex(pages=count, starts=starts)


_NUMBER = r"(?:[1-9]\d{0,2}(?:\.\d{1,3})*|[A-Z](?:\.\d{1,3})+)"
# "Figure 2.1: …", "Fig. 3. …", "Table 6: …": a caption, not a sentence that starts with "Figure 3 shows".
_CAPTION = re.compile(
    rf"^(?:(?P<figure>figure|fig\.)|(?P<table>table|tab\.))\s*(?P<number>{_NUMBER})\s*[:.](?!\d)",
    re.IGNORECASE,
)
# Korean captions are written "그림 3. …", "표 2: …", "<표 2> …" or "그림 3 …".
_CAPTION_KO = re.compile(
    rf"^<?\s*(?:(?P<figure>그림)|(?P<table>표))\s*(?P<number>{_NUMBER})\s*>?(?:[:.\s]|$)"
)
# "2.5 Evaluation", "3. Results": a short line whose title starts with a capital (or Hangul).
_HEADING = re.compile(r"^(?P<number>[1-9]\d?(?:\.[1-9]?\d){0,3})\.?\s+(?P<title>[A-Z가-힣].*)$")
_APPENDIX = re.compile(r"^(?:Appendix|부록)\s*(?P<number>[A-Z](?:\.\d{1,3})*)(?:[:.]|\s+[A-Z가-힣]|$)")
# Once the appendices begin: "B. Title", "B Title", "B.1 Title".
_APPENDIX_HEADING = re.compile(r"^(?P<number>[A-Z](?:\.\d{1,3})*)\.?\s+(?P<title>[A-Z][^,]*)$")
# Where the appendices begin when their headings lack the word: "A Details of …" after the references.
_APPENDICES = re.compile(
    r"^(?:Appendix|Appendices|Supplementary Material|References|Bibliography|부록|참고\s?문헌)$",
    re.IGNORECASE,
)
# An equation's number at the end of its line: "p(x) = ∏ p(s_n | s_1, …) (3)".
_EQUATION = re.compile(r"\((?P<number>[1-9]\d{0,2}(?:\.\d{1,3})?)\)$")
_LONGEST_HEADING = 100
# A page number after a space or dot leaders ("GPT-3" is a title's end), or a full stop.
_NOT_A_TITLE = re.compile(r"[\s.]\d+$|\.$")


def _keys(line, appendix, chapter):
    """The place_keys a line of a page starts; `appendix` is None before the appendices, then the
    letter of the last one seen ("" before the first); `chapter` the last top-level section."""
    for caption in (_CAPTION, _CAPTION_KO):
        if found := caption.match(line):
            kind = "figure" if found.group("figure") else "table"
            yield f"{kind}:{found.group('number').upper()}"
            return
    if len(line) <= _LONGEST_HEADING and _is_title(line):
        if found := _APPENDIX.match(line):
            yield f"appendix:{found.group('number')}"
            return
        if found := _HEADING.match(line):
            # Sections come in order, before the appendices: a numbered list's "4 Steps" in section
            # 2, or the "5. Combining documents" of a licence in an appendix, heads nothing.
            label = found.group("number")
            if appendix is None and int(label.split(".")[0]) in (chapter, chapter + 1):
                yield f"section:{label}"
        elif appendix is not None and (found := _APPENDIX_HEADING.match(line)):
            # Without the word "Appendix", a letter heads an appendix only in its order (the next
            # letter, or a part of the current one): a list's "D. Preserve all notices" does not.
            label = found.group("number")
            following = chr(ord(appendix) + 1) if appendix else "A"
            if label[0] == following or (label[0] == appendix and "." in label):
                yield f"appendix:{label}"
    if found := _EQUATION.search(line):
        yield f"equation:{found.group('number')}"


def _is_title(line):
    """Whether a line can be a heading: it does not end with a page number (a contents page's
    "2.5 Evaluation . . . 10", a running head, a table's row) nor a sentence's full stop."""
    return _NOT_A_TITLE.search(line) is None and re.search(r"[^\W\d_]{2}", line) is not None


# --- In a child process the kernel bounds ------------------------------------------------------

CPU_SECONDS = 20
MEMORY_BYTES = 512 * 1024 * 1024
# The project's folder: `python -m discussions.pdfindex` run there finds this module.
_ROOT = Path(__file__).resolve().parent.parent


def index_in_child(
    data: bytes, *, cpu_seconds: int = CPU_SECONDS, memory_bytes: int = MEMORY_BYTES
) -> PdfIndex:
    """index_pdf(data) in a child process that the kernel stops after `cpu_seconds` of processor
    time (RLIMIT_CPU) and refuses more than `memory_bytes` of address space (RLIMIT_AS); the wait
    for it is bounded in wall time too, for a child that sleeps. The index, or PdfError."""
    command = [sys.executable, "-m", "discussions.pdfindex", str(cpu_seconds), str(memory_bytes)]
    try:
        done = subprocess.run(
            command, input=bytes(data), capture_output=True, cwd=_ROOT, timeout=2 * cpu_seconds + 10
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        raise PdfError(f"reading the PDF took too long: stopped after {exc.timeout:.0f} seconds") from exc
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        # SIGXCPU at the soft limit, SIGKILL at the hard one a second later.
        raise PdfError(f"reading the PDF took more than {cpu_seconds} seconds of processor time: stopped")
    try:
        result = json.loads(done.stdout)
    except ValueError:
        # A child that died otherwise: its last line of stderr says how (a MemoryError while starting).
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise PdfError(f"reading the PDF stopped (exit status {done.returncode}: {last[:200]})") from None
    if "error" in result:
        raise PdfError(result["error"])
    return PdfIndex(pages=result["pages"], starts=result["starts"])


def _child(cpu_seconds: int, memory_bytes: int):
    """The child's side: limits first, then the untrusted bytes from stdin; the answer on stdout."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    data = sys.stdin.buffer.read()
    try:
        found = index_pdf(data, time_limit=cpu_seconds)
        answer = {"pages": found.pages, "starts": found.starts}
    except PdfError as error:
        answer = {"error": str(error)}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    _child(int(sys.argv[1]), int(sys.argv[2]))
