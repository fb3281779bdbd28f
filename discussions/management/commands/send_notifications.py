from django.core.management.base import BaseCommand

from discussions import mailing


class Command(BaseCommand):
    help = (
        "Send what is due: reminders of owed answers, digests whose day or week is up, and the outbox. "
        "Run it every few minutes from cron or a systemd timer; two runs at once never send a mail twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="send at most this many mails (default 500)"
        )

    def handle(self, *args, limit, **options):
        report = mailing.run(limit=limit)
        self.stdout.write(
            f"{report.reminded} reminders, {report.digests} digests, {report.sent} mails sent, "
            f"{report.failed} failed"
        )
        for error in report.errors:
            self.stderr.write(f"not sent, tried again later: {error}")
