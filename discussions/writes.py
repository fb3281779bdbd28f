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
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import generation, notify, pdfindex
from discussions.models import (
    Answer,
    Attachment,
    AuthorshipClaim,
    Paper,
    Post,
    Question,
    Reference,
    places_in,
)
from discussions.rendering import render_markdown


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
    return post.paper_id if isinstance(post, Question) else post.question.paper_id


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


# A post's text


def save_text(post, body, *, expected_version, user, only_if_open=False):
    """Save a member's text unless someone saved first (or removed the post); returns the post.

    One conditional UPDATE both checks and writes: on PostgreSQL a second writer waits for the
    first to commit, then finds the version (or the empty body) changed and updates nothing.
    Markdown is rendered before the transaction, so locks are held briefly.
    """
    html, now = render_markdown(body), timezone.now()
    model = type(post)
    previous = post.body  # as the writer saw it: what an edit newly mentions is told
    with archive_write(paper_of(post), question_of(post)) as lists:
        rows = model.objects.shown().filter(pk=post.pk, version=expected_version)
        if only_if_open:
            rows = rows.filter(body="")
        changed = rows.update(
            body=body,
            body_html=html,
            places=places_in(body),
            version=F("version") + 1,
            written_in_app=True,
            updated_at=now,
        )
        if not changed:
            raise _conflict(model, post.pk)
        post.body, post.body_html, post.updated_at = body, html, now
        post.version, post.written_in_app = expected_version + 1, True
        lists.participants.add(post.author_id)
        if isinstance(post, Question):  # the lists of those waiting to answer it quote it
            lists.participants.update(
                Answer.objects.open().filter(question=post).values_list("author", flat=True)
            )
        record(post, user)
        notify.after_post(
            post, user=user, filled=only_if_open, previous_body="" if only_if_open else previous
        )
    return post


def fill(answer, body, *, expected_version, user):
    return save_text(answer, body, expected_version=expected_version, user=user, only_if_open=True)


def remove(post, *, expected_version, user):
    """Hide a post and everything under it from the thread; every version stays in the history.

    What is under it goes too (a question's answers, an answer's replies at any depth), so that
    "shown" stays one column (models.shown) and nothing can be written under a removed post.
    """
    model, now = type(post), timezone.now()
    with archive_write(paper_of(post), question_of(post)) as lists:
        changed = (
            model.objects.shown()
            .filter(pk=post.pk, version=expected_version)
            .update(hidden_at=now, version=F("version") + 1)
        )
        if not changed:
            raise _conflict(model, post.pk)
        post.hidden_at, post.version = now, expected_version + 1
        record(post, user)
        lists.participants.add(post.author_id)
        reason = f"removed with {post.signature}"
        for under in _shown_under(post):
            lists.participants.add(under.author_id)
            Answer.objects.filter(pk=under.pk).update(hidden_at=now, version=F("version") + 1)
            under.hidden_at, under.version = now, under.version + 1
            record(under, user, reason=reason)
    return post


def _shown_under(post):
    """The shown answers under a post, level by level (no recursion: threads may be deep), locked."""
    if isinstance(post, Question):
        return list(
            Answer.objects.shown().filter(question=post).select_for_update(no_key=True).order_by("pk")
        )
    found, level = [], [post.pk]
    while level:
        replies = list(
            Answer.objects.shown().filter(parent__in=level).select_for_update(no_key=True).order_by("pk")
        )
        found += replies
        level = [reply.pk for reply in replies]
    return found


# New posts


def answer(question, *, author, body, user, token=None, parent=None):
    """A member's answer to a question (`A4` under `Q4`), or a reply to an answer (its label).

    Returns (answer, created). The same token again returns the first answer made with it.
    """
    with archive_write(question.paper_id, question.pk) as lists:
        # Locked, so a removal of the question or the answer replied to waits for this post,
        # and this post for the removal: a post is never written under a removed one.
        locked = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if locked is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
        if parent is not None:
            parent = (
                Answer.objects.shown().select_for_update(no_key=True).filter(pk=parent.pk, question=question)
            )
            parent = parent.first()
            if parent is None:
                raise Conflict(_("The answer you reply to was removed from the thread meanwhile."))
        if made := _made_already(Answer, token, author, body, question=question, parent=parent):
            return made, False
        made = Answer(
            question=question,
            parent=parent,
            label=parent.label if parent else f"A{question.number}",
            author=author,
            body=body,
            position=Answer.objects.next_position(question=question),
            written_in_app=True,
            client_token=token or None,
        )
        _create(made, user)
        lists.participants.add(made.author_id)
    return made, True


def ask(paper, *, author, body, user, token=None):
    """A member's new question, labelled after the paper's highest number. Returns (question, created).

    The paper's row is locked while the label is chosen (archive_write moves its thread's generation
    first), so two members asking at once get Q27 and Q28, not two Q27s. (A file's own repeated
    labels, like the seed's two Q4s, stay as they are.)
    """
    with archive_write(paper.pk) as lists:
        if made := _made_already(Question, token, author, body, paper=paper):
            return made, False
        made = Question(
            paper=paper,
            label=Question.objects.next_label(paper),
            author=author,
            body=body,
            position=Question.objects.next_position(paper=paper),
            written_in_app=True,
            client_token=token or None,
        )
        _create(made, user)
        lists.participants.add(made.author_id)
    return made, True


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
        paper = post.paper if isinstance(post, Question) else post.question.paper
        paper.participants.add(post.author_id)
    if post.body:  # an open answer (a claim) tells of itself through notify.after_request
        notify.after_post(post, user=user, created=True)


# Topics


def set_topics(question, names, *, user, by_hand):
    """Replace a question's topics; by hand means a member or admin chose them, so imports keep them."""
    names = sorted({name.strip() for name in names if name.strip()}, key=str.casefold)
    with archive_write(question.paper_id, question.pk) as lists:
        # The locked row, not the caller's copy: its history version must carry the text as it is.
        current = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if current is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
        lists.topics.update(current.tags.values_list("pk", flat=True))
        current.tags.set(names)
        current.topic_names = ", ".join(names)
        current.tags_by_hand = current.tags_by_hand or by_hand
        Question.objects.filter(pk=current.pk).update(
            topic_names=current.topic_names, tags_by_hand=current.tags_by_hand
        )
        record(current, user)
    question.topic_names, question.tags_by_hand = current.topic_names, current.tags_by_hand
    return current


# The admin


def check_version(obj, expected_version):
    """Lock an admin form's row and check nobody changed it since the form was shown.

    Called while the admin's form is validated, inside the admin's own transaction: the lock
    holds until the save, so nothing can be written between the check and the save.
    """
    current = type(obj).objects.select_for_update(no_key=True).filter(pk=obj.pk).first()
    if current is None:
        raise Conflict(_("This was deleted meanwhile."))
    if isinstance(current, Post) and current.version != expected_version:
        raise Conflict(_("Someone saved this meanwhile."), current)
    return current


def admin_save(obj, *, user, created, changed_fields):
    """An admin's save of any row of the archive (its row locked by check_version when changed).

    A form the admin did not change writes nothing: no new version, no history."""
    if not created and not changed_fields:
        return
    with archive_write():
        if isinstance(obj, Post):
            if created or "body" in changed_fields:
                # Text written in the admin is written in the app: a re-import keeps it.
                obj.written_in_app = True
            if not created:
                # A member's open edit form now sees a new version and shows the conflict.
                obj.version += 1
            if created and not obj.position:
                thread = {"paper": obj.paper} if isinstance(obj, Question) else {"question": obj.question}
                obj.position = type(obj).objects.next_position(**thread)
        obj._history_user = _user(user)
        obj.save()


def admin_delete(obj, *, user):
    with archive_write():
        obj._history_user = _user(user)
        obj.delete()


# Sessions: a paper with a date and a presenter, prepared in the app


def propose(*, proposer, title, url="", session_date=None, user, token=None):
    """Any member proposes the next session; they present it unless the presenter or staff say
    otherwise. Returns (paper, created); the same form token again returns the first proposal."""
    with archive_write():
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
            title_locked=True,
            url_locked=bool(url),
            client_token=token or None,
        )
        paper._history_user = _user(user)
        paper.save()
        paper.participants.add(proposer)
    return paper, True


SESSION_FIELDS = ["title", "url", "session_date", "presenter", "description"]


def update_session(paper, *, expected_version, user, participants=None, **fields):
    """The presenter or staff complete a session: its fields, participants; one version, or Conflict."""
    with archive_write(paper.pk) as lists:
        current = Paper.objects.select_for_update(no_key=True).filter(pk=paper.pk).first()
        if current is None:
            raise Conflict(_("This session was deleted meanwhile."))
        if current.version != expected_version:
            raise Conflict(_("Someone changed this session while you were editing it."), current)
        lists.whole_paper = fields.get("title", current.title) != current.title
        for name, value in fields.items():
            setattr(current, name, value)
        # Set here by hand: a later import of the session's file keeps them.
        current.title_locked = current.title_locked or "title" in fields
        current.url_locked = current.url_locked or bool(fields.get("url"))
        current.version += 1
        current._history_user = _user(user)
        current.save()
        if participants is not None:
            current.participants.set({*participants, *([current.presenter] if current.presenter else [])})
        if {"session_date", "presenter", "title"} & set(fields):
            notify.after_session_change(current, user=user)
    return current


def save_references(paper, *, expected_version, user, rows):
    """Replace a session's background references with `rows` in order.

    rows: (reference or None, label, url, kind, remove) as the form gave them; every added,
    changed, moved or removed reference gets a version in its history."""
    with archive_write(paper.pk):
        current = Paper.objects.select_for_update(no_key=True).filter(pk=paper.pk).first()
        if current is None or current.version != expected_version:
            raise Conflict(
                _("Someone changed this session's references while you were editing them."), current
            )
        position = 0
        for reference, label, url, kind, remove in rows:
            if remove:
                if reference is not None:
                    reference._history_user = _user(user)
                    reference.delete()
                continue
            position += 1
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
            reference._history_user = _user(user)
            reference.save()
        Paper.objects.filter(pk=current.pk).update(version=F("version") + 1)
        current.version += 1
    return current


# Claiming: "I'll answer this" is an open answer signed by the member, as a file's `A9 (쯔위).`


def claim(question, *, member, user):
    """An open answer for `member` under `question` (theirs, or asked of them by the presenter or
    staff). Returns (answer, created): a member already waiting there is not added twice."""
    with archive_write(question.paper_id, question.pk) as lists:
        locked = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if locked is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
        lists.participants.add(member.pk)
        if waiting := Answer.objects.open().filter(question=question, author=member, parent=None).first():
            return waiting, False
        answer = Answer(
            question=question,
            label=f"A{question.number}",
            author=member,
            body="",
            position=Answer.objects.next_position(question=question),
            written_in_app=True,
        )
        _create(answer, user)
        if member.user_id is None or member.user_id != getattr(user, "pk", None):
            notify.after_request(answer, user=user)  # asked of them by the presenter or staff
    return answer, True


def unclaim(answer, *, user):
    """Take a claim back while it is still empty: it leaves the thread (its history stays)."""
    now = timezone.now()
    with archive_write(answer.question.paper_id, answer.question_id) as lists:
        lists.participants.add(answer.author_id)
        taken_back = Answer.objects.open().filter(pk=answer.pk, version=answer.version)
        if not taken_back.update(hidden_at=now, version=F("version") + 1):
            raise _conflict(Answer, answer.pk)
        answer.hidden_at, answer.version = now, answer.version + 1
        record(answer, user, reason="claim taken back")
    return answer


def mark_discussed(question, discussed, *, user):
    """The agenda's check mark: a question gone through in the meeting (or not, after all)."""
    with archive_write(question.paper_id, question.pk):
        current = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if current is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
        if current.discussed == discussed:
            return current
        Question.objects.filter(pk=current.pk).update(discussed=discussed)
        current.discussed = discussed
        record(current, user, reason="discussed in the meeting" if discussed else "not discussed after all")
    return current


# Unsigned posts: whose they are


def set_authors(posts, participant, *, user):
    """Sign unsigned posts for `participant`; a post someone signed meanwhile is left as it is.
    Returns how many were signed."""
    signed = 0
    with archive_write():
        for post in posts:
            model = type(post)
            current = (
                model.objects.select_for_update(no_key=True).filter(pk=post.pk, author__isnull=True).first()
            )
            if current is None:
                continue
            model.objects.filter(pk=current.pk).update(author=participant, version=F("version") + 1)
            current.author, current.version = participant, current.version + 1
            record(current, user, reason=f"signed for {participant.name}")
            signed += 1
    return signed


def claim_authorship(post, *, member, user):
    """A member says an unsigned post is theirs; staff decide (decide_authorship)."""
    field = "question" if isinstance(post, Question) else "answer"
    with archive_write(paper_of(post)):
        current = type(post).objects.shown().select_for_update(no_key=True).filter(pk=post.pk).first()
        if current is None or current.author_id is not None:
            raise Conflict(_("This post is signed already."), current)
        claimed = AuthorshipClaim.objects.filter(
            participant=member, decided_at__isnull=True, **{field: current}
        )
        if made := claimed.first():
            return made, False
        return AuthorshipClaim.objects.create(participant=member, **{field: current}), True


def decide_authorship(claim_, accept, *, user):
    with archive_write():
        current = (
            AuthorshipClaim.objects.select_for_update(no_key=True)
            .filter(pk=claim_.pk, decided_at__isnull=True)
            .first()
        )
        if current is None:
            raise Conflict(_("This claim was decided already."))
        signed = set_authors([current.post], current.participant, user=user) if accept else 0
        AuthorshipClaim.objects.filter(pk=current.pk).update(decided_at=timezone.now(), accepted=bool(signed))
    return bool(signed)


# Attachments: the paper's PDF, the presenter's slides, figures in posts (discussions.attachments)


def attach(paper, checked, *, kind, user):
    """Attach checked bytes (attachments.Checked) to a session. Returns (attachment, created).

    The same bytes for the same paper and kind are the attachment already there: a second upload,
    a double click or a retry makes nothing new. The file is stored before the transaction (a
    30 MB write holds no lock); stored twice, it is one file, as its name is its SHA-256.
    """
    from discussions.attachments import store

    sha256 = checked.sha256
    name = store(checked)
    # Where each figure, table and section starts, read once, outside the transaction: a post's
    # "Figure 2.1" then opens the PDF at its page.
    page_index = None
    if checked.content_type == "application/pdf":
        try:
            found = pdfindex.index_pdf(checked.data)
            page_index = {"pages": found.pages, "starts": found.starts}
        except pdfindex.PdfError:
            pass  # a PDF whose text cannot be read still shows; its places open page 1
    # The paper's row, locked first (its thread's generation), so two uploads of the same file at
    # once make one row, not an IntegrityError.
    with archive_write(paper.pk):
        if made := Attachment.objects.filter(paper=paper, kind=kind, sha256=sha256).first():
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
            page_index=page_index,
        )
        made._history_user = _user(user)
        made.save()
    return made, True
