"""Mailing what concerns members: digests made when due, and the outbox sent, each mail once.

`send_notifications` (cron or a systemd timer) calls `run()`. A mail is sent while its outbox row
is locked (`SELECT … FOR UPDATE SKIP LOCKED`), and marked sent in the same transaction right after
the SMTP server accepted it: two runs at once never take the same row, and a run killed before the
server's 250 leaves the row unsent for the next run. An SMTP server that refuses or is down leaves
the row unsent too, due again after a back-off that doubles with every try.
"""

import smtplib
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from discussions import notify
from discussions.models import Notification, OutboxMail, Preference

UNSUBSCRIBE_SALT = "discussions.unsubscribe"
DIGEST_EVERY = {Preference.Email.DAILY: timedelta(days=1), Preference.Email.WEEKLY: timedelta(days=7)}
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class RunReport:
    reminded: int = 0
    digests: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def run(*, now=None, limit=500) -> RunReport:
    now = now or timezone.now()
    report = RunReport()
    with transaction.atomic():
        report.reminded = len(notify.remind(today=timezone.localdate(now)))
    report.digests = make_digests(now=now)
    send_due(report, now=now, limit=limit)
    return report


def make_digests(*, now) -> int:
    """A digest mail for each member whose day or week is up and who has news not mailed yet."""
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
                news = Notification.objects.filter(
                    recipient=preference.user_id, mail__isnull=True, read_at__isnull=True
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
    connection = get_connection()
    try:
        for _ in range(limit):
            with transaction.atomic():
                mail = (
                    OutboxMail.objects.select_for_update(skip_locked=True)
                    .filter(sent_at__isnull=True, due_at__lte=now)
                    .select_related("recipient")
                    .order_by("due_at", "pk")
                    .first()
                )
                if mail is None:
                    return
                if not mail.to:
                    mail.sent_at, mail.last_error = now, "no email address"
                    mail.save(update_fields=["sent_at", "last_error"])
                    continue
                try:
                    connection.send_messages([compose(mail)])
                except (smtplib.SMTPException, OSError) as error:
                    mail.attempts += 1
                    mail.last_error = f"{type(error).__name__}: {error}"[:500]
                    mail.due_at = now + min(timedelta(minutes=2**mail.attempts), MAX_BACKOFF)
                    mail.save(update_fields=["attempts", "last_error", "due_at"])
                    report.failed += 1
                    report.errors.append(mail.last_error)
                    # The server refused or is down: the rest waits for the next run, not this one.
                    return
                mail.sent_at = timezone.now()
                mail.save(update_fields=["sent_at"])
                report.sent += 1
    finally:
        connection.close()


def compose(mail) -> EmailMultiAlternatives:
    """The mail, in plain text and HTML, with a one-click unsubscribe link and its headers."""
    if mail.kind in (OutboxMail.Kind.INVITE, OutboxMail.Kind.EMAIL):
        return compose_account_mail(mail)
    notifications = list(
        mail.notifications.select_related("actor", "paper", "question__author", "answer__author").order_by(
            "created_at", "pk"
        )
    )
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
        elif notifications:
            subject = _("[Study group] %(what)s") % {"what": headline(notifications[0])}
        else:
            subject = _("[Study group] news")
        text = render_to_string("mail/notifications.txt", ctx)
        html = render_to_string("mail/notifications.html", ctx)
    message = EmailMultiAlternatives(
        subject,
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


def headline(notification) -> str:
    who = notification.actor.name if notification.actor else _("Someone")
    label = notification.question.label if notification.question else ""
    kind = Notification.Kind
    return {
        kind.ANSWER: _("%(who)s answered your question %(label)s"),
        kind.REPLY: _("%(who)s replied to your answer under %(label)s"),
        kind.MENTION: _("%(who)s mentioned you in %(label)s"),
        kind.REQUEST: _("%(who)s asks you to answer %(label)s"),
        kind.FILLED: _("Your open answer under %(label)s was written on your behalf"),
        kind.SESSION: _("A session you take part in changed: %(paper)s"),
        kind.REMINDER: _("You said you would answer %(label)s before the session"),
    }[notification.kind] % {"who": who, "label": label, "paper": notification.paper.title}


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
        subject, text, settings.DEFAULT_FROM_EMAIL, [mail.to], headers={"Message-ID": mail.message_id}
    )
