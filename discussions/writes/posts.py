"""Posts: a member's text, new answers and questions, removal, topics, claims, authorship.

Each write's docstring says which rows it locks, after its thread's generations (writes.core).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import access, notify
from discussions.models import (
    Answer,
    AuthorshipClaim,
    Question,
)
from discussions.rendering import render_body
from discussions.writes.core import (
    Conflict,
    Refused,
    _conflict,
    _create,
    _made_already,
    archive_write,
    paper_of,
    question_of,
)

# A post's text


def save_text(post, body, *, expected_version, user, only_if_open=False):
    """Save a member's text unless someone saved first (or removed the post); returns the post.

    One conditional UPDATE both checks and writes: on PostgreSQL a second writer waits for the
    first to commit, then finds the version (or the empty body) changed and updates nothing.
    Markdown is rendered before the transaction, so locks are held briefly. Locks the post's row
    (its UPDATE), after its paper's and question's generations.
    """
    (html, places), now = render_body(body), timezone.now()
    model = type(post)
    previous = post.body  # as the writer saw it: what an edit newly mentions is told
    where = {"hidden_at__isnull": True, **({"body": ""} if only_if_open else {})}
    with archive_write(paper_of(post).pk, question_of(post)) as write:
        saved = write.update(
            post,
            user=user,
            expected_version=expected_version,
            where=where,
            body=body,
            body_html=html,
            places=places,
            written_in_app=True,
            updated_at=now,
        )
        if not saved:
            raise _conflict(model, post.pk)
        notify.after_post(
            post, user=user, filled=only_if_open, previous_body="" if only_if_open else previous
        )
    return post


def fill(answer, body, *, expected_version, user):
    """An open answer's text, unless someone filled it first (save_text: locks the answer's row)."""
    return save_text(answer, body, expected_version=expected_version, user=user, only_if_open=True)


class OthersWrote(Refused):
    """A member's removal that would take others' posts with it. `others`: those posts."""

    def __init__(self, message, others):
        super().__init__(message)
        self.others = others


def remove(post, *, expected_version, user):
    """Hide a post and everything under it from the thread; every version stays in the history.

    What is under it goes too (a question's answers, an answer's replies at any depth), so that
    "shown" stays one column (models.shown) and nothing can be written under a removed post.
    A member's removal never takes what others wrote (access.PostRights.remove): it is refused
    with OthersWrote if someone answered, replied or claimed under the post, even a moment ago.
    Locks the post's row (its UPDATE), then every shown answer under it, level by level; a new
    answer or reply locks its question and parent first (answer()), so it is either seen here or
    refused.
    """
    model, now = type(post), timezone.now()
    with archive_write(paper_of(post).pk, question_of(post)) as write:
        shown = {"hidden_at__isnull": True}
        if not write.update(post, user=user, expected_version=expected_version, where=shown, hidden_at=now):
            raise _conflict(model, post.pk)
        under = _shown_under(post)  # locked: each one's version is as read
        if not access.removes_others(user) and (others := access.others_among(post, under)):
            # Raised inside the transaction: the post's UPDATE above is rolled back with it.
            raise OthersWrote(_("Others answered this post: it stays in the thread."), others)
        reason = f"removed with {post.signature}"
        for item in under:
            write.update(item, user=user, reason=reason, hidden_at=now)
    return post


def restore(post, *, expected_version, user):
    """Bring a removed post back into the thread with what its removal took: the posts under it
    hidden at the same moment (remove() dates them all alike). What was removed before, on its
    own, stays removed. Refused while the post it is under is removed: that one comes back first.

    Locks, in the order every writer takes them: the question, the parent answer, the post, then
    the posts under it level by level. Returns the posts brought back with it."""
    model = type(post)
    with archive_write(paper_of(post).pk, question_of(post)) as write:
        if isinstance(post, Answer):
            question = Question.objects.shown().select_for_update(no_key=True).filter(pk=post.question_id)
            parent = Answer.objects.shown().select_for_update(no_key=True).filter(pk=post.parent_id)
            if question.first() is None or (post.parent_id and parent.first() is None):
                raise Conflict(_("The post this one is under is removed: restore that one first."))
        current = (
            model.objects.select_for_update(no_key=True)
            .filter(pk=post.pk, version=expected_version, hidden_at__isnull=False)
            .first()
        )
        if current is None:
            raise Conflict(
                _("This post was restored or changed meanwhile."), model.objects.filter(pk=post.pk).first()
            )
        with_it = _removed_with(current, current.hidden_at)
        write.update(current, user=user, reason="restored", hidden_at=None)
        post.hidden_at, post.version = None, current.version
        reason = f"restored with {current.signature}"
        for item in with_it:  # locked: each one's version is as read
            write.update(item, user=user, reason=reason, hidden_at=None)
    return with_it


def _removed_with(post, removed_at):
    """The posts under `post` hidden by the same removal (at `removed_at`), level by level, locked."""
    removed = Answer.objects.filter(hidden_at=removed_at).select_for_update(no_key=True).order_by("pk")
    if isinstance(post, Question):
        return list(removed.filter(question=post))
    found, level = [], [post.pk]
    while level:
        replies = list(removed.filter(parent__in=level))
        found += replies
        level = [reply.pk for reply in replies]
    return found


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
    Locks the question's row, then the answer replied to.
    """
    with archive_write(question.paper_id, question.pk) as write:
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
        _create(write, made, user)
    return made, True


def ask(paper, *, author, body, user, token=None):
    """A member's new question, labelled after the paper's highest number. Returns (question, created).

    The paper's row is locked while the label is chosen (archive_write moves its thread's generation
    first), so two members asking at once get Q27 and Q28, not two Q27s. (A file's own repeated
    labels, like the seed's two Q4s, stay as they are.)
    """
    with archive_write(paper.pk) as write:
        if made := _made_already(Question, token, author, body, paper=paper):
            return made, False
        topics = _rules_topics(body)
        made = Question(
            paper=paper,
            label=Question.objects.next_label(paper),
            author=author,
            body=body,
            position=Question.objects.next_position(paper=paper),
            written_in_app=True,
            client_token=token or None,
            topic_names=", ".join(topics),
        )
        _create(write, made, user)
        if topics:
            # After the first history version, which carries them as topic_names; the topics'
            # lists move at the write's end, read from the question (writes.core.Write).
            made.tags.set(topics)
    return made, True


def _rules_topics(body):
    """The topics an import gives a question from its text (the keyword rules, importer.topic_rules),
    so one asked in the app is found under its topics as an imported one is; not by hand, so a
    member's own choice later replaces them."""
    from discussions.importer import ensure_topics, topic_rules

    names = sorted(set(topic_rules().topics_for(body, [])), key=str.casefold)
    if names:
        ensure_topics()  # the rules' topics, with their descriptions, before the first is used
    return names


# Topics


def set_topics(question, names, *, user, by_hand):
    """Replace a question's topics; by hand means a member or admin chose them, so imports keep them.
    Locks the question's row."""
    names = sorted({name.strip() for name in names if name.strip()}, key=str.casefold)
    with archive_write(question.paper_id, question.pk) as write:
        # The locked row, not the caller's copy: its history version must carry the text as it is.
        current = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if current is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
        current.tags.set(names)
        # Topics are not the text: an edit form open meanwhile still saves (no new version).
        write.update(
            current,
            user=user,
            bump=False,
            topic_names=", ".join(names),
            tags_by_hand=current.tags_by_hand or by_hand,
        )
    question.topic_names, question.tags_by_hand = current.topic_names, current.tags_by_hand
    return current


# Claiming: "I'll answer this" is an open answer signed by the member, as a file's `A9 (쯔위).`


def claim(question, *, member, user):
    """An open answer for `member` under `question` (theirs, or asked of them by the presenter or
    staff). Returns (answer, created): a member already waiting there is not added twice. Locks the
    question's row."""
    with archive_write(question.paper_id, question.pk) as write:
        locked = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if locked is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
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
        _create(write, answer, user)
        if member.user_id is None or member.user_id != getattr(user, "pk", None):
            notify.after_request(answer, user=user)  # asked of them by the presenter or staff
    return answer, True


def unclaim(answer, *, user):
    """Take a claim back while it is still empty: it leaves the thread (its history stays).
    Locks the answer's row (its UPDATE)."""
    now, still_open = timezone.now(), {"hidden_at__isnull": True, "body": ""}
    with archive_write(answer.question.paper_id, answer.question_id) as write:
        if not write.update(answer, user=user, reason="claim taken back", where=still_open, hidden_at=now):
            raise _conflict(Answer, answer.pk)
    return answer


def mark_discussed(question, discussed, *, user):
    """The agenda's check mark: a question gone through in the meeting (or not, after all).
    Locks the question's row."""
    with archive_write(question.paper_id, question.pk) as write:
        current = Question.objects.shown().select_for_update(no_key=True).filter(pk=question.pk).first()
        if current is None:
            raise Conflict(_("This question was removed from the thread meanwhile."))
        if current.discussed == discussed:
            return current
        reason = "discussed in the meeting" if discussed else "not discussed after all"
        write.update(current, user=user, reason=reason, bump=False, discussed=discussed)
    return current


# Unsigned posts: whose they are


def set_authors(posts, participant, *, user):
    """Sign unsigned posts for `participant`; a post someone signed meanwhile is left as it is.
    Returns how many were signed. Locks each post's row in turn."""
    signed = 0
    with archive_write() as write:
        for post in posts:
            model = type(post)
            current = (
                model.objects.select_for_update(no_key=True).filter(pk=post.pk, author__isnull=True).first()
            )
            if current is None:
                continue
            write.update(current, user=user, reason=f"signed for {participant.name}", author=participant)
            signed += 1
    return signed


def claim_authorship(post, *, member, user):
    """A member says an unsigned post is theirs; staff decide (decide_authorship). Locks the post's
    row (no post changes: the claim is a row of its own, without history)."""
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
    """Staff accept or refuse a claim; accepted, the post is signed (set_authors). Locks the claim's
    row, then the post's."""
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
