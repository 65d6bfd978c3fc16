"""The response cache: freshness by data version and age, single flight, stale while rebuilding."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from paperboard.web.response_cache import DEFAULT_TTL_S, ResponseCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_cache(version: list[int], clock: Clock) -> ResponseCache:
    return ResponseCache(lambda: version[0], ttl=10.0, version_interval=0.0, clock=clock)


def test_concurrent_misses_build_once() -> None:
    version, clock = [1], Clock()
    cache = make_cache(version, clock)
    builds = 0

    def build() -> str:
        nonlocal builds
        builds += 1
        return f"value {builds}"

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(cache.get("key", build) for _ in range(20)))

    results = asyncio.run(scenario())
    assert builds == 1
    assert set(results) == {"value 1"}


def test_new_data_version_rebuilds() -> None:
    version, clock = [1], Clock()
    cache = make_cache(version, clock)
    values = iter(["first", "second"])

    async def scenario() -> tuple[str, str, str]:
        first = await cache.get("key", lambda: next(values))
        again = await cache.get("key", lambda: "unused")
        version[0] = 2
        return first, again, await cache.get("key", lambda: next(values))

    assert asyncio.run(scenario()) == ("first", "first", "second")


def test_expired_entry_is_served_stale_while_one_request_rebuilds() -> None:
    version, clock = [1], Clock()
    cache = make_cache(version, clock)

    async def scenario() -> tuple[list[str], int]:
        await cache.get("key", lambda: "old")
        clock.now = 11.0  # past the ttl, same data version
        started = asyncio.Event()
        release = asyncio.Event()
        rebuilds = 0

        async def slow_build() -> str:
            nonlocal rebuilds
            rebuilds += 1
            started.set()
            await release.wait()
            return "new"

        _found, _value, current = await cache.lookup("key")
        rebuild = asyncio.create_task(cache.build_once("key", current, slow_build))
        await started.wait()
        during = [(await cache.lookup("key"))[1] for _ in range(5)]
        release.set()
        await rebuild
        during.append((await cache.lookup("key"))[1])
        return during, rebuilds

    during, rebuilds = asyncio.run(scenario())
    assert during == ["old"] * 5 + ["new"]
    assert rebuilds == 1


def test_failed_build_is_not_kept_and_waiters_see_their_own_error() -> None:
    version, clock = [1], Clock()
    cache = make_cache(version, clock)

    def fail() -> str:
        raise LookupError("not found")

    async def scenario() -> list[BaseException | str]:
        return await asyncio.gather(
            *(cache.get("key", fail) for _ in range(3)), return_exceptions=True
        )

    results = asyncio.run(scenario())
    assert all(isinstance(result, LookupError) for result in results)
    assert asyncio.run(cache.get("key", lambda: "ok")) == "ok"


@pytest.mark.parametrize("ttl", [0.0])
def test_ttl_zero_disables_caching(ttl: float) -> None:
    calls = []
    cache = ResponseCache(lambda: 1, ttl=ttl)

    def build() -> int:
        calls.append(1)
        return len(calls)

    assert asyncio.run(cache.get("k", build)) == 1
    assert asyncio.run(cache.get("k", build)) == 2


def test_paper_pages_are_kept_longer_than_boards() -> None:
    """Paper pages change only with the data version, so they outlive the short ttl that
    boards need (trending decays with the clock)."""
    from paperboard.web.pages import papers as pages

    routes = [*pages.router.routes, *pages.catch_all.routes]
    ttls = {route.name: route.cache_ttl for route in routes}  # type: ignore[attr-defined]
    assert ttls["paper"] == pages.PAPER_PAGE_TTL_S > DEFAULT_TTL_S
    assert ttls["day_board"] is None and ttls["week_board"] is None


def test_kept_bodies_are_bounded_in_bytes_least_recently_used_out() -> None:
    clock = Clock()
    cache = ResponseCache(lambda: 1, ttl=10.0, version_interval=0.0, max_bytes=13_000, clock=clock)
    body = b"x" * 3_000
    page = (body, "text/html", {"cache-control": "no-store"})  # as CachedRoute keeps a page

    async def scenario() -> list[bytes]:
        for key in ("a", "b", "c"):
            await cache.get(key, lambda: page)
        await cache.get("a", lambda: page)  # "a" used again: "b" is now the oldest
        await cache.get("d", lambda: page)  # over 13,000 bytes (~4,050 each): "b" goes
        return [key for key in ("a", "b", "c", "d") if (await cache.lookup(key))[0]]

    assert asyncio.run(scenario()) == ["a", "c", "d"]
    assert len(cache) == 3 and 12_000 < cache.bytes <= 13_000
    # Replacing an entry counts its size once.
    cache.store("a", page, 1)
    assert len(cache) == 3 and cache.bytes <= 13_000
    cache.clear()
    assert len(cache) == 0 and cache.bytes == 0


def test_a_body_larger_than_the_whole_budget_is_not_kept() -> None:
    cache = ResponseCache(lambda: 1, ttl=10.0, version_interval=0.0, max_bytes=1_000)

    async def scenario() -> tuple[bool, bool]:
        await cache.get("small", lambda: b"s" * 100)
        await cache.get("huge", lambda: b"h" * 5_000)
        return (await cache.lookup("small"))[0], (await cache.lookup("huge"))[0]

    assert asyncio.run(scenario()) == (True, False)
    # A new value too large to keep also drops the key's old one (and its bytes).
    cache.store("small", b"h" * 5_000, 1)
    assert len(cache) == 0 and cache.bytes == 0
