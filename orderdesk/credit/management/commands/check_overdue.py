import datetime as dt

from django.core.management.base import BaseCommand

from orderdesk.credit.services import check_overdue


class Command(BaseCommand):
    help = "Block customers whose overdue debt passes their tolerance; lift paid blocks (daily)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default today)")

    def handle(self, *args, **options):
        on = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        blocked, unblocked = check_overdue(on=on)
        self.stdout.write(f"blocked {blocked}, unblocked {unblocked}")
