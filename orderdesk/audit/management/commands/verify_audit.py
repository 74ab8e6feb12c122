from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from orderdesk.audit.selectors import verify_chain

WRITES = ("UPDATE", "DELETE", "TRUNCATE")


def append_only_trigger_state() -> str:
    """PostgreSQL: 'on', 'disabled' or 'missing' for the trigger that refuses UPDATE/DELETE."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tgenabled FROM pg_trigger "
            "WHERE tgrelid = 'audit_event'::regclass AND tgname = 'audit_event_append_only'"
        )
        row = cur.fetchone()
    if row is None:
        return "missing"
    return "disabled" if row[0] == "D" else "on"


def history_writes_allowed() -> list[str]:
    """PostgreSQL: which of UPDATE, DELETE, TRUNCATE the current role holds on audit_event."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT " + ", ".join("has_table_privilege('audit_event', %s)" for _ in WRITES),
            list(WRITES),
        )
        held = cur.fetchone()
    return [w for w, ok in zip(WRITES, held, strict=True) if ok]


class Command(BaseCommand):
    help = (
        "Verify the history's hash chains; exit 1 at the first broken link. On PostgreSQL also "
        "check that the append-only trigger is on, and say whether the database role could "
        "rewrite history (docs/security.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stream", action="append", help="only this stream (repeatable)")
        parser.add_argument(
            "--require-restricted-role",
            action="store_true",
            help="fail when the database role may UPDATE, DELETE or TRUNCATE history",
        )

    def handle(self, *args, **options):
        checked, broken = verify_chain(options.get("stream"))
        if broken:
            raise CommandError(
                f"broken link in {broken.stream} at seq {broken.seq} "
                f"(event {broken.event_id}): {broken.reason}; {checked} events read"
            )
        self.stdout.write(f"ok: {checked} events, every chain intact")
        if connection.vendor != "postgresql":
            return
        # security: the chain shows tampering afterwards; the trigger and the role prevent it
        state = append_only_trigger_state()
        if state != "on":
            raise CommandError(
                f"the append-only trigger on audit_event is {state}: history can be rewritten"
            )
        self.stdout.write("ok: append-only trigger on audit_event is on")
        held = history_writes_allowed()
        if held:
            message = (
                f"the database role may {', '.join(held)} audit_event (its owner can also "
                "disable the trigger); run the application as a role without them, see "
                "docs/security.md"
            )
            if options["require_restricted_role"]:
                raise CommandError(message)
            self.stdout.write(f"note: {message}")
        else:
            self.stdout.write("ok: the database role cannot UPDATE, DELETE or TRUNCATE history")
