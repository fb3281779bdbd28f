from django.core.management.base import BaseCommand, CommandError

from discussions import mailing


class Command(BaseCommand):
    help = (
        "Send what is due: reminders of owed answers, digests whose day or week is up, and the outbox. "
        "Run it every few minutes from cron or a systemd timer; two runs at once never send a mail twice. "
        "Exits 1 when a mail could not be made or was refused for good: it is marked failed, with its "
        "reason, and every other mail was still sent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="send at most this many mails (default 500)"
        )

    def handle(self, *args, limit, **options):
        report = mailing.run(limit=limit)
        self.stdout.write(
            f"{report.reminded} reminders, {report.digests} digests, {report.sent} mails sent, "
            f"{report.retry} to retry, {report.failed} failed"
        )
        for error in report.errors:
            self.stderr.write(f"not sent, tried again later: {error}")
        for failure in report.failures:
            self.stderr.write(f"failed, not tried again: {failure}")
        if report.failed:
            # cron mails this, and systemd marks the unit failed: someone should look at the rows.
            raise CommandError(f"{report.failed} mails failed (marked failed; the others were sent)")
