"""Mailing what concerns members: digests made when due, and the outbox sent, each mail once.

`send_notifications` (cron or a systemd timer) calls `run()`. A mail is sent while its outbox row
is locked (`SELECT … FOR UPDATE OF … SKIP LOCKED`: the outbox row only, never its recipient's user
row, which a login updates), and marked sent in the same transaction right after the SMTP server
accepted it: two runs at once never take the same row, and a run killed before the server's 250
leaves the row unsent for the next run. An SMTP server that refuses or is down leaves the row
unsent too, due again after a back-off that doubles with every try.

What a mail says is decided when it is sent: nothing about a post removed meanwhile (a mail left
with nothing to tell is not sent). A mail that cannot be made (a header Django refuses, an address
that is no address) or that the server refuses for good (5xx for its recipient or its content) is
marked failed with its reason and the run goes on with the next: one bad row never holds the queue.
An outbox row is done once `sent_at` is set: delivered when `last_error` is empty, else given up
on for the reason `last_error` gives.
"""

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import timedelta
from email.header import Header

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from discussions import notify, rules
from discussions.models import Notification, OutboxMail, Preference

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "discussions.unsubscribe"
DIGEST_EVERY = {Preference.Email.DAILY: timedelta(days=1), Preference.Email.WEEKLY: timedelta(days=7)}
MAX_BACKOFF = timedelta(hours=6)
NOTHING_TO_TELL = "not sent: what it told of was removed or answered meanwhile"


@dataclass
class RunReport:
    reminded: int = 0
    digests: int = 0
    sent: int = 0
    retry: int = 0  # the SMTP server refused for now or was down: tried again later
    failed: int = 0  # could not be made, or refused for good: marked failed, never tried again
    errors: list[str] = field(default_factory=list)  # why each retry waits
    failures: list[str] = field(default_factory=list)  # why each failed mail failed


def run(*, now=None, limit=500) -> RunReport:
    now = now or timezone.now()
    report = RunReport()
    with transaction.atomic():
        report.reminded = len(notify.remind(today=timezone.localdate(now)))
    report.digests = make_digests(now=now)
    send_due(report, now=now, limit=limit)
    return report


def tellable(notifications):
    """What a mail may still tell: nothing about a post no longer shown, and no reminder of an
    answer written meanwhile. Asked when a digest is made and again when any mail is sent."""
    return notifications.shown().filter(~Q(kind=Notification.Kind.REMINDER) | Q(answer__body=""))


def settle_defaults():
    """A settings row with the defaults (a daily digest) for each member with an address and news
    to mail who never saved Settings: the default applies to everyone, whether they opened the
    page or not, and whenever their account was made."""
    news = tellable(
        Notification.objects.filter(recipient=OuterRef("pk"), mail__isnull=True, read_at__isnull=True)
    )
    members = (
        get_user_model()
        .objects.filter(preference__isnull=True, is_active=True)
        .exclude(email="")
        .filter(Exists(news))
        .values_list("pk", flat=True)
    )
    # Settings saved (or another run) meanwhile: that row is kept as it is.
    Preference.objects.bulk_create([Preference(user_id=pk) for pk in members], ignore_conflicts=True)


def make_digests(*, now) -> int:
    """A digest mail for each member whose day or week is up and who has news not mailed yet."""
    settle_defaults()
    made = 0
    for frequency, every in DIGEST_EVERY.items():
        due = Preference.objects.filter(email=frequency).filter(
            Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lte=now - every)
        )
        for preference_id in due.values_list("pk", flat=True):
            with transaction.atomic():
                # Locked, so a second run at the same moment skips this member instead of digesting twice.
                preference = (
                    Preference.objects.select_for_update(skip_locked=True).filter(pk=preference_id).first()
                )
                if preference is None or (
                    preference.digest_sent_at and preference.digest_sent_at > now - every
                ):
                    continue
                news = tellable(
                    Notification.objects.filter(
                        recipient=preference.user_id, mail__isnull=True, read_at__isnull=True
                    )
                )
                pks = list(news.values_list("pk", flat=True))
                if pks:
                    mail = OutboxMail.objects.create(
                        recipient_id=preference.user_id, kind=OutboxMail.Kind.DIGEST, due_at=now
                    )
                    Notification.objects.filter(pk__in=pks).update(mail=mail)
                    made += 1
                preference.digest_sent_at = now
                preference.save(update_fields=["digest_sent_at"])
    return made


def send_due(report, *, now, limit):
    # What this run itself queued (a reminder to a member who wants mail at once) is due too.
    now = max(now, timezone.now())
    connection = get_connection()
    try:
        for _ in range(limit):
            with transaction.atomic():
                # `of=("self",)`: the outbox row alone is locked. Locking the joined user row too
                # would skip every mail whose recipient is logging in (`last_login` is updated in
                # a transaction that holds that row) and end the run with mail still due.
                mail = (
                    OutboxMail.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(sent_at__isnull=True, due_at__lte=now)
                    .select_related("recipient")
                    .order_by("due_at", "pk")
                    .first()
                )
                if mail is None:
                    return
                if not mail.to:
                    done(mail, "no email address")
                    continue
                try:
                    with transaction.atomic():  # a query failing here leaves the row to be marked
                        message = compose(mail)
                        if message is not None:
                            check(message)
                except Exception as error:  # whatever the row holds, the next mail goes on
                    log.exception("outbox mail %s cannot be made", mail.pk)
                    failed(report, mail, f"cannot be made: {type(error).__name__}: {error}")
                    continue
                if message is None:
                    done(mail, NOTHING_TO_TELL)
                    continue
                try:
                    connection.send_messages([message])
                except (smtplib.SMTPException, OSError) as error:
                    if refused_for_good(error):
                        failed(report, mail, f"refused: {type(error).__name__}: {error}")
                        continue
                    mail.attempts += 1
                    mail.last_error = f"{type(error).__name__}: {error}"[:500]
                    mail.due_at = now + min(timedelta(minutes=2**mail.attempts), MAX_BACKOFF)
                    mail.save(update_fields=["attempts", "last_error", "due_at"])
                    report.retry += 1
                    report.errors.append(mail.last_error)
                    # The server refused or is down: the rest waits for the next run, not this one.
                    return
                done(mail, "")
                report.sent += 1
    finally:
        connection.close()


def done(mail, reason):
    """The outbox is done with the mail: sent (no reason), or given up on for `reason`."""
    mail.sent_at, mail.last_error = timezone.now(), reason[:500]
    mail.save(update_fields=["sent_at", "last_error"])


def failed(report, mail, reason):
    mail.attempts += 1
    mail.save(update_fields=["attempts"])
    done(mail, reason)
    report.failed += 1
    report.failures.append(f"mail {mail.pk} to {mail.recipient.username}: {mail.last_error}")


def check(message):
    """Make the message as the SMTP backend will (addresses, headers, bytes), so that what cannot
    be made fails here, for this mail alone, and not halfway through sending it."""
    encoding = message.encoding or settings.DEFAULT_CHARSET
    for address in [message.from_email, *message.recipients()]:
        sanitize_address(address, encoding)
    message.message().as_bytes(linesep="\r\n")


def refused_for_good(error) -> bool:
    """A 5xx for this mail's recipient or content: sending it again would be refused again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def compose(mail) -> EmailMultiAlternatives | None:
    """The mail, in plain text and HTML, with a one-click unsubscribe link and its headers; None
    when nothing it was to tell is left to tell (removed meanwhile)."""
    if mail.kind in (OutboxMail.Kind.INVITE, OutboxMail.Kind.EMAIL):
        return compose_account_mail(mail)
    notifications = list(
        tellable(mail.notifications.all())
        .select_related("actor", "paper", "question__author", "answer__author")
        .order_by("created_at", "pk")
    )
    if not notifications:
        return None
    unsubscribe = settings.SITE_URL + reverse(
        "discussions:unsubscribe", args=[unsubscribe_token(mail.recipient)]
    )
    with translation.override(settings.LANGUAGE_CODE):
        ctx = {
            "mail": mail,
            "notifications": notifications,
            "site": settings.SITE_URL,
            "unsubscribe": unsubscribe,
            "settings_url": settings.SITE_URL + reverse("discussions:settings"),
        }
        if mail.kind == OutboxMail.Kind.DIGEST:
            subject = _("[Study group] %(count)s new for you") % {"count": len(notifications)}
        else:
            subject = _("[Study group] %(what)s") % {"what": headline(notifications[0])}
        text = render_to_string("mail/notifications.txt", ctx)
        html = render_to_string("mail/notifications.html", ctx)
    message = EmailMultiAlternatives(
        encoded_subject(subject),
        text,
        settings.DEFAULT_FROM_EMAIL,
        [mail.recipient.email],
        headers={
            "Message-ID": mail.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def encoded_subject(subject: str) -> str:
    """The Subject, one line (a title stored before the title rule may hold a line break), and a
    non-ASCII one RFC 2047-encoded here, counting the `Subject: ` before it.

    Django encodes it without knowing the header's name: its first encoded word is then too long
    for the header's first line, and the message folds before it, leaving that line empty (some
    clients show no subject). Encoded words joined by spaces are ASCII, which Django folds at the
    spaces; a reader joins them back without the spaces (RFC 2047, 6.2)."""
    subject = rules.clean_title(subject)
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep=" ")


def headline(notification) -> str:
    who = notification.actor.name if notification.actor else _("Someone")
    label = notification.question.label if notification.question else ""
    kind = Notification.Kind
    if notification.kind == kind.REMINDER:
        line = reminder_line(notification)
    else:
        line = {
            kind.ANSWER: _("%(who)s answered your question %(label)s"),
            kind.REPLY: _("%(who)s replied to your answer under %(label)s"),
            kind.MENTION: _("%(who)s mentioned you in %(label)s"),
            kind.REQUEST: _("%(who)s asks you to answer %(label)s"),
            kind.FILLED: _("Your open answer under %(label)s was written on your behalf"),
            kind.SESSION: _("A session you take part in changed: %(paper)s"),
        }[notification.kind]
    return line % {"who": who, "label": label, "paper": rules.clean_title(notification.paper.title)}


def reminder_line(notification) -> str:
    """A reminder says how the answer came to be owed (notify.remind keeps who asked as its actor):
    claimed by the member, asked of them by someone, or read from a file (no one to name)."""
    answer = notification.answer
    if notification.actor_id is None or answer is None:
        return _("An answer of yours under %(label)s is awaited before the session")
    if notification.actor_id == answer.author_id:
        return _("You said you would answer %(label)s before the session")
    return _("%(who)s asked you to answer %(label)s before the session")


def unsubscribe_token(user) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def user_of_token(token):
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None


def compose_account_mail(mail) -> EmailMultiAlternatives:
    """An invitation, or a link that confirms a new address: about the account, not the archive,
    so it is sent whatever the member chose for notifications, and has nothing to unsubscribe from."""
    participant = getattr(mail.recipient, "participant", None)
    with translation.override(settings.LANGUAGE_CODE):
        ctx = {
            "mail": mail,
            "name": participant.display_name if participant else mail.recipient.get_username(),
            "username": mail.recipient.get_username(),
            "valid_for": timesince(timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)),
            "site": settings.SITE_URL,
        }
        if mail.kind == OutboxMail.Kind.INVITE:
            subject = _("[Study group] You are invited: set your password")
        else:
            subject = _("[Study group] Confirm your new email address")
        text = render_to_string("mail/account.txt", ctx)
    return EmailMultiAlternatives(
        encoded_subject(subject),
        text,
        settings.DEFAULT_FROM_EMAIL,
        [mail.to],
        headers={"Message-ID": mail.message_id},
    )
