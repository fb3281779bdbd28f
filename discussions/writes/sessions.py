"""Sessions: a paper with a date and a presenter, prepared in the app; its references and files.

Each write's docstring says which rows it locks, after its thread's generations (writes.core).
"""

import copy

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import notify
from discussions.models import (
    Attachment,
    OldPaperSlug,
    Paper,
    Reference,
    unique_slug,
)
from discussions.writes.core import RESUBMIT_WINDOW, Conflict, _user, archive_write

# Sessions: a paper with a date and a presenter, prepared in the app


def propose(*, proposer, title, url="", session_date=None, user, token=None):
    """Any member proposes the next session; they present it unless the presenter or staff say
    otherwise. Returns (paper, created); the same form token again returns the first proposal.
    Locks nothing but the archive's generation (a new row)."""
    with archive_write() as write:
        if token and (made := Paper.objects.filter(client_token=token).first()):
            return made, False
        recent = Paper.objects.filter(
            proposed_by=proposer, title=title, created_at__gte=timezone.now() - RESUBMIT_WINDOW
        )
        if made := recent.first():
            return made, False
        paper = Paper(
            title=title,
            url=url,
            session_date=session_date,
            presenter=proposer,
            proposed_by=proposer,
            client_token=token or None,
        )
        paper.lock({"title", "url"} if url else {"title"})
        paper.save()
        write.changed(paper, None, user=user)
        paper.participants.add(proposer)
    return paper, True


SESSION_FIELDS = ["title", "url", "session_date", "presenter", "description"]


def update_session(paper, *, expected_version, user, participants=None, **fields):
    """The presenter or staff complete a session: its fields, participants; one version, or Conflict.
    Locks the paper's row."""
    with archive_write(paper.pk) as write:
        current = Paper.objects.select_for_update(no_key=True).filter(pk=paper.pk).first()
        if current is None:
            raise Conflict(_("This session was deleted meanwhile."))
        if current.version != expected_version:
            raise Conflict(_("Someone changed this session while you were editing it."), current)
        before = copy.copy(current)
        if fields.get("title", current.title) != current.title:
            _follow_title(current, fields["title"])
        if "session_date" in fields and fields["session_date"] != current.session_date:
            current.date_from_history = False  # a date someone gave, no longer the history's guess
        for name, value in fields.items():
            setattr(current, name, value)
        # Set here by hand: a later import of the session's file keeps them (a URL emptied is
        # no URL given: the file's may fill it).
        current.lock({name for name, value in fields.items() if value})
        current.version += 1
        current.save()
        write.changed(current, before, user=user)
        if participants is not None:
            current.participants.set({*participants, *([current.presenter] if current.presenter else [])})
        if {"session_date", "presenter", "title"} & set(fields):
            notify.after_session_change(current, user=user)
    return current


def _follow_title(paper, title):
    """The session's address says its title: a new title gives a new slug, and the old one is
    kept so that links to it still lead here (views.follows_renames)."""
    slug = unique_slug(Paper, title, exclude_pk=paper.pk)
    if slug == paper.slug:
        return
    OldPaperSlug.objects.update_or_create(slug=paper.slug, defaults={"paper": paper})
    OldPaperSlug.objects.filter(slug=slug).delete()  # the paper's own address now, not an old one
    paper.slug = slug


def save_references(paper, *, expected_version, user, rows):
    """Replace a session's background references with `rows` in order.

    rows: (reference or None, label, url, kind, remove) as the form gave them; every added,
    changed, moved or removed reference gets a version in its history. Locks the paper's row."""
    with archive_write(paper.pk) as write:
        current = Paper.objects.select_for_update(no_key=True).filter(pk=paper.pk).first()
        if current is None or current.version != expected_version:
            raise Conflict(
                _("Someone changed this session's references while you were editing them."), current
            )
        position = 0
        for reference, label, url, kind, remove in rows:
            if remove:
                if reference is not None:
                    write.delete([reference], user=user)
                continue
            position += 1
            before = copy.copy(reference)
            if reference is None:
                reference = Reference(paper=current, origin=Reference.Origin.LISTED)
            elif (reference.label, reference.url, reference.kind, reference.position) == (
                label,
                url,
                kind,
                position,
            ):
                continue
            reference.label, reference.url, reference.kind, reference.position = label, url, kind, position
            reference.save()
            write.changed(reference, before, user=user)
        # The session's own version moves (no history: its fields are as they were), so a second
        # editor of the references gets a conflict.
        Paper.objects.filter(pk=current.pk).update(version=F("version") + 1)
        current.version += 1
    return current


# Attachments: the paper's PDF, the presenter's slides, figures in posts (discussions.attachments)


def attach(paper, checked, *, kind, user):
    """Attach checked bytes (attachments.Checked) to a session. Returns (attachment, created).

    The same bytes for the same paper and kind are the shown attachment already there: a second
    upload, a double click or a retry makes nothing new. The file is stored before the
    transaction (a 30 MB write holds no lock); stored twice, it is one file, as its name is its
    SHA-256. A PDF's pages are indexed later, by the task worker (discussions.tasks), never here:
    a crafted PDF can take a processor for minutes.
    Locks the paper's thread generation (no row of its own: the attachment is new).
    """
    from discussions.attachments import store

    name = store(checked)
    # The paper's row, locked first (its thread's generation), so two uploads of the same file at
    # once make one row, not an IntegrityError.
    with archive_write(paper.pk) as write:
        return _attach(write, paper, checked, name, kind=kind, user=user)


def replace(attachment, checked, *, user):
    """Put new bytes in place of a file of the paper's PDF or slides: the new one attached as the
    same kind, the old one removed, in one transaction. Returns the new attachment; Conflict when
    the old one was removed meanwhile, or when the new bytes are the old ones. Locks the paper's
    thread generation, then the old attachment's row."""
    from discussions.attachments import store

    name = store(checked)
    with archive_write(attachment.paper_id) as write:
        current = _locked(attachment)
        if checked.sha256 == current.sha256:
            raise Conflict(_("This is the file already there: nothing was replaced."), current)
        made, _created = _attach(write, current.paper, checked, name, kind=current.kind, user=user)
        _hide(write, current, user, reason=f"replaced by {made.original_name}")
    return made


def detach(attachment, *, user):
    """Remove a file from its session (the presenter's or staff's choice, SessionRights.files):
    hidden from its pages and from visitors, kept with its bytes and one more history version.
    Conflict when it was removed meanwhile. Locks the paper's thread generation, then its row."""
    with archive_write(attachment.paper_id) as write:
        return _hide(write, _locked(attachment), user, reason="removed")


def set_page_index(attachment, *, page_index=None, error=""):
    """The worker's answer for a PDF (discussions.tasks): its page index, or why there is none.

    Read from the file, as a post's places are from its body, so no history version of its own
    (the model's history leaves these fields out). Moves the paper's generations, so the place
    chips of its thread open the pages from now on (its visitors' cached blocks are keyed by the
    PDF's index too: discussions.blocks). Locks the paper's thread generation only."""
    with archive_write(attachment.paper_id):
        Attachment.objects.filter(pk=attachment.pk).update(page_index=page_index, index_error=error[:300])
    attachment.page_index, attachment.index_error = page_index, error[:300]
    return attachment


def _attach(write, paper, checked, name, *, kind, user):
    from discussions import tasks

    sha256 = checked.sha256
    if made := Attachment.objects.shown().filter(paper=paper, kind=kind, sha256=sha256).first():
        return made, False
    made = Attachment(
        paper=paper,
        kind=kind,
        file=name,
        original_name=checked.original_name[:255],
        size=len(checked.data),
        content_type=checked.content_type,
        sha256=sha256,
        uploaded_by=_user(user),
    )
    made.save()
    write.changed(made, None, user=user)
    if made.is_pdf:
        # In this transaction: the task's row (the database backend) is there exactly when the
        # attachment is, and no worker looks for an attachment not committed yet.
        tasks.index_pages.enqueue(made.pk)
    return made, True


def _locked(attachment):
    """The attachment's row, locked, while it is shown; else Conflict."""
    current = (
        Attachment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("paper")
        .filter(pk=attachment.pk)
        .first()
    )
    if current is None or current.hidden_at is not None:
        raise Conflict(_("This file was removed meanwhile."), current)
    return current


def _hide(write, current, user, *, reason):
    before = copy.copy(current)
    current.hidden_at = timezone.now()
    current.save(update_fields=["hidden_at"])
    write.changed(current, before, user=user, reason=reason)
    return current
