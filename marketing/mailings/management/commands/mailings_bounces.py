"""Mark bounced the mails to the addresses a mail server reported as undeliverable.

    manage.py mailings_bounces bounces.txt [--campaign ID]     (one address per line; - reads stdin)

The latest sent mail to each address is marked (of one e-mail campaign with --campaign), once:
running the same file again changes nothing.
"""

import sys

from django.core.management.base import BaseCommand

from marketing.mailings import services


class Command(BaseCommand):
    help = "Mark bounced the mails to the addresses in a file (one per line; - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--campaign", type=int, default=None, help="the e-mail campaign's id")

    def handle(self, *args, file, campaign, **options):
        stream = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
        with stream:
            addresses = [line.strip() for line in stream if line.strip() and not line.startswith("#")]
        count = services.bounce_addresses(addresses=addresses, mailing_id=campaign)
        self.stdout.write(f"{count} mails marked bounced ({len(addresses)} addresses read).")
