"""The page index of a paper's PDF: PDFs written here with fpdf2, with their sections, captions and
equations on known pages, and the files that are refused."""

import io
import os
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discussions.pdfindex import PdfError, PdfIndex, index_in_child, index_pdf
from discussions.places import find_places

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


def make_pdf(pages, *, font="Helvetica", encrypt=False):
    """A PDF with one page per list of lines, each line as a line of text."""
    pdf = FPDF()
    if font != "Helvetica":
        pdf.add_font("Korean", fname=str(font))
        font = "Korean"
    pdf.set_font(font, size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    if encrypt:
        pdf.set_encryption(owner_password="owner", user_password="", encryption_method=EncryptionMethod.RC4)
    return bytes(pdf.output())


PAPER = [
    # 1: a contents page names sections with their page numbers: that is not where they start.
    [
        "Language Models are Few-Shot Learners",
        "Contents",
        "1 Introduction . . . . . . 2",
        "2.5 Evaluation . . . . . . 3",
        "3 Results . . . . . . 4",
    ],
    # 2: a sentence that mentions Figure 2.1 is not its caption.
    [
        "1 Introduction",
        "Recent years have featured a trend towards pre-trained language representations.",
        "Figure 2.1 below shows the three settings we explore.",
        "Figure 1.1: Language model meta-learning.",
    ],
    [
        "2 Approach",
        "Figure 2.1: Zero-shot, one-shot and few-shot, contrasted with traditional fine-tuning.",
        "2.5 Evaluation",
        "5 Layers and 4 heads of attention are enough in the smallest model",
        "L = - sum log p(x_n | x_1, ..., x_n-1) (3)",
    ],
    [
        "3 Results",
        "Table 6: Results on three Open-Domain QA tasks.",
        "Fig. 3. Aggregate performance for all 42 accuracy-denominated benchmarks.",
        "175 billion parameters 96 layers 12288",
    ],
    ["References", "[1] Alec Radford, Jeffrey Wu. Language models are unsupervised multitask learners."],
    # After the references, a letter heads an appendix without the word.
    ["A Details of Common Crawl Filtering", "Table A.1: Filtering statistics."],
    [
        "Appendix B: Details of Model Training",
        "B.1 Optimizer Settings",
        "D. Preserve all the copyright notices.",
        "E Then Keep the Rest",
        "4 Combining Documents",
        "C. Additional Samples from GPT-3",
    ],
]


@pytest.fixture(scope="module")
def paper():
    return index_pdf(make_pdf(PAPER))


def test_it_counts_the_pages(paper):
    assert paper.pages == 7


def test_it_finds_the_page_where_each_section_caption_and_appendix_starts(paper):
    assert paper.starts == {
        "section:1": 2,
        "section:2": 3,
        "figure:1.1": 2,
        "figure:2.1": 3,
        "section:2.5": 3,
        "equation:3": 3,
        "section:3": 4,
        "table:6": 4,
        "figure:3": 4,
        "appendix:A": 6,
        "table:A.1": 6,
        "appendix:B": 7,
        "appendix:B.1": 7,
        "appendix:C": 7,
    }


def test_the_places_a_question_names_lead_to_their_pages(paper):
    question = (
        "Figure 2.1을 보면 Table 6과 다른데, section 2.5와 Page.4 의 하단 주석, Eq. (3), 부록 B도 궁금합니다."
    )
    assert [(place.text, paper.page_for(place)) for place in find_places(question)] == [
        ("Figure 2.1", 3),
        ("Table 6", 4),
        ("section 2.5", 3),
        ("Page.4", 4),
        ("Eq. (3)", 3),
        ("부록 B", 7),
    ]


def test_a_section_the_pdf_does_not_head_leads_to_the_section_around_it(paper):
    (place,) = find_places("3.7절에서")
    assert paper.page_for(place) == 4
    (place,) = find_places("Appendix B.4")
    assert paper.page_for(place) == 7


def test_a_place_the_pdf_does_not_have_leads_nowhere(paper):
    for text in ["Figure 2.2", "Table 7", "section 9", "Page.8", "page 0", "Eq. (12)", "Appendix Z"]:
        assert [paper.page_for(place) for place in find_places(text)] in ([None], []), text


def test_it_reads_korean_captions():
    if not NANUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{NANUM} is missing: install Debian's fonts-nanum")
        pytest.skip(f"the Korean caption needs a Hangul font: {NANUM} (Debian's fonts-nanum) is missing")
    index = index_pdf(
        make_pdf([["서론", "표 2. 모델 크기와 학습 설정"], ["그림 3: 모델 크기에 따른 성능"]], font=NANUM)
    )
    assert index.starts == {"table:2": 1, "figure:3": 2}
    assert [index.page_for(place) for place in find_places("그림 3을 보면 표 2와")] == [2, 1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a PDF: the file is empty"),
        (b"Hello, this is a text file.", "not a PDF: it does not start with %PDF-"),
        (b"<!doctype html><title>arXiv</title>", "not a PDF: it does not start with %PDF-"),
        (b"%PDF-1.4\nnothing that a PDF holds", "a broken PDF"),
        (make_pdf(PAPER)[:2000], "a broken PDF"),
        (make_pdf([["x"]])[:-300], "a broken PDF"),
    ],
)
def test_it_refuses_a_file_that_is_no_pdf_or_a_broken_one(data, message):
    with pytest.raises(PdfError, match=message):
        index_pdf(data)


def test_it_refuses_an_encrypted_pdf():
    with pytest.raises(PdfError, match="an encrypted PDF"):
        index_pdf(make_pdf([["1 Introduction"]], encrypt=True))


def test_it_refuses_more_pages_than_it_reads():
    data = make_pdf([["1 Introduction"], ["2 Approach"], ["3 Results"]])
    assert index_pdf(data, max_pages=3).pages == 3
    with pytest.raises(PdfError, match="the PDF has 3 pages, more than the 2 an index reads"):
        index_pdf(data, max_pages=2)


def test_it_refuses_more_bytes_than_it_reads():
    data = make_pdf([["1 Introduction"]])
    assert index_pdf(data, max_bytes=len(data)).pages == 1
    with pytest.raises(PdfError, match=f"the PDF is {len(data):,} bytes, more than the 100 an index reads"):
        index_pdf(data, max_bytes=100)


def test_it_stops_reading_when_its_time_is_up():
    data = make_pdf([["1 Introduction"], ["2 Approach"]])
    with pytest.raises(PdfError, match="took too long: stopped at page 1 of 2"):
        index_pdf(data, time_limit=0)


_SMALL = make_pdf([["1 Introduction", "Figure 1: A caption."], ["Table 2: Another."]])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_SMALL) - 1), st.integers(0, 255)), min_size=1, max_size=20))
def test_a_damaged_pdf_gives_an_index_or_a_pdf_error_never_another_exception(changes):
    data = bytearray(_SMALL)
    for offset, value in changes:
        data[offset] = value
    try:
        index = index_pdf(bytes(data))
    except PdfError as refused:
        assert str(refused)
    else:
        assert isinstance(index, PdfIndex)


# In a child process the kernel bounds (the task worker reads every uploaded PDF this way)


def test_the_child_process_gives_the_same_index(paper):
    assert index_in_child(make_pdf(PAPER), cpu_seconds=10) == paper


def test_the_child_process_says_what_is_wrong_with_a_pdf_it_cannot_read():
    with pytest.raises(PdfError, match="not a PDF"):
        index_in_child(b"plain text, named paper.pdf")


def test_one_page_of_many_operators_is_stopped_by_the_kernel_inside_the_page():
    # A few KB whose one page takes pypdf seconds of processor time: the time check between pages
    # would come only after it; the kernel stops the child at its limit, inside the page.
    data = crafted_pdf(400_000)
    with pytest.raises(PdfError, match="more than 1 seconds of processor time: stopped"):
        index_in_child(data, cpu_seconds=1)


def test_the_child_process_is_refused_memory_beyond_its_limit():
    # The same page needs some 100 MB more than the interpreter's own 40 or so.
    with pytest.raises(PdfError, match="more memory than an index may take"):
        index_in_child(crafted_pdf(400_000), cpu_seconds=30, memory_bytes=100 * 1024 * 1024)


def crafted_pdf(operators):
    """A PDF of a few kilobytes whose one page holds `operators` text operators (deflated): pypdf
    spends seconds of processor time and a hundred megabytes on it, all inside one page."""
    content = zlib.compress(b"BT /F1 9 Tf " + b"(x) Tj " * operators + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
        b" /Contents 4 0 R >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
