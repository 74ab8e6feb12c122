"""`orderdesk refresh_summaries [--full]`: bring the dashboards' summary up to date.

Incremental by default (only the days of orders changed since the last run); run it from
cron every few minutes. `--full` rebuilds every day.
"""

from django.core.management.base import BaseCommand

from orderdesk.reports.services import summaries_refresh


class Command(BaseCommand):
    help = "Refresh the dashboards' daily sales summary (incremental; --full rebuilds all)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every day")

    def handle(self, *args, **options):
        result = summaries_refresh(full=options["full"])
        self.stdout.write(
            f"{result['mode']}: {result['days']} days, {result['rows']} rows "
            f"in {result['seconds']} s (up to event {result['last_event_id']})"
        )
