"""Merge two participants who are one person (`정훈` in one file, `이정훈` in another).

Everything the source owns moves to the target, then the source is deleted. Posts and papers are
moved with `.save(update_fields=…)`, not a bulk `update()`, so django-simple-history records a
version of each with the reason below: the history says who wrote a post before the merge, and why
it changed. Only the author field is written, so a member saving a text meanwhile loses nothing.
"""

from dataclasses import dataclass

from discussions.models import Answer, Paper, Participant, ParticipantAlias, Question
from discussions.people import full_name_for
from discussions.writes import archive_write


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
    """All or nothing, in one transaction that first bumps the archive's generation (so cached
    pages are rendered afresh, and every writer takes the locks in the same order)."""
    if source.pk == target.pk:
        raise MergeError(f"{source.name} cannot be merged into itself")
    with archive_write():
        return _merge(source, target, user)


def _merge(source, target, user):
    # Read both again under a lock, so a concurrent invite or merge cannot slip in between.
    source = Participant.objects.select_for_update().get(pk=source.pk)
    target = Participant.objects.select_for_update().get(pk=target.pk)
    if source.user_id and target.user_id:
        raise MergeError(
            f"{source.name} and {target.name} both have a user ({source.user}, {target.user}); "
            "delete or unlink one of the two users first"
        )

    # simple-history stores this on every version it records below (100 characters at most).
    reason = f"merged {source.name} into {target.name}"[:100]
    report = MergeReport(source=source.name, target=target.name)

    # Hidden posts move too: their history belongs to the same person.
    # Locked and read now, so each version recorded below carries the text as it is, not as it was.
    for question in Question.objects.filter(author=source).select_for_update(no_key=True):
        question.author = target
        question._change_reason, question._history_user = reason, user
        question.save(update_fields=["author"])
        report.questions += 1
    for answer in Answer.objects.filter(author=source).select_for_update(no_key=True):
        answer.author = target
        answer._change_reason, answer._history_user = reason, user
        answer.save(update_fields=["author"])
        if answer.is_open:
            report.open_answers += 1
        else:
            report.answers += 1
    for paper in Paper.objects.filter(presenter=source).select_for_update(no_key=True):
        paper.presenter = target
        paper._change_reason, paper._history_user = reason, user
        paper.save(update_fields=["presenter"])
        report.presented += 1
    for paper in source.papers.all():
        # Paper history does not follow participants (a many-to-many); the source's own
        # deletion record below, with the reason, is what keeps the trace.
        paper.participants.add(target)
        report.papers += 1

    user = source.user
    if user is not None:
        # One user per participant (a one-to-one): unlink first, then link.
        source.user = None
        source._change_reason, source._history_user = reason, user
        source.save(update_fields=["user"])
        target.user = user
        report.user = user.get_username()
    if not target.full_name:
        target.full_name = full_name_for(target, source)
    target._change_reason, target._history_user = reason, user
    target.save()

    # Files written before the merge still sign with the old names: keep them as aliases.
    source.aliases.update(participant=target)
    for old_name in {source.name, source.full_name} - {"", target.name, target.full_name}:
        ParticipantAlias.objects.get_or_create(name=old_name, defaults={"participant": target})

    source._change_reason, source._history_user = reason, user
    source.delete()
    return report
