"""What every write to the archive does, in one place.

Each write
- applies to the row as it is at that moment: a conditional UPDATE on the version the writer
  started from, or a row lock (`select_for_update`) taken before the check; otherwise it is
  refused with `Conflict`, which carries the row as it is now so the caller can show it and keep
  the writer's text;
- tells the `Write` it runs in (what `archive_write` yields) each row it changed, once:
  `changed(row, before)` after an UPDATE or an insert, `delete(rows)` for a DELETE. That is the
  one place a history version is written (`record`, given the user, the reason and the date), and
  the one place the pages a write touches are worked out: from the rows themselves (a post's
  author before and after, its question's topics before and after, those waiting to answer a
  question whose text changed, a session's title), so no write lists them by hand;
- moves the archive's generations once: its thread's first (the lock order below), the lists'
  at its end;
- when it creates a post, is idempotent: the form's one-time token finds the post that the first
  submit made.

History is never recorded behind a write's back: `SIMPLE_HISTORY_ENABLED = False` (settings)
turns off django-simple-history's post_save and post_delete recording, so a `.save()` anywhere
records nothing and no instance attribute steers what is recorded.

Lock order, the same for every writer so none waits on another in a cycle: the paper's thread
generation, then the question's, then question, then answer (parent before child), and last the
generations of the topics' and participants' pages, in one statement. A member's
edit or fill locks one post row through its UPDATE. Row locks are FOR NO KEY UPDATE, which the
foreign-key checks at a commit (a notification pointing at a question) do not wait for.
"""

import contextlib
import copy
import uuid
from collections import defaultdict
from datetime import timedelta

from django.db import connection, router, transaction
from django.db.models import F, QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import generation, notify
from discussions.models import Attachment, Paper, Post, Question, Reference


class Refused(Exception):
    """A write that cannot be done; the message says why, in the user's language."""


class Conflict(Refused):
    """Someone else wrote first. `current` is the row as it is now (None: it is gone)."""

    def __init__(self, message, current=None):
        super().__init__(message)
        self.current = current


class Write:
    """One write in progress (`archive_write` yields it). Every row the write changes is told here
    once, and that records its history version and notes the pages it shows on; the generations
    of those pages move once, when the write ends."""

    def __init__(self, paper_id=None, question_id=None):
        self.paper_id, self.question_id = paper_id, question_id
        self.papers, self.questions = set(), set()  # the threads its rows are in
        self.participants = set()  # whose lists show its rows, before and after
        self.topic_names = set()  # topics its questions had before (those after are read at the end)
        self.quoted = set()  # questions whose text those waiting to answer them see on their lists
        self.renamed = set()  # papers whose title every list of their questions shows
        self.structure = False  # a row every page may show (a participant's name)

    def changed(self, row, before, *, user, reason="", when=None):
        """`row`, as it is now, was written: an UPDATE (`before`: a copy of the row as the write
        found it) or an insert (`before` None). Records its history version and notes its pages."""
        record([row], user, reason=reason, when=when, kind="+" if before is None else "~")
        self._touches(row, before)

    def update(
        self, row, *, user, reason="", when=None, expected_version=None, bump=True, where=None, **fields
    ):
        """Write `fields` on `row` (a post or a paper: a row with a version) in one UPDATE,
        conditional on the version the writer started from
        (expected_version; None: the row is locked already and its version read under the lock) and
        on `where` (more filter arguments); `bump` moves the version on, so a form opened before
        this write is refused. On PostgreSQL a second writer's UPDATE waits for the first to
        commit, then finds the version changed and updates nothing. Returns False, having written
        nothing, when the condition does not hold; else sets the fields on `row` and tells
        `changed`."""
        version = row.version if expected_version is None else expected_version
        rows = type(row).objects.filter(pk=row.pk, version=version, **(where or {}))
        if not rows.update(**fields, **({"version": F("version") + 1} if bump else {})):
            return False
        before = copy.copy(row)
        for name, value in fields.items():
            setattr(row, name, value)
        if bump:
            row.version = version + 1
        self.changed(row, before, user=user, reason=reason, when=when)
        return True

    def created(self, rows, *, user, when=None):
        """New rows inserted in bulk (an import): their first history versions, and their pages."""
        rows = list(rows)
        record(rows, user, when=when, kind="+")
        for row in rows:
            self._touches(row, None)

    def delete(self, rows, *, user, reason="", when=None):
        """Delete `rows` (a queryset, or a list of rows of one model) and what they take with them,
        each recorded in the history as deleted ("-") first."""
        if not isinstance(rows, QuerySet) and not rows:
            return
        model = rows.model if isinstance(rows, QuerySet) else type(rows[0])
        collector = Collector(using=router.db_for_write(model))
        collector.collect(rows)
        # Deleted without being read (no signal asks for them): read here for their history.
        fast = [list(queryset) for queryset in collector.fast_deletes if _tracked(queryset.model)]
        for instances in [*(collector.data[model] for model in collector.data if _tracked(model)), *fast]:
            deleted = sorted(instances, key=lambda row: row.pk)
            record(deleted, user, reason=reason, when=when, kind="-")
            for row in deleted:
                self._touches(row, row)
        collector.delete()

    def _touches(self, row, before):
        """The pages `row` shows on, worked out from the row itself."""
        if isinstance(row, Post):
            self.participants |= {row.author_id, getattr(before, "author_id", None)}
            if isinstance(row, Question):
                self.questions.add(row.pk)
                self.papers.add(row.paper_id)
                self.quoted.add(row.pk)
                self.topic_names |= _names(getattr(before, "topic_names", None))
            else:
                self.questions.add(row.question_id)
                if self.paper_id is not None and row.question_id != self.question_id:
                    self.papers.add(row.question.paper_id)  # in another question: maybe another paper
        elif isinstance(row, Paper):
            self.papers.add(row.pk)
            if before is not None and before.title != row.title:
                self.renamed.add(row.pk)
        elif isinstance(row, Reference | Attachment):
            self.papers.add(row.paper_id)
        else:  # a participant, a topic: shown on pages of every paper
            self.structure = True

    def _finish(self, own_transaction):
        """Move the generations of the pages its rows show on, beyond those moved at its start."""
        self.participants.discard(None)
        self.papers.discard(None)
        if self.paper_id is None:
            return  # the structure moved at the start: every page is rendered afresh
        if self.structure:
            generation.move(own_transaction=own_transaction)
            return
        # Rows outside the thread it started in (none of today's writes has them): moved last.
        generation.move_threads(
            papers=sorted(self.papers - {self.paper_id}),
            questions=sorted(self.questions - {self.question_id, None}),
        )
        if self.questions or self.topic_names or self.participants or self.renamed:
            generation.move_lists(
                questions=sorted(self.questions - {None}),
                topic_names=sorted(self.topic_names),
                participants=sorted(self.participants),
                quoted=sorted(self.quoted),
                papers=sorted(self.renamed),
            )


def _tracked(model):
    """Whether the model keeps a history (django-simple-history's HistoricalRecords)."""
    return hasattr(model._meta, "simple_history_manager_attribute")


def _names(topic_names):
    return {name.strip() for name in (topic_names or "").split(",") if name.strip()}


@contextlib.contextmanager
def archive_write(paper_id=None, question_id=None):
    """A transaction that moves the archive's generations once, whatever it writes; yields the
    `Write` that each changed row is told to.

    paper_id: the write starts within that paper's thread, so only that paper's own pages and the
    archive-wide lists are rendered afresh (discussions.generation). question_id: within that
    question's thread too, so of the paper's page only that question's block is rendered afresh.
    The lists of topics and participants it touches are worked out from the rows it changes."""
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        # First, so that every writer takes the same lock first: the generation row on SQLite,
        # the paper's row for a write within its thread (then its questions, then its answers).
        generation.move(own_transaction=own_transaction, paper_id=paper_id, question_id=question_id)
        write = Write(paper_id, question_id)
        yield write
        write._finish(own_transaction)


def paper_of(post):
    """The paper whose thread a post is in (a question's own, an answer's question's)."""
    return post.paper if isinstance(post, Question) else post.question.paper


def question_of(post):
    return post.pk if isinstance(post, Question) else post.question_id


def new_token() -> str:
    """The one-time token a form that creates a post carries (see `client_token`)."""
    return str(uuid.uuid4())


def record(rows, user, *, reason="", when=None, kind="~"):
    """The history versions of `rows` as they are now, in one insert per model: the only place a
    history row is written. kind: "+" made, "~" changed, "-" deleted; when: their date (None: now).

    Built here rather than by django-simple-history's bulk_history_create, which writes nothing
    while its automatic recording is off (SIMPLE_HISTORY_ENABLED)."""
    date, by = when or timezone.now(), _user(user)
    by_model = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row)
    for model, same in by_model.items():
        if not _tracked(model):
            continue  # a topic: the admin's own log is its history
        history = model.history.model
        history.objects.bulk_create(
            history(
                history_date=date,
                history_type=kind,
                history_user=by,
                history_change_reason=reason[:100] or None,
                **{field.attname: getattr(row, field.attname) for field in history.tracked_fields},
            )
            for row in same
        )


def create(row, *, user, when=None):
    """Save a new row where no Write is at hand, with its first history version: the participants
    that an import or give_full_names finds a file's names to be. Only inside an archive-wide
    write, whose move of the structure generation renders afresh every page that could show it."""
    row.save()
    record([row], user, when=when, kind="+")
    return row


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _conflict(model, pk):
    current = model.objects.filter(pk=pk).select_related("author").first()
    if current is None or current.hidden_at is not None:
        return Conflict(_("This post was removed from the thread meanwhile."), current)
    return Conflict(_("Someone saved this post while you were writing."), current)


# A browser does not keep a hidden field when Back shows a form again, so the token alone cannot
# catch a resubmit from there: the same text by the same person in the same place, moments
# apart, is that resubmit too (as Discourse refuses a post identical to one just made).
RESUBMIT_WINDOW = timedelta(minutes=10)


def _made_already(model, token, author, body, **place):
    """The post this submit already made: by its form's token, or the same text just posted."""
    if token and (made := model.objects.filter(client_token=token).first()):
        return made
    if author is None:
        return None
    recent = model.objects.shown().filter(
        author=author,
        body=body,
        written_in_app=True,
        created_at__gte=timezone.now() - RESUBMIT_WINDOW,
        **place,
    )
    return recent.order_by("-pk").first()


def _create(write, post, user):
    post.save()
    write.changed(post, None, user=user)
    if post.author_id:
        # Whoever writes in a session takes part in it, as a file's signers do.
        paper_of(post).participants.add(post.author_id)
    if post.body:  # an open answer (a claim) tells of itself through notify.after_request
        notify.after_post(post, user=user, created=True)
