"""What an import keeps of the file it read, so that export_repository can give it back byte for
byte: the text, its path in its season folder, and each post's span (discussions.roundtrip), keyed
by the import key the importer gave the post's row."""

from django.utils import timezone

from discussions import importer, roundtrip, writes
from discussions.models import SourceFile


def keyed_posts(discussion):
    """(import key, the key of what it answers, post) for every post of a reading, in file order:
    the keys the importer gives their rows (importer._keys, importer.answer_key)."""
    found = []
    for question_key, question in importer._keys(discussion.questions):
        found.append((question_key, "", question))
        stack = [
            (question_key, importer.answer_key("", key), answer)
            for key, answer in reversed(list(importer._keys(question.answers)))
        ]
        while stack:  # depth first, as the file has them; no recursion, a thread may be deep
            parent, key, answer = stack.pop()
            found.append((key, parent, answer))
            stack += [
                (key, importer.answer_key(f"{key}>", reply_key), reply)
                for reply_key, reply in reversed(list(importer._keys(answer.replies)))
            ]
    return found


def spans_of(text, discussion):
    return [span.as_json() for span in roundtrip.find_spans(text, keyed_posts(discussion))]


def keep(paper, *, season, path, data: bytes, discussion, when=None):
    """Keep a file version the paper was just imported from. `discussion` is its reading as the
    rows got it (its bodies pointed at the attached figures), so that the export can tell a post
    changed in the app from one that was not."""
    text = data.decode("utf-8")  # the reader accepted it: UTF-8
    spans = spans_of(text, discussion)
    writes.keep_source(paper, season=season, path=path, text=text, spans=spans, dated=when or timezone.now())


def keep_readme(folder, season):
    """The season's README as it is now, unless the archive holds it already."""
    found = next((p for p in folder.iterdir() if p.name.casefold() == "readme.md" and p.is_file()), None)
    if found is None:
        return
    try:
        text = found.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return  # not text the archive can hold as it is: the export leaves the folder's own
    if not SourceFile.objects.filter(season=season, path=found.name, paper=None, text=text).exists():
        writes.keep_readme(season=season, path=found.name, text=text)
