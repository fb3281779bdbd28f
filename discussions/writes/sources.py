"""The files of the group's repository as the archive last read or wrote them (SourceFile):
bookkeeping for export_repository, shown on no page, so no generation moves for it."""

import hashlib

from django.db import transaction
from django.utils import timezone

from discussions.models import Paper, Question, SourceFile
from discussions.writes.sessions import update_session


def keep_source(paper, *, season, path, text, spans, dated=None):
    """The file version a paper was last imported from (or exported to): one row per paper.

    A file imported on its own (season "") into a session a season holds stays that season's
    file, under its name there: import_discussion of one file does not take it out of its season.
    dated None keeps the date the row has (an export does not make a file the season's newest)."""
    values = {"text": text, "spans": spans}
    with transaction.atomic():
        held = SourceFile.objects.select_for_update().filter(paper=paper).first()
        if held is None or season or not held.season:
            values |= {"season": season, "path": path}
        if dated is not None or held is None:
            values["dated"] = dated or timezone.now()
        SourceFile.objects.update_or_create(paper=paper, defaults=values)


def keep_readme(*, season, path, text):
    with transaction.atomic():
        SourceFile.objects.update_or_create(season=season, path=path, paper=None, defaults={"text": text})


def exported(paper, *, season, path, text, spans, keys, session_number=None, user=None):
    """export_repository wrote `text` as the paper's file: it is now the version the archive
    holds, as an import of it would leave things (so importing it changes nothing).

    keys: (row, import key) of the posts made in the app, which the file now holds: each takes
    the key an import of the file gives it, so a later version of the file finds the row
    instead of making the post again (a key another row of its thread holds is left alone).
    session_number: the number the file is named with, for a session made in the app."""
    with transaction.atomic():
        keep_source(paper, season=season, path=path, text=text, spans=spans)
        digest = hashlib.sha256(text.encode()).hexdigest()
        Paper.objects.filter(pk=paper.pk).update(source_digest=digest)  # the import's bookkeeping
        paper.source_digest = digest
        for row, key in keys:
            model = type(row)
            scope = {"paper_id": row.paper_id} if model is Question else {"question_id": row.question_id}
            if model.objects.filter(import_key=key, **scope).exclude(pk=row.pk).exists():
                continue
            model.objects.filter(pk=row.pk, import_key="").update(import_key=key)
        if session_number is not None and paper.session_number != session_number:
            paper = update_session(
                paper, expected_version=paper.version, user=user, session_number=session_number
            )
    return paper
