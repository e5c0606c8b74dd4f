"""`manage.py support_mail_in < message.eml`: one received mail (RFC 822 on standard input, or a
file named as argument) into a ticket (support.inbound). For a mail server's pipe transport:
the exit status is 0 for every mail read, ignored ones included, so the server bounces nothing."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from support import inbound


class Command(BaseCommand):
    help = "Turn one received e-mail (RFC 822, standard input or a file) into a ticket or a reply."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the .eml file (default: standard input)")

    def handle(self, *args, **options):
        if options["file"]:
            try:
                with open(options["file"], "rb") as handle:
                    raw = handle.read(inbound.MAX_BYTES + 1)
            except OSError as error:
                raise CommandError(str(error)) from error
        else:
            raw = sys.stdin.buffer.read(inbound.MAX_BYTES + 1)
        result = inbound.receive(raw)
        ticket = f" #{result.ticket.pk}" if result.ticket else ""
        reason = f" ({result.reason})" if result.reason else ""
        self.stdout.write(f"{result.outcome}{ticket}{reason}")
