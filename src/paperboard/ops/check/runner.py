"""Running the checks: inspect, repair when asked, inspect again; the report."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from paperboard.ops.check.base import Check, CheckContext, Finding
from paperboard.ops.check.database_state import CountersCheck, DatabaseCheck, OutboxLeasesCheck
from paperboard.ops.check.search_indexes import (
    EmbeddingsCheck,
    KeywordIndexCheck,
    TemporaryFilesCheck,
    VectorIndexCheck,
)

log = logging.getLogger(__name__)

Status = Literal["ok", "problem", "repaired", "off"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    count: int = 0  # problems found by the first inspection
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class CheckReport:
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(result.status != "problem" for result in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [result.as_dict() for result in self.results]}


def run_checks(
    ctx: CheckContext,
    *,
    repair: bool = False,
    checks: Sequence[Check] | None = None,
) -> CheckReport:
    """Run every check (in order: a repair may feed the next check, e.g. new embeddings the
    vector index); with ``repair`` fix what is found and verify by inspecting again."""
    results = []
    for check in checks if checks is not None else default_checks():
        started = time.monotonic()
        result = _run_one(ctx, check, repair)
        result = CheckResult(**{**asdict(result), "seconds": time.monotonic() - started})
        results.append(result)
    return CheckReport(results)


def _inspect(ctx: CheckContext, check: Check) -> Finding:
    try:
        return check.inspect(ctx)
    except Exception as exc:  # a check that cannot run is reported, the others still run
        log.debug("check %s failed", check.name, exc_info=True)
        return Finding(problems=[f"could not check: {exc}"], count=1, repairable=False)


def _run_one(ctx: CheckContext, check: Check, repair: bool) -> CheckResult:
    finding = _inspect(ctx, check)
    if finding.off:
        return CheckResult(check.name, "off", finding.summary)
    if not finding.problems:
        return CheckResult(check.name, "ok", finding.summary)
    found = "; ".join(finding.problems)
    if not repair or not finding.repairable:
        if finding.hint:
            advice = finding.hint
        elif finding.repairable:
            advice = "paperboard check --repair fixes this"
        else:
            advice = ""
        detail = f"{found} ({advice})" if advice else found
        return CheckResult(check.name, "problem", detail, finding.count)
    try:
        check.repair(ctx, finding)
    except Exception as exc:  # reported; the other checks still run
        log.debug("repair of %s failed", check.name, exc_info=True)
        return CheckResult(check.name, "problem", f"{found}; repair failed: {exc}", finding.count)
    after = _inspect(ctx, check)
    if after.problems:
        detail = f"{found}; after repair still: {'; '.join(after.problems)}"
        return CheckResult(check.name, "problem", detail, finding.count)
    return CheckResult(check.name, "repaired", f"repaired: {found}", finding.count)


def default_checks() -> list[Check]:
    return [
        DatabaseCheck(),
        KeywordIndexCheck(),
        EmbeddingsCheck(),
        VectorIndexCheck(),
        CountersCheck(),
        OutboxLeasesCheck(),
        TemporaryFilesCheck(),
    ]
