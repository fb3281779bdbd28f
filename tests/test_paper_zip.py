"""A paper's download with its files (a zip laid out as the group's repository: the discussion
file, `img/`, `summary/`, `paper/`, relative links), importing it back, and the topics a question
asked in the app gets."""

import io
import zipfile
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from discussions import archive, attachments, importer, writes
from discussions.models import Answer, Attachment, Participant, Question
from discussions.reading import paper_pdf
from tests.test_attachments import answer_with_image, make_pdf, png, upload


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def prepared(seeded, as_persona):
    """The seed's paper with a figure in an answer, two uploads of its PDF and the slides."""
    question = Question.objects.shown().filter(paper=seeded).first()
    answer_with_image(as_persona("alice"), question, png(size=(40, 30)), name="plot 1.png")
    client = as_persona("carol")
    upload(client, seeded, make_pdf(pages=2, text="older"), name="gpt3.pdf")
    upload(client, seeded, make_pdf(pages=3, text="newer"), name="gpt3.pdf")
    upload(client, seeded, make_pdf(pages=1, text="slides"), name="slides.pdf", kind="slides")
    return client


def download(client, paper):
    response = client.get(reverse("discussions:paper_download_zip", args=[paper.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    return response


def test_a_paper_downloads_with_its_files_and_relative_links(seeded, as_persona):
    prepared(seeded, as_persona)
    visitor = as_persona("anonymous")
    assert (
        reverse("discussions:paper_download_zip", args=[seeded.slug])
        in visitor.get(seeded.get_absolute_url()).content.decode()
    )
    response = download(visitor, seeded)
    assert f"{seeded.slug}.zip" in response["Content-Disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    assert bundle.namelist() == [
        f"{seeded.slug}.md",
        "img/plot-1.png",
        "paper/gpt3.pdf",
        "paper/gpt3-2.pdf",
        "summary/slides.pdf",
    ]
    text = bundle.read(f"{seeded.slug}.md").decode()
    assert "(img/plot-1.png)" in text and "/attachments/" not in text
    figure = Attachment.objects.get(kind="image")
    with default_storage.open(figure.file.name) as stored:
        assert bundle.read("img/plot-1.png") == stored.read()
    newest = paper_pdf(seeded)
    with default_storage.open(newest.file.name) as stored:
        assert bundle.read("paper/gpt3-2.pdf") == stored.read()


def test_a_removed_pdf_and_a_figure_no_post_shows_stay_out_of_the_zip(seeded, as_persona):
    client = prepared(seeded, as_persona)
    older = Attachment.objects.filter(kind="paper").order_by("pk").first()
    client.post(reverse("discussions:remove_attachment", args=[older.pk]))
    writes.attach(seeded, attachments.check_image(png(size=(9, 9)), "unused.png"), kind="image", user=None)
    names = zipfile.ZipFile(io.BytesIO(download(client, seeded).content)).namelist()
    assert names == [f"{seeded.slug}.md", "img/plot-1.png", "paper/gpt3.pdf", "summary/slides.pdf"]


def test_the_zip_imported_into_an_empty_archive_brings_the_files_back(
    transactional_db, seeded, as_persona, tmp_path, settings
):
    prepared(seeded, as_persona)
    path = tmp_path / "gpt3.zip"
    path.write_bytes(download(as_persona("anonymous"), seeded).content)
    before = sorted(Attachment.objects.values_list("kind", "sha256"))
    newest_sha = paper_pdf(seeded).sha256
    old_figure = Attachment.objects.get(kind="image")
    body = Answer.objects.get(body__contains=old_figure.get_absolute_url()).body

    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "elsewhere"  # an empty storage too: the bytes come from the zip
    out = StringIO()
    call_command("import_discussion", str(path), stdout=out)
    assert "4 file(s) attached" in out.getvalue()

    assert sorted(Attachment.objects.values_list("kind", "sha256")) == before
    paper = Attachment.objects.first().paper
    assert paper_pdf(paper).sha256 == newest_sha  # the chips open the same PDF as before
    figure = Attachment.objects.get(kind="image")
    answer = Answer.objects.get(body__contains=figure.get_absolute_url())
    assert answer.body == body.replace(old_figure.get_absolute_url(), figure.get_absolute_url())
    assert f'<img src="{figure.get_absolute_url()}"' in answer.body_html
    with default_storage.open(figure.file.name) as stored:
        assert stored.read() == zipfile.ZipFile(path).read("img/plot-1.png")


def test_a_zip_that_is_not_a_papers_is_refused_with_what_is_wrong(db, tmp_path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as bundle:
        bundle.writestr("img/plot.png", png())
    with pytest.raises(CommandError, match="one discussion file"):
        call_command("import_discussion", str(empty), stdout=StringIO())
    crowded = tmp_path / "crowded.zip"
    with zipfile.ZipFile(crowded, "w") as bundle:
        bundle.writestr("paper.md", "# A paper\n")
        for number in range(archive.MAX_ZIP_FILES):
            bundle.writestr(f"img/{number}.png", b"")
    with pytest.raises(CommandError, match="501 files, more than the 500"):
        call_command("import_discussion", str(crowded), stdout=StringIO())
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really a zip")
    with pytest.raises(CommandError, match="not a zip that can be read"):
        call_command("import_discussion", str(broken), stdout=StringIO())


def test_a_zips_file_that_is_not_what_its_folder_says_is_left_out_with_a_warning(db, tmp_path):
    path = tmp_path / "paper.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr(
            "paper.md",
            "# A paper\n\n## 질문\n\nQ1 (소연). 그림을 보세요 ![그림](img/fake.png)\n\n- A1 (지성). 네\n",
        )
        bundle.writestr("img/fake.png", b"not an image at all")
        bundle.writestr("paper/paper.pdf", make_pdf())
    out = StringIO()
    call_command("import_discussion", str(path), stdout=out)
    assert "img/fake.png" in out.getvalue() and "not attached" in out.getvalue()
    assert list(Attachment.objects.values_list("kind", flat=True)) == ["paper"]
    assert "(img/fake.png)" in Question.objects.get().body  # left as the file had it


# Topics of a question asked in the app


def test_a_question_asked_in_the_app_gets_the_topics_an_import_gives(seeded, as_persona):
    body = "few-shot 프롬프트가 연산량 대비 효율적인가요?"
    expected = sorted(importer.topic_rules().topics_for(body, []), key=str.casefold)
    assert expected == ["efficiency", "few-shot"]  # the test's premise: the rules' own answer
    client = as_persona("alice")
    response = client.post(
        reverse("discussions:ask", args=[seeded.slug]), {"body": body, "token": writes.new_token()}
    )
    assert response.status_code == 302
    question = Question.objects.get(body=body)
    assert sorted(question.tags.names(), key=str.casefold) == expected
    assert question.topic_names == "efficiency, few-shot" and not question.tags_by_hand
    assert question.history.get().topic_names == "efficiency, few-shot"
    topic_page = client.get(reverse("discussions:topic", args=["efficiency"])).content.decode()
    assert question.body_html[:20] in topic_page or question.label in topic_page


def test_a_question_without_the_rules_words_gets_no_topic(seeded):
    question, _ = writes.ask(
        seeded, author=Participant.objects.get(name="소연"), body="이건 무슨 뜻인가요?", user=None
    )
    assert list(question.tags.names()) == [] and question.topic_names == ""
