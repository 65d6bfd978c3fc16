"""``paperboard check``: is the derived state consistent with the database, and repair it.

The database is the source of truth; everything else is derived from it and can be rebuilt:
the tantivy keyword index and the usearch vector file (embedded default), the embeddings
(from the papers' texts), the papers' vote and comment counters, the leases of the digest
outbox. Each is normally kept in step by watermarks and transactions (see the modules named
below); a check verifies the result instead of trusting the mechanism, so that a kill -9, a
full disk, a restored backup or a bug shows up, and ``--repair`` brings it back.

Each check is an object with ``inspect`` (read only: a ``Finding``) and ``repair`` (fix what
the finding names). ``run_checks`` inspects, repairs when asked, and inspects again, so a
"repaired" status is one that was verified afterwards.

The modules: ``base`` (the context, a finding, helpers), ``search_indexes`` (keyword index,
embeddings, vector index, temporary files), ``database_state`` (the SQLite file, counters,
digest leases), ``runner`` (``run_checks`` and its report).
"""

from paperboard.ops.check.base import Check, CheckContext, Finding, RepairError
from paperboard.ops.check.database_state import (
    CountersCheck,
    DatabaseCheck,
    OutboxLeasesCheck,
    process_is_gone,
)
from paperboard.ops.check.runner import CheckReport, CheckResult, default_checks, run_checks
from paperboard.ops.check.search_indexes import (
    EmbeddingsCheck,
    KeywordIndexCheck,
    TemporaryFilesCheck,
    VectorIndexCheck,
)

__all__ = [
    "Check",
    "CheckContext",
    "CheckReport",
    "CheckResult",
    "CountersCheck",
    "DatabaseCheck",
    "EmbeddingsCheck",
    "Finding",
    "KeywordIndexCheck",
    "OutboxLeasesCheck",
    "RepairError",
    "TemporaryFilesCheck",
    "VectorIndexCheck",
    "default_checks",
    "process_is_gone",
    "run_checks",
]
