from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from discussions.invites import invite
from discussions.models import Participant, nfc


class Command(BaseCommand):
    help = "Give a participant an account and print a one-time link to set its password."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the name they sign with (정훈) or their full name (이정훈)")
        parser.add_argument("--email", default="")

    def handle(self, *args, name, email, **options):
        name = nfc(name)
        participant = Participant.objects.filter(Q(name=name) | Q(full_name=name)).first()
        if participant is None:
            raise CommandError(f"no participant called {name!r}")
        link = invite(participant, email=email)
        self.stdout.write(f"{participant.name} can set a password once at:\n{link}")
