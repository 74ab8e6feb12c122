"""`orderdesk reconcile`: check every registered invariant; list each violation, exit 1 if any.

The invariants live with their apps (`<app>/invariants.py`, see `orderdesk.core.invariants`);
this command only runs them. It reads, never repairs.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from orderdesk.core import invariants as registry


class Command(BaseCommand):
    help = (
        "Check the data's invariants (order lines within ordered, totals equal lines, stock, "
        "gap-free numbers, ...); list every violation and exit 1 when there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="append", metavar="NAME", help="only this invariant (repeatable)"
        )
        parser.add_argument(
            "--list", action="store_true", help="list the registered invariants and exit"
        )

    def handle(self, *args, **options):
        if options["list"]:
            for inv in registry.invariants():
                self.stdout.write(f"{inv.name}: {inv.description}")
            return
        try:
            violations = registry.run(options.get("check"))
        except KeyError as exc:
            raise CommandError(f"unknown invariant: {exc.args[0]} (see --list)") from None
        checked = len(options.get("check") or registry.invariants())
        for violation in violations:
            self.stdout.write(str(violation))
        if violations:
            broken = len({v.invariant for v in violations})
            raise CommandError(
                f"{len(violations)} violation(s) of {broken} invariant(s); {checked} checked"
            )
        self.stdout.write(f"ok: {checked} invariants hold")
