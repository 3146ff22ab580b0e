"""Check the audit log's hash chain; exit status 1 naming the first broken entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.verify import GRACE_SECONDS, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit log in chain order, recompute every hash and name the first broken "
        "entry. With --head (a hash saved earlier, e.g. from an export manifest) and/or "
        "--head-seq, also detect a truncated tail. Prints the head on success."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head", dest="head_hash", help="a head hash saved earlier")
        parser.add_argument("--head-seq", type=int, help="the seq of that saved head")
        parser.add_argument(
            "--grace",
            type=int,
            default=GRACE_SECONDS,
            help="seconds an entry may wait to be sealed before it counts as forged",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        head_hash = options.get("head_hash")
        if head_hash is not None and len(head_hash) != 64:
            raise CommandError("--head must be a 64-character hex SHA-256")
        result = verify_chain(
            head_hash=head_hash, head_seq=options.get("head_seq"), grace=options["grace"]
        )
        if not result.ok:
            raise CommandError(
                f"audit log broken at {result.problem} ({result.checked} entries checked before it)"
            )
        self.stdout.write(
            f"audit log intact: {result.checked} entries; head seq {result.head_seq} "
            f"hash {result.head_hash}"
        )
