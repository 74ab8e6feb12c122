"""Release the orders whose dated deliveries fell due and that nothing blocks (run daily)."""

import datetime as dt

from django.core.management.base import BaseCommand

from orderdesk.fulfillment.services import release_due_orders


class Command(BaseCommand):
    help = "Release to the warehouse what is due today (or --on DATE) and not blocked."

    def add_arguments(self, parser):
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, **options):
        released = release_due_orders(on=options["on"])
        self.stdout.write(f"{len(released)} releases made.")
