"""Export a collection to BibTeX, RIS or CSL-JSON; import such a file into a collection.

An import is bounded (MAX_IMPORT_BYTES, MAX_IMPORT_ENTRIES, IMPORT_TIME_LIMIT_S: over any of
them it is refused with a sentence saying which) and all-or-nothing: the papers are added in
one transaction, after everything was read and matched. Every entry ends in the report:
added, already there, or unmatched with the reason; none is dropped silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from paperboard.community.accounts import account
from paperboard.community.context import Context
from paperboard.community.errors import InvalidInput
from paperboard.domain.citations import (
    Citation,
    ReadEntry,
    find_arxiv_id,
    plain_title,
    title_key,
)
from paperboard.domain.collections import MAX_ITEMS, MAX_NOTE_CHARS, Collection
from paperboard.library.citations import Format, Read, UnreadableFile, bibtex, csljson, ris
from paperboard.library.collections import Collections, new_public_id, require_owner
from paperboard.library.errors import TooLarge
from paperboard.search.service import SearchRequest, SearchService
from paperboard.storage import collections as collection_store
from paperboard.storage import papers as paper_store
from paperboard.storage.users import User

FORMATS: dict[str, Format] = {
    bibtex.NAME: Format(bibtex.NAME, "application/x-bibtex", "bib", bibtex.write, bibtex.read),
    ris.NAME: Format(ris.NAME, "application/x-research-info-systems", "ris", ris.write, ris.read),
    csljson.NAME: Format(
        csljson.NAME, "application/vnd.citationstyles.csl+json", "json", csljson.write, csljson.read
    ),
}
# A reference manager's export of a few thousand papers is well under a megabyte.
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ENTRIES = 5_000
# Reading and matching stop here; measured: a 2 MiB BibTeX file of 5,000 entries reads in ~2 s.
IMPORT_TIME_LIMIT_S = 20.0

# Candidates for an entry's title: [(paper id, arXiv id, title)], best first; the entry
# matches the first whose title is its title as title_key reads both.
TitleLookup = Callable[[str], list[tuple[int, str, str]]]
# A title's own paper is the keyword search's first hit in practice; a few more cover
# near-duplicate titles (a paper and its erratum).
TITLE_CANDIDATES = 5


def keyword_title_lookup(search: Callable[[], SearchService]) -> TitleLookup:
    """Title candidates from the keyword search (tantivy or PostgreSQL's tsvector): an exact
    title is the rarest of word combinations, and no index on titles is needed."""

    def lookup(title: str) -> list[tuple[int, str, str]]:
        request = SearchRequest(plain_title(title), mode="keyword", per_page=TITLE_CANDIDATES)
        page = search().search(request)
        return [(hit.paper_id, hit.paper.arxiv_id, hit.paper.title) for hit in page.hits]

    return lookup


@dataclass(frozen=True, slots=True)
class Export:
    filename: str
    media_type: str
    text: str


@dataclass(frozen=True, slots=True)
class Unmatched:
    where: str  # "entry 3 (vaswani2017attention)", "line 12"
    title: str | None
    reason: str


@dataclass
class ImportReport:
    collection: Collection
    entries: int  # read from the file
    added: list[str] = field(default_factory=list)  # arXiv ids, in file order
    already_there: list[str] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    matched_by_id: int = 0
    matched_by_title: int = 0


def file_format(name: str) -> Format:
    found = FORMATS.get(name.lower())
    if found is None:
        raise InvalidInput(f"The format is one of {', '.join(FORMATS)}.", "format")
    return found


def citation_of(
    connection: Connection, arxiv_ids: Sequence[str], notes: dict[str, str | None]
) -> list[Citation]:
    records = paper_store.records_for(connection, list(arxiv_ids))
    return [
        Citation(
            arxiv_id=record.arxiv_id,
            title=record.title,
            authors=record.authors,
            abstract=record.abstract,
            published=record.published_at.date() if record.published_at else None,
            primary_category=record.primary_category,
            doi=record.doi,
            journal_ref=record.journal_ref,
            note=notes.get(record.arxiv_id),
        )
        for arxiv_id in arxiv_ids
        if (record := records.get(arxiv_id)) is not None
    ]


class Exchange:
    def __init__(
        self,
        context: Context,
        collections: Collections,
        title_lookup: TitleLookup | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.context = context
        self.collections = collections
        self.title_lookup = title_lookup
        self.monotonic = monotonic

    def export(self, slug: str, viewer: User | None, format_name: str) -> Export:
        """The collection's papers in item order, in ``format_name`` (bibtex|ris|csljson)."""
        chosen = file_format(format_name)
        collection = self.collections.get(slug, viewer)
        arxiv_ids = [item.paper.arxiv_id for item in collection.items]
        notes = {item.paper.arxiv_id: item.note for item in collection.items}
        with self.context.db.read() as connection:
            citations = citation_of(connection, arxiv_ids, notes)
        filename = f"{collection.slug.replace('/', '-')}.{chosen.extension}"
        return Export(filename, chosen.media_type, chosen.write(citations))

    def import_file(
        self, slug: str, actor: User, format_name: str, data: bytes | str
    ) -> ImportReport:
        """Add the papers a file names to the collection (see the module docstring)."""
        chosen = file_format(format_name)
        started = self.monotonic()
        if len(data) > MAX_IMPORT_BYTES:
            raise TooLarge(f"An import file has at most {MAX_IMPORT_BYTES // 1024 // 1024} MiB.")
        text = _decoded(data)
        self.context.limiter.hit(("import_per_account", account(actor)))
        collection = self.collections.get(slug, actor)
        require_owner(collection, actor)
        try:
            read = chosen.read(text)
        except UnreadableFile as exc:
            raise InvalidInput(f"The file could not be read: {exc}", "file") from None
        entries = len(read.entries) + len(read.unread)
        if entries > MAX_IMPORT_ENTRIES:
            raise TooLarge(
                f"An import has at most {MAX_IMPORT_ENTRIES:,} entries ({entries:,} here)."
            )
        self._check_time(started)
        report = ImportReport(collection=collection, entries=entries)
        report.unmatched += [Unmatched(u.where, None, f"not read: {u.reason}") for u in read.unread]
        matched = self._match(read, report, started)
        self._check_time(started)
        self._write(collection, actor, matched, report)
        return report

    def _match(
        self, read: Read, report: ImportReport, started: float
    ) -> list[tuple[str, ReadEntry]]:
        by_id: list[tuple[str, ReadEntry]] = []
        untitled: list[ReadEntry] = []
        for entry in read.entries:
            arxiv_id = find_arxiv_id(entry.fields)
            if arxiv_id is None:
                untitled.append(entry)
            else:
                by_id.append((arxiv_id, entry))
        with self.context.db.read() as connection:
            known = paper_store.ids_for(connection, [arxiv_id for arxiv_id, _ in by_id])
        matched: list[tuple[str, ReadEntry]] = []
        for arxiv_id, entry in by_id:
            if arxiv_id in known:
                matched.append((arxiv_id, entry))
                report.matched_by_id += 1
            else:
                report.unmatched.append(_unmatched(entry, f"arXiv {arxiv_id} is not in paperboard"))
        for entry in untitled:
            self._check_time(started)
            found = self._by_title(entry)
            if found is None:
                reason = "no arXiv id, and no paper has this exact title"
                if not entry.title:
                    reason = "no arXiv id and no title"
                report.unmatched.append(_unmatched(entry, reason))
            else:
                matched.append((found, entry))
                report.matched_by_title += 1
        matched.sort(key=lambda pair: pair[1].position)
        return matched

    def _by_title(self, entry: ReadEntry) -> str | None:
        if not entry.title or self.title_lookup is None:
            return None
        wanted = title_key(entry.title)
        if not wanted:
            return None
        for _, arxiv_id, title in self.title_lookup(entry.title):
            if title_key(title) == wanted:
                return arxiv_id
        return None

    def _write(
        self,
        collection: Collection,
        actor: User,
        matched: list[tuple[str, ReadEntry]],
        report: ImportReport,
    ) -> None:
        now = self.context.clock()
        with self.context.db.write() as connection:
            ids = paper_store.ids_for(connection, [arxiv_id for arxiv_id, _ in matched])
            present = collection_store.paper_ids_in(connection, collection.id)
            rows: list[tuple[int, str, str | None]] = []
            for arxiv_id, entry in matched:
                paper_id = ids.get(arxiv_id)
                if paper_id is None:  # deleted since it was matched
                    report.unmatched.append(_unmatched(entry, f"arXiv {arxiv_id} is gone"))
                elif paper_id in present:
                    report.already_there.append(arxiv_id)
                else:
                    present.add(paper_id)
                    note = (entry.note or "").strip()[:MAX_NOTE_CHARS] or None
                    rows.append((paper_id, new_public_id(), note))
                    report.added.append(arxiv_id)
            if len(present) > MAX_ITEMS:
                raise TooLarge(f"A collection holds at most {MAX_ITEMS:,} papers.")
            collection_store.insert_items(connection, collection.id, rows, now)
            if rows:
                collection_store.touch(connection, collection.id, now)
            reloaded = collection_store.by_public_id(connection, collection.public_id)
        assert reloaded is not None
        report.collection = reloaded

    def _check_time(self, started: float) -> None:
        if self.monotonic() - started > IMPORT_TIME_LIMIT_S:
            raise TooLarge(
                f"Reading the file took over {IMPORT_TIME_LIMIT_S:.0f} s: nothing was imported. "
                "Split it into smaller files."
            )


def _decoded(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", "file") from None


def _unmatched(entry: ReadEntry, reason: str) -> Unmatched:
    where = f"entry {entry.position}" + (f" ({entry.key})" if entry.key else "")
    return Unmatched(where, entry.title, reason)
