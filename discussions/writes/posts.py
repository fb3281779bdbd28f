"""Posts: a member's text, new answers and questions, removal, topics, claims, authorship."""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import notify
from discussions.models import (
    Answer,
    AuthorshipClaim,
    Question,
)
from discussions.rendering import render_body
from discussions.writes.core import (
    Conflict,
    _conflict,
    _create,
    _made_already,
    archive_write,
    paper_of,
    question_of,
    record,
)

# A post's text


def save_text(post, body, *, expected_version, user, only_if_open=False):
    """Save a member's text unless someone saved first (or removed the post); returns the post.

    One conditional UPDATE both checks and writes: on PostgreSQL a second writer waits for the
    first to commit, then finds the version (or the empty body) changed and updates nothing.
    Markdown is rendered before the transaction, so locks are held briefly.
    """
    (html, places), now = render_body(body), timezone.now()
    model = type(post)
    previous = post.body  # as the writer saw it: what an edit newly mentions is told
    with archive_write(paper_of(post).pk, question_of(post)) as lists:
        rows = model.objects.shown().filter(pk=post.pk, version=expected_version)
        if only_if_open:
            rows = rows.filter(body="")
        changed = rows.update(
            body=body,
            body_html=html,
            places=places,
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
    with archive_write(paper_of(post).pk, question_of(post)) as lists:
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
    with archive_write(paper_of(post).pk):
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
