"""Every write to the archive, in one place.

Each write here
- applies to the row as it is at that moment: a conditional UPDATE on the version the writer
  started from, or a row lock (`select_for_update`) taken before the check; otherwise it is
  refused with `Conflict`, which carries the row as it is now so the caller can show it and keep
  the writer's text;
- records history once, with the user who wrote it passed explicitly;
- moves the archive's generation once (`archive_write`), so cached pages are rendered afresh;
- when it creates a post, is idempotent: the form's one-time token finds the post that the first
  submit made.

Lock order, the same for every writer so none waits on another in a cycle: the paper's thread
generation, then the question's, then question, then answer (parent before child), and last the
generations of the topics' and participants' pages, in one statement. A member's
edit or fill locks one post row through its UPDATE. Row locks are FOR NO KEY UPDATE, which the
foreign-key checks at a commit (a notification pointing at a question) do not wait for.
"""

import contextlib
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import generation, notify
from discussions.models import (
    Question,
)


class Refused(Exception):
    """A write that cannot be done; the message says why, in the user's language."""


class Conflict(Refused):
    """Someone else wrote first. `current` is the row as it is now (None: it is gone)."""

    def __init__(self, message, current=None):
        super().__init__(message)
        self.current = current


class Lists:
    """The topics' and participants' pages a write changes (discussions.generation), besides those
    of its question's topics: moved once, at its end. whole_paper: those of every topic and writer
    of its paper's questions (a session's title is on all of them)."""

    def __init__(self):
        self.topics, self.participants, self.whole_paper = set(), set(), False


@contextlib.contextmanager
def archive_write(paper_id=None, question_id=None):
    """A transaction that moves the archive's generation once, whatever it writes.

    paper_id: everything it writes is within that paper's thread, so only that paper's own pages
    and the archive-wide lists are rendered afresh (discussions.generation). question_id: within
    that question's thread too, so of the paper's page only that question's block is rendered afresh,
    and of the topics' pages those of its topics. It yields the Lists the write adds to: the topics
    it takes the question out of, the participants whose pages it changes."""
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        # First, so that every writer takes the same lock first: the generation row on SQLite,
        # the paper's row for a write within its thread (then its questions, then its answers).
        generation.move(own_transaction=own_transaction, paper_id=paper_id, question_id=question_id)
        lists = Lists()
        yield lists
        lists.participants.discard(None)
        if question_id is not None or lists.topics or lists.participants or lists.whole_paper:
            generation.move_lists(
                question_id=question_id,
                topics=sorted(lists.topics),
                participants=sorted(lists.participants),
                paper_id=paper_id if lists.whole_paper else None,
            )


def paper_of(post):
    """The paper whose thread a post is in (a question's own, an answer's question's)."""
    return post.paper if isinstance(post, Question) else post.question.paper


def question_of(post):
    return post.pk if isinstance(post, Question) else post.question_id


def new_token() -> str:
    """The one-time token a form that creates a post carries (see `client_token`)."""
    return str(uuid.uuid4())


def record(post, user, *, reason="", when=None):
    """One history version of `post` as it is now (an UPDATE sends no signal to the history),
    dated `when` (None: now)."""
    type(post).history.bulk_history_create(
        [post], update=True, default_user=_user(user), default_change_reason=reason[:100], default_date=when
    )


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


def _create(post, user):
    # The library records the new post's first version on save, with this user.
    post._history_user = _user(user)
    post.save()
    if post.author_id:
        # Whoever writes in a session takes part in it, as a file's signers do.
        paper_of(post).participants.add(post.author_id)
    if post.body:  # an open answer (a claim) tells of itself through notify.after_request
        notify.after_post(post, user=user, created=True)
