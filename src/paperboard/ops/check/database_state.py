"""What is kept in the database itself: the SQLite file's structure, the papers' vote and
comment counters, the leases of the digest outbox."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from paperboard.ops.check.base import CheckContext, Finding, RepairError, plural
from paperboard.storage import board as board_store
from paperboard.storage import consistency
from paperboard.storage import outbox as outbox_store

# --- the database file ---------------------------------------------------------------------------


class DatabaseCheck:
    """SQLite's structure and foreign keys after a crash (PostgreSQL checks its own pages)."""

    name = "database"

    def inspect(self, ctx: CheckContext) -> Finding:
        if not ctx.db.is_sqlite:
            return Finding(summary="PostgreSQL (crash safety is the server's own)")
        with ctx.db.read() as connection:
            problems = consistency.sqlite_problems(connection)
        if not problems:
            return Finding(summary="SQLite quick_check and foreign keys ok")
        shown = problems[: consistency.MAX_LISTED]
        more = len(problems) - len(shown)
        return Finding(
            problems=[*shown, *([f"... and {more:,} more"] if more else [])],
            count=len(problems),
            repairable=False,
            hint="stop paperboard, keep a copy of the file, then restore a backup or use "
            "sqlite3's .recover",
        )

    def repair(self, ctx: CheckContext, finding: Finding) -> None:  # pragma: no cover
        raise RepairError("a damaged database file cannot be repaired in place")


# --- counters ------------------------------------------------------------------------------------


class CountersCheck:
    """papers.upvotes / num_comments / local_comments equal what ``board.refresh_counters``
    computes from the featured entries, votes and visible comments."""

    name = "counters"

    def inspect(self, ctx: CheckContext) -> Finding:
        with ctx.db.read() as connection:
            skews = consistency.counter_skews(connection)
        if not skews:
            return Finding(summary="upvote and comment counters match votes and comments")
        first = skews[0]
        example = (
            f"e.g. paper {first.paper_id}: {first.upvotes} upvotes (should be "
            f"{first.expected_upvotes}), {first.num_comments} comments (should be "
            f"{first.expected_comments}), {first.local_comments} of them here (should be "
            f"{first.expected_local_comments})"
        )
        return Finding(
            problems=[f"{plural(len(skews), 'paper')} with counters out of step; {example}"],
            count=len(skews),
            data={"ids": [skew.paper_id for skew in skews]},
        )

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        with ctx.db.write() as connection:
            board_store.refresh_counters(connection, finding.data["ids"])


# --- digest outbox leases ------------------------------------------------------------------------


def process_is_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this machine (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's process: alive
    with contextlib.suppress(OSError, IndexError):
        # /proc/PID/stat: "pid (name) state ...": Z is a killed process not yet reaped.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] == "Z"
    return False


def _dead_local_owner(owner: str, hostname: str) -> bool:
    """A lease owner (delivery.py: "host:pid:random") that was a process on this machine
    that no longer runs. Releasing its lease is safe even if this is wrong: sending is fenced
    on the lease owner (outbox.mark_sending), so a live owner would just stop."""
    host, _, rest = owner.rpartition(":")[0].rpartition(":")
    if host != hostname[:32] or not rest.isdigit():
        return False
    return process_is_gone(int(rest))


class OutboxLeasesCheck:
    """No digest stuck "sending" past its lease (a run died after handing it to the mail
    server: it becomes "uncertain", never resent) and no lease held by a process of this
    machine that is gone (a killed ``digest send``: its rows would wait out the lease)."""

    name = "digest outbox"

    def inspect(self, ctx: CheckContext) -> Finding:
        now = ctx.clock()
        with ctx.db.read() as connection:
            leased = consistency.leased_outbox_rows(connection)
        stuck = [
            row
            for row in leased
            if row.state == outbox_store.SENDING
            and row.lease_until is not None
            and row.lease_until < now
        ]
        stuck_ids = {row.id for row in stuck}
        orphaned = [
            row
            for row in leased
            if row.id not in stuck_ids
            and (row.lease_until is None or row.lease_until >= now)
            and _dead_local_owner(row.lease_owner, ctx.hostname)
        ]
        finding = Finding(
            summary="no digest stuck or leased by a dead process",
            data={"stuck": stuck, "orphaned": orphaned},
            count=len(stuck) + len(orphaned),
        )
        if stuck:
            finding.problems.append(
                f"{plural(len(stuck), 'digest')} stuck in 'sending' past the lease (the "
                "sending run died after handing them to the mail server)"
            )
        if orphaned:
            owners = sorted({row.lease_owner for row in orphaned})
            finding.problems.append(
                f"{plural(len(orphaned), 'digest')} leased by "
                f"{'a process' if len(owners) == 1 else f'{len(owners)} processes'} of this "
                f"machine that no longer runs ({', '.join(owners[:3])})"
            )
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        now = ctx.clock()
        with ctx.db.write() as connection:
            outbox_store.recover_stale(connection, now)
            for row in finding.data["orphaned"]:
                if row.state == outbox_store.SENDING:
                    # Handed to the mail server (or about to be): never resent.
                    outbox_store.mark_uncertain(
                        connection,
                        row.id,
                        row.lease_owner,
                        now,
                        "the sending process died after handing the message to the mail "
                        "server; not resent (it was most likely delivered)",
                    )
                else:
                    outbox_store.release(connection, [row.id], row.lease_owner, now)
