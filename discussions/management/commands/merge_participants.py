from django.core.management.base import BaseCommand, CommandError

from discussions.models import Participant, nfc
from discussions.writes.people import MergeError, merge_participants


class Command(BaseCommand):
    help = (
        "Merge two participants who are one person: everything FROM wrote, attended, presented "
        "and its user move to INTO, then FROM is deleted. Keep as INTO the name people sign with."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="FROM", help="the name they sign with, or their full name")
        parser.add_argument("target", metavar="INTO", help="the name they sign with, or their full name")

    def handle(self, *args, source, target, **options):
        source, target = find(source), find(target)
        try:
            report = merge_participants(source, target)
        except MergeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.summary())


def find(name):
    """By the name they sign with (unique), else by their full name (which need not be)."""
    name = nfc(name)
    found = Participant.objects.filter(name=name).first()
    if found:
        return found
    matches = list(Participant.objects.filter(full_name=name))
    if not matches:
        raise CommandError(f"no participant called {name!r}")
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise CommandError(f"{name!r} is the full name of several participants ({names}): give a signed name")
    return matches[0]
