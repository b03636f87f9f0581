"""`dateline ingest`: files, directories and feed URLs into the ingest API.

Every source is read and sent on its own: a file that cannot be read or parsed is reported
and skipped, the rest still go. What happens is said per item as it happens (on stderr)
and summed up at the end; the exit code is 0 only when every item of every source was
taken (accepted, updated or a duplicate) and something was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
from rich.console import Console

from dateline.client import ApiError, IngestClient
from dateline.rejections import in_words
from shared.feeds import Document, FeedError, Item, files_under, parse_document

VERDICTS = ("accepted", "updated", "duplicate", "rejected")  # the server's, per article
COLOURS = {"warning": "yellow", "skipped": "red", "refused": "red", "rejected": "red"}


class Source(msgspec.Struct, frozen=True):
    """One document's bytes and, for a URL, the headers that say how to read it."""

    name: str
    data: bytes
    content_type: str = ""
    location: str = ""


class Tally(msgspec.Struct):
    accepted: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    refused: int = 0  # items the CLI could not send (no URL)
    skipped: int = 0  # sources that could not be read or parsed
    warning: int = 0  # empty files, feeds without items, ill-formed XML read anyway

    @property
    def taken(self) -> int:
        return self.accepted + self.updated + self.duplicate

    @property
    def exit_code(self) -> int:
        return 0 if self.taken and not (self.rejected or self.refused or self.skipped) else 1

    def summary(self) -> str:
        verdicts = ", ".join(f"{getattr(self, name)} {name}" for name in VERDICTS)
        notes = [f"{n} {what}" for n, what in ((self.refused, "refused (no URL)"),
                 (self.skipped, "skipped (unreadable)"),
                 (self.warning, "warning" if self.warning == 1 else "warnings")) if n]
        return verdicts + (f"; {', '.join(notes)}" if notes else "")


class IngestAborted(RuntimeError):
    """The service refused a whole request (wrong key, down): nothing more can be sent."""


class Run:
    """One `dateline ingest`: what it tells the person, and what it counts."""

    def __init__(self, err: Console):
        self.err = err
        self.tally = Tally()

    def note(self, what: str, message: str) -> None:
        """Say what happened to a source or an item; count the CLI's own verdicts."""
        if what != "rejected":  # the server's rejections are counted from its answers
            setattr(self.tally, what, getattr(self.tally, what) + 1)
        self.err.print(f"[{COLOURS[what]}]{what}[/] {message}", highlight=False, soft_wrap=True)

    def read(self, paths: list[str]) -> list[Document]:
        documents = [d for d in map(self.parse, self.sources(paths)) if d is not None]
        if not documents and not self.tally.skipped:
            self.note("warning", f"no JSON, NDJSON or feed files in {', '.join(paths)}")
        return documents

    def sources(self, paths: list[str]) -> Iterator[Source]:
        for given in paths:
            if given.startswith(("http://", "https://")):
                yield from self.fetch(given)
            elif not Path(given).exists():
                self.note("skipped", f"{given}: no such file or directory")
            else:
                for file in files_under(Path(given)):
                    try:
                        yield Source(str(file), file.read_bytes())
                    except OSError as exc:
                        self.note("skipped", f"{file}: cannot be read ({exc.strerror or exc})")

    def fetch(self, url: str) -> Iterator[Source]:
        import httpx

        try:
            response = httpx.get(url, timeout=30, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            self.note("skipped", f"{url}: could not be fetched ({exc})")
            return
        yield Source(url, response.content, response.headers.get("content-type", ""), str(response.url))

    def parse(self, source: Source) -> Document | None:
        try:
            document = parse_document(source.data, source.name, content_type=source.content_type,
                                      location=source.location)
        except FeedError as exc:
            self.note("skipped", str(exc))
            return None
        for warning in document.warnings:
            self.note("warning", f"{document.name}: {warning}")
        for refused in document.refused:
            self.note("refused", f"{document.name} {refused}")
        return document

    def push(self, client: IngestClient, documents: list[Document], batch_size: int,
             advance: Callable[[int], None]) -> None:
        """Send every document's items in batches; say where each rejected one was."""
        for document in documents:
            for start in range(0, len(document.items), batch_size):
                batch = document.items[start : start + batch_size]
                self.push_batch(client, document.name, batch)
                advance(len(batch))

    def push_batch(self, client: IngestClient, name: str, batch: list[Item]) -> None:
        try:
            response = client.push([item.body for item in batch])
        except ApiError as exc:
            if exc.status != 413:
                raise IngestAborted(str(exc)) from None
            if len(batch) == 1:
                self.tally.rejected += 1
                self.note("rejected", f"{name} {batch[0].where}: larger than ingest takes in one request")
                return
            half = len(batch) // 2  # over the body limit: send it in halves
            self.push_batch(client, name, batch[:half])
            self.push_batch(client, name, batch[half:])
            return
        for verdict in VERDICTS:
            setattr(self.tally, verdict, getattr(self.tally, verdict) + getattr(response, verdict))
        for result in response.results:
            if result.status == "rejected":
                why = in_words(result.field, result.reason or "")
                self.note("rejected", f"{name} {batch[result.index].where}: {why}")


def ingest_command(console: Console, err: Console, progress_bar: Callable, base_url: str, key: str,
                   paths: list[str], batch_size: int) -> int:
    """Read, send, sum up; the exit code."""
    run = Run(err)
    documents = run.read(paths)
    failed = send(run, documents, base_url, key, batch_size, progress_bar)
    console.print(run.tally.summary(), highlight=False, soft_wrap=True)
    return 1 if failed else run.tally.exit_code


def send(run: Run, documents: list[Document], base_url: str, key: str, batch_size: int,
         progress_bar: Callable) -> bool:
    """Push the documents with a progress bar; True when the service stopped the run."""
    import httpx

    client = IngestClient(base_url, key)
    try:
        with progress_bar() as progress:
            task = progress.add_task("ingesting", total=sum(len(d.items) for d in documents))
            run.push(client, documents, batch_size, lambda n: progress.advance(task, n))
    except IngestAborted as exc:
        run.err.print(f"[red]error:[/] ingest refused the request: {exc}; nothing more was sent")
        return True
    except httpx.HTTPError as exc:
        run.err.print(f"[red]error:[/] cannot reach ingest at {base_url} ({exc}); is Dateline up "
                      "(`dateline up`, `make demo`)? Nothing more was sent")
        return True
    finally:
        client.close()
    return False
