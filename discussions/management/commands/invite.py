from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from discussions.invites import InviteError, invite
from discussions.models import Participant, ParticipantAlias, nfc
from discussions.writes.core import create


def find_participant(name):
    """By the name they sign with, another name of theirs (after a merge), or a full name only they have."""
    found = Participant.objects.filter(name=name).first()
    if found is None:
        alias = ParticipantAlias.objects.select_related("participant").filter(name=name).first()
        found = alias.participant if alias else None
    if found is None:
        by_full_name = list(Participant.objects.filter(full_name=name)[:2])
        if len(by_full_name) > 1:
            raise CommandError(
                f"{name!r} is the full name of several participants: give the name they sign with"
            )
        found = by_full_name[0] if by_full_name else None
    return found


class Command(BaseCommand):
    help = (
        "Give a participant an account and print a one-time link to set its password. "
        "With --full-name, someone who is in no discussion file yet is added as a new participant."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the name they sign with (정훈) or their full name (이정훈)")
        parser.add_argument("--email", default="", help="their email: they can log in with it too")
        parser.add_argument(
            "--full-name",
            default="",
            help="add NAME as a new participant with this full name when nobody is called NAME yet",
        )

    def handle(self, *args, name, email, full_name, **options):
        name, full_name = nfc(name), nfc(full_name)
        if not name:
            raise CommandError("give the name they sign with")
        for label, field, value in (("the name", "name", name), ("--full-name", "full_name", full_name)):
            limit = Participant._meta.get_field(field).max_length
            if len(value) > limit:
                raise CommandError(f"{label} is {len(value)} characters long; {limit} at most")
        with transaction.atomic():
            participant = find_participant(name)
            created = False
            if participant is None:
                if not full_name:
                    raise CommandError(
                        f"no participant called {name!r}; to add someone who is in no file yet, "
                        f"give their full name: invite {name} --full-name … --email …"
                    )
                participant = create(Participant(name=name, full_name=full_name), user=None)
                created = True
            try:
                user, link = invite(participant, email=email)
            except InviteError as error:
                raise CommandError(str(error)) from None  # rolls the new participant back too
        if created:
            self.stdout.write(f"added {participant.name} ({participant.full_name}) as a new participant")
        if user.email:
            days = settings.PASSWORD_RESET_TIMEOUT // 86400
            self.stdout.write(
                f"the link is mailed to {user.email} by the next send_notifications (valid {days} days)"
            )
        self.stdout.write(
            f"{participant.name} logs in as {user.username}"
            + (f" (or {user.email})" if user.email else "")
            + f" and can set a password once at:\n{link}"
        )
