"""Who a write concerns, told in the same transaction as the write (called from discussions.writes).

Each write tells each person at most once, the most particular reason first (a reply to my answer
that also mentions me is a reply). Nobody is told about their own writing. A notification is
shown in the app at once; it is mailed at once to those who chose so (an OutboxMail row, written
here, in the write's transaction), and in the next digest to the others (discussions.mailing).
"""

from django.db.models import Q
from django.utils import timezone

from discussions.mentions import mentioned
from discussions.models import Answer, Notification, OutboxMail, Participant, Preference, Question

Kind = Notification.Kind
# When one write concerns someone in two ways, the first of these is what they are told.
PRIORITY = [Kind.REQUEST, Kind.FILLED, Kind.REPLY, Kind.ANSWER, Kind.MENTION, Kind.SESSION, Kind.REMINDER]


def after_post(post, *, user, created=False, filled=False, previous_body=""):
    """A new post, an open answer filled, or an edit: its question's author, the answer it replies
    to, and whoever it newly mentions."""
    question = post if isinstance(post, Question) else post.question
    # Read now, in one query, not from the caller's copies: a merge may have moved the post, its
    # question or the answer it replies to to another person meanwhile.
    people = _people_around(post)
    author = people.get("author")
    told = {}
    if isinstance(post, Answer) and (created or filled) and post.body:
        _add(told, people.get("parent__author"), Kind.REPLY)
        _add(told, people.get("question__author"), Kind.ANSWER)
        if filled and author and author.user_id != getattr(user, "pk", None):
            _add(told, author, Kind.FILLED)
    before = set(_mentioned_in(previous_body)) if "@" in previous_body else set()
    for person in _mentioned_in(post.body) if "@" in post.body else []:
        if person not in before:
            _add(told, person, Kind.MENTION)
    _tell(
        told,
        user=user,
        actor=author,
        paper=question.paper,
        question=question,
        answer=post if isinstance(post, Answer) else None,
    )


def after_request(answer, *, user):
    """An open answer made for a member by the presenter or staff: a request to answer."""
    told = {}
    _add(told, answer.author, Kind.REQUEST)
    _tell(
        told,
        user=user,
        actor=_acting(user),
        paper=answer.question.paper,
        question=answer.question,
        answer=answer,
    )


def after_session_change(paper, *, user):
    """A session scheduled or changed: everyone taking part in it."""
    told = {}
    for person in paper.participants.all():
        _add(told, person, Kind.SESSION)
    _tell(told, user=user, actor=_acting(user), paper=paper)


def _acting(user):
    """The participant the writing user is (None for staff linked to nobody, or the importer)."""
    return Participant.objects.filter(user=user).first() if user is not None else None


def _people_around(post):
    """The post's author, and an answer's question's and parent's authors, as they are now."""
    roles = ["author"] + (["question__author", "parent__author"] if isinstance(post, Answer) else [])
    fields = [f"{role}_id" for role in roles] + [f"{role}__user_id" for role in roles]
    row = type(post).objects.filter(pk=post.pk).values(*fields).first() or {}
    return {
        role: Participant(pk=row[f"{role}_id"], user_id=row[f"{role}__user_id"])
        for role in roles
        if row.get(f"{role}_id")
    }


def _mentioned_in(text):
    names = {}
    for person in Participant.objects.filter(user__isnull=False).only("pk", "name", "full_name", "user_id"):
        for name in (person.name, person.full_name):
            if name:
                names[name] = person
    return mentioned(text, names)


def _add(told, person, kind):
    if person is None or person.user_id is None:
        return
    current = told.get(person.user_id)
    if current is None or PRIORITY.index(kind) < PRIORITY.index(current):
        told[person.user_id] = kind


def _tell(told, *, user, actor, paper, question=None, answer=None, once_key=None):
    told.pop(getattr(user, "pk", None), None)  # nobody is told about their own writing
    if not told:
        return []
    now = timezone.now()
    made = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind=kind,
            actor=actor,
            paper=paper,
            question=question,
            answer=answer,
            created_at=now,
            once_key=once_key,
        )
        for user_id, kind in told.items()
    )
    mail_now(made)
    return made


def mail_now(notifications):
    """Queue a mail for each notification whose recipient wants them at once (and has an address).

    A member who never saved Settings has the defaults (Preference's), as the digests treat them."""
    recipients = {n.recipient_id for n in notifications}
    chosen = dict(Preference.objects.filter(user__in=recipients).values_list("user_id", "email"))
    default = Preference._meta.get_field("email").default
    immediately = Preference.Email.IMMEDIATELY
    wants = {user_id for user_id in recipients if chosen.get(user_id, default) == immediately}
    for notification in notifications:
        if notification.recipient_id in wants:
            mail = OutboxMail.objects.create(
                recipient_id=notification.recipient_id, kind=OutboxMail.Kind.IMMEDIATE
            )
            Notification.objects.filter(pk=notification.pk).update(mail=mail)


def remind(*, today):
    """A reminder, once, of each open answer its author owes for a session coming within the days
    they chose (3 unless they said otherwise). For a session already past, nothing, unless they
    asked (Preference.remind_past): then once for each answer still owed."""
    preferences = {
        user_id: (ahead, past)
        for user_id, ahead, past in Preference.objects.values_list("user_id", "remind_days", "remind_past")
    }
    asked_for_past = [user_id for user_id, (_, past) in preferences.items() if past]
    owed = (
        Answer.objects.open()
        .filter(author__user__isnull=False, question__paper__session_date__isnull=False)
        .filter(Q(question__paper__session_date__gte=today) | Q(author__user__in=asked_for_past))
        .select_related("author", "question__paper")
    )
    due = {}
    for answer in owed:
        ahead, _ = preferences.get(answer.author.user_id, (3, False))
        session = answer.question.paper.session_date
        if session < today:
            due[f"reminder:{answer.pk}:past"] = answer
        elif ahead and (session - today).days <= ahead:
            due[f"reminder:{answer.pk}:{session.isoformat()}"] = answer
    sent = set(Notification.objects.filter(once_key__in=list(due)).values_list("once_key", flat=True))
    due = {key: answer for key, answer in due.items() if key not in sent}
    asked_by = _who_asked(list(due.values()))
    made = []
    for key, answer in due.items():
        made += _tell(
            {answer.author.user_id: Kind.REMINDER},
            user=None,
            actor=asked_by.get(answer.pk),
            paper=answer.question.paper,
            question=answer.question,
            answer=answer,
            once_key=key,
        )
    return made


def _who_asked(answers):
    """For each open answer, the participant who made it (its first version's user): the author
    themselves when they claimed it, the presenter or staff member who asked them otherwise. None
    when the answer came from a file, or the one who asked is linked to no participant: a
    reminder (its actor) then says only that the answer is awaited (mailing.reminder_line)."""
    if not answers:
        return {}
    made_by = dict(
        Answer.history.filter(id__in=[a.pk for a in answers], history_type="+").values_list(
            "id", "history_user_id"
        )
    )
    people = {p.user_id: p for p in Participant.objects.filter(user__in=set(made_by.values()) - {None})}
    asked = {}
    for answer in answers:
        user_id = made_by.get(answer.pk)
        if user_id is not None and user_id == answer.author.user_id:
            asked[answer.pk] = answer.author
        elif user_id is not None:
            asked[answer.pk] = people.get(user_id)
    return asked
