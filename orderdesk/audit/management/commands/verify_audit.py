from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from orderdesk.audit.selectors import verify_chain, verify_heads

WRITES = ("UPDATE", "DELETE", "TRUNCATE")
# the writes the application's role must not hold: the heads move forward by UPDATE
FORBIDDEN = {"audit_event": WRITES, "audit_streamhead": ("DELETE", "TRUNCATE")}
# (table, trigger, what it is called in the output), migrations 0002 and 0004
TRIGGERS = (
    ("audit_event", "audit_event_append_only", "append-only trigger"),
    ("audit_event", "audit_event_no_truncate", "TRUNCATE trigger"),
    ("audit_streamhead", "audit_streamhead_forward_only", "forward-only trigger"),
    ("audit_streamhead", "audit_streamhead_no_truncate", "TRUNCATE trigger"),
)


def trigger_state(table: str = "audit_event", name: str = "audit_event_append_only") -> str:
    """PostgreSQL: 'on', 'disabled' or 'missing' for one of the history's triggers."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            [table, name],
        )
        row = cur.fetchone()
    if row is None:
        return "missing"
    return "disabled" if row[0] == "D" else "on"


def history_writes_allowed(table: str = "audit_event") -> list[str]:
    """PostgreSQL: which of the forbidden writes the current role holds on `table`."""
    writes = FORBIDDEN[table]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT " + ", ".join("has_table_privilege(%s, %s)" for _ in writes),
            [v for w in writes for v in (table, w)],
        )
        held = cur.fetchone()
    return [w for w, ok in zip(writes, held, strict=True) if ok]


class Command(BaseCommand):
    help = (
        "Verify the history's hash chains and that each ends at its stream's head; exit 1 at "
        "the first broken link or cut stream. On PostgreSQL also check that the history's "
        "triggers are on, and say whether the database role could rewrite history "
        "(docs/security.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stream", action="append", help="only this stream (repeatable)")
        parser.add_argument(
            "--require-restricted-role",
            action="store_true",
            help="fail when the database role may UPDATE, DELETE or TRUNCATE history or DELETE, "
            "TRUNCATE its heads",
        )

    def handle(self, *args, **options):
        streams = options.get("stream")
        checked, broken = verify_chain(streams)
        if broken is None:
            broken = verify_heads(streams)
        if broken:
            event = f" (event {broken.event_id})" if broken.event_id else ""
            raise CommandError(
                f"broken link in {broken.stream} at seq {broken.seq}{event}: {broken.reason}; "
                f"{checked} events read"
            )
        self.stdout.write(f"ok: {checked} events, every chain intact and at its head")
        if connection.vendor != "postgresql":
            return
        # security: the chain shows tampering afterwards; the triggers and the role prevent it
        for table, trigger, label in TRIGGERS:
            state = trigger_state(table, trigger)
            if state != "on":
                raise CommandError(f"the {label} on {table} is {state}: history can be rewritten")
            self.stdout.write(f"ok: {label} on {table} is on")
        held = {table: history_writes_allowed(table) for table in FORBIDDEN}
        notes = [
            f"the database role may {', '.join(writes)} {table}"
            for table, writes in held.items()
            if writes
        ]
        if notes:
            message = (
                f"{'; '.join(notes)} (the tables' owner can also disable the triggers); run "
                "the application as a role without them, see docs/security.md"
            )
            if options["require_restricted_role"]:
                raise CommandError(message)
            self.stdout.write(f"note: {message}")
        else:
            self.stdout.write("ok: the database role cannot UPDATE, DELETE or TRUNCATE history")
