"""Participants: merging two who are one person (`정훈` in one file, `이정훈` in another).

Everything the source owns moves to the target, then the source is deleted. Each post and paper
moved gets one history version with the reason below, so the history says who wrote a post before
the merge, and why it changed; each post's version moves on too, so an edit form opened before the
merge is refused with the conflict page rather than saved over it (its text is kept there). Each
write's docstring says which rows it locks, after the archive's generation (writes.core).
"""

import copy
from dataclasses import dataclass

from discussions import people
from discussions.models import Answer, Paper, Participant, ParticipantAlias, Question
from discussions.writes.core import archive_write


class MergeError(Exception):
    """A merge that would lose something; the message says what to do instead."""


@dataclass
class MergeReport:
    source: str
    target: str
    questions: int = 0
    answers: int = 0
    open_answers: int = 0
    papers: int = 0
    presented: int = 0
    user: str = ""

    def summary(self) -> str:
        moved = (
            f"{self.questions} questions, {self.answers} answers, {self.open_answers} open answers, "
            f"{self.papers} papers attended, {self.presented} presented"
        )
        user = f", user {self.user}" if self.user else ""
        return f"{self.source} → {self.target}: {moved}{user}"


def merge_participants(source: Participant, target: Participant, *, user=None) -> MergeReport:
    """All or nothing, in one transaction that first moves the archive's generation (so cached
    pages are rendered afresh, and every writer takes the locks in the same order). Locks both
    participants' rows, then each post and paper of the source's."""
    if source.pk == target.pk:
        raise MergeError(f"{source.name} cannot be merged into itself")
    with archive_write() as write:
        return _merge(write, source, target, user)


def _merge(write, source, target, user):
    # Read both again under a lock, so a concurrent invite or merge cannot slip in between.
    source = Participant.objects.select_for_update().get(pk=source.pk)
    target = Participant.objects.select_for_update().get(pk=target.pk)
    if source.user_id and target.user_id:
        raise MergeError(
            f"{source.name} and {target.name} both have a user ({source.user}, {target.user}); "
            "delete or unlink one of the two users first"
        )

    # Stored on every history version written below (100 characters at most).
    reason = f"merged {source.name} into {target.name}"[:100]
    report = MergeReport(source=source.name, target=target.name)

    # Hidden posts move too: their history belongs to the same person.
    # Locked and read now, so each version recorded below carries the text as it is, not as it was;
    # only the author and the version are written, so a member saving a text meanwhile either
    # saved first (and it is kept) or gets the conflict page.
    for model in (Question, Answer):
        for post in model.objects.filter(author=source).select_for_update(no_key=True).order_by("pk"):
            write.update(post, user=user, reason=reason, author=target)
            if model is Question:
                report.questions += 1
            elif post.is_open:
                report.open_answers += 1
            else:
                report.answers += 1
    for paper in Paper.objects.filter(presenter=source).select_for_update(no_key=True):
        # Who presents is not what a session form edits with its version: not moved on.
        write.update(paper, user=user, reason=reason, bump=False, presenter=target)
        report.presented += 1
    for paper in source.papers.all():
        # Paper history does not follow participants (a many-to-many); the source's own
        # deletion record below, with the reason, is what keeps the trace.
        paper.participants.add(target)
        report.papers += 1

    linked = source.user
    if linked is not None:
        # One user per participant (a one-to-one): unlink first, then link.
        before = copy.copy(source)
        source.user = None
        source.save(update_fields=["user"])
        write.changed(source, before, user=user, reason=reason)
        target.user = linked
        report.user = linked.get_username()
    before = copy.copy(target)
    if not target.full_name:
        target.full_name = people.full_name_for(target, source)
    target.save()
    write.changed(target, before, user=user, reason=reason)

    # Files written before the merge still sign with the old names: keep them as aliases.
    source.aliases.update(participant=target)
    for old_name in {source.name, source.full_name} - {"", target.name, target.full_name}:
        ParticipantAlias.objects.get_or_create(name=old_name, defaults={"participant": target})

    write.delete([source], user=user, reason=reason)
    return report
