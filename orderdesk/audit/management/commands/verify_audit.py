from django.core.management.base import BaseCommand, CommandError

from orderdesk.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Verify the history's hash chains; exit 1 at the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--stream", action="append", help="only this stream (repeatable)")

    def handle(self, *args, **options):
        checked, broken = verify_chain(options.get("stream"))
        if broken:
            raise CommandError(
                f"broken link in {broken.stream} at seq {broken.seq} "
                f"(event {broken.event_id}): {broken.reason}; {checked} events read"
            )
        self.stdout.write(f"ok: {checked} events, every chain intact")
