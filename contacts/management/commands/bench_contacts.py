"""The contact pages' benchmark, now a thin wrapper: bench_seed, then bench_routes on contacts.

Kept for the scripts that call it. It seeds the bench data set once (``bench_seed``, with the
companies and people asked for; deals, leads and cards as bench_seed does) and times the
contact routes only (``bench_routes --only contacts:``: lists, searches, deep pages, cards,
forms, exports, autocompletes). ``make bench`` walks every route.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seed the bench data set once (bench_seed), then time the contact routes (bench_routes)."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=100_000, help="companies to seed (100,000)")
        parser.add_argument("--people", type=int, default=300_000, help="people to seed (300,000)")
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per page and persona (20)")

    def handle(self, *args, companies: int, people: int, repeat: int, **options):
        call_command("bench_seed", companies=companies, people=people, stdout=self.stdout._out)
        self.stdout.write("")
        call_command("bench_routes", only="contacts:", repeat=repeat, stdout=self.stdout._out)
