from django.core.management.base import BaseCommand

from orderdesk.approvals.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate approval tasks past their deadline to the next level (run every hour)."

    def handle(self, *args, **options):
        count = escalate_overdue()
        self.stdout.write(f"escalated {count} task(s)")
