"""The search benchmark: index generated news, then time every query kind.

    python -m bench.search                     # 200,000 articles (make bench-search)
    python -m bench.search --articles 20000    # a quick look while developing
    python -m bench.search --keep DIR --reuse --against ../main   # this tree's API against another checkout's

Articles are generated from a fixed seed (several places and entities each, ~350
words). Prints indexing docs/s (batches committed as the indexer does) and, for each
query kind, p50/p95/p99 in ms measured twice in the same run, query by query in
alternating order: on the store directly (the baseline) and through the HTTP API of a
read-only search process. The API's own time is each request's round trip less the
``took_ms`` the process reports for it (its store call): the HTTP p50 less this process's
store p50 would also count the store running slower in the search process, each call
after a request's HTTP work and an idle wait rather than right after the previous call on
a hot core (the "cold" column: took_ms p50 less the store p50 here). Wall-clock time
on a shared machine also counts the waits for a core; the CPU columns do not: the search
process's CPU time per query (from /proc) against the store's own. The client is a
plain keep-alive connection (http.client); the floor line shows what an HTTP round trip
to /healthz costs with it and with httpx. Goal on 2 cores: >= 1,000 docs/s; p95 <= 10 ms
for text, filter and geo queries and <= 25 ms with facets and histogram; the API under
1 ms at p50.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import msgspec

from services.index.cursors import CursorSeal
from services.index.query import SearchParams, parse_search
from services.index.tantivy_store import ArticleStore
from shared.schemas import EnrichedArticle, Entity, Place

SEED = 20261124
START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 700

# (name, lat, lon, country, admin1): a world of datelines, written for this benchmark
CITIES = [
    ("Paris", 48.8566, 2.3522, "FR", "11"), ("Lyon", 45.764, 4.8357, "FR", "84"),
    ("Marseille", 43.2965, 5.3698, "FR", "93"), ("Berlin", 52.52, 13.405, "DE", "16"),
    ("Hamburg", 53.5511, 9.9937, "DE", "04"), ("Munich", 48.1351, 11.582, "DE", "02"),
    ("Madrid", 40.4168, -3.7038, "ES", "29"), ("Barcelona", 41.3874, 2.1686, "ES", "56"),
    ("Rome", 41.9028, 12.4964, "IT", "07"), ("Milan", 45.4642, 9.19, "IT", "09"),
    ("London", 51.5074, -0.1278, "GB", "ENG"), ("Manchester", 53.4808, -2.2426, "GB", "ENG"),
    ("Dublin", 53.3498, -6.2603, "IE", "L"), ("Lisbon", 38.7223, -9.1393, "PT", "14"),
    ("Warsaw", 52.2297, 21.0122, "PL", "78"), ("Kyiv", 50.4501, 30.5234, "UA", "12"),
    ("Istanbul", 41.0082, 28.9784, "TR", "34"), ("Athens", 37.9838, 23.7275, "GR", "ESYE31"),
    ("Cairo", 30.0444, 31.2357, "EG", "11"), ("Lagos", 6.5244, 3.3792, "NG", "05"),
    ("Nairobi", -1.2864, 36.8172, "KE", "30"), ("Johannesburg", -26.2041, 28.0473, "ZA", "06"),
    ("Addis Ababa", 9.03, 38.74, "ET", "44"), ("Kinshasa", -4.4419, 15.2663, "CD", "06"),
    ("Mosul", 36.34, 43.13, "IQ", "15"), ("Baghdad", 33.3152, 44.3661, "IQ", "07"),
    ("Tehran", 35.6892, 51.389, "IR", "26"), ("Riyadh", 24.7136, 46.6753, "SA", "10"),
    ("Delhi", 28.7041, 77.1025, "IN", "07"), ("Mumbai", 19.076, 72.8777, "IN", "16"),
    ("Karachi", 24.8607, 67.0011, "PK", "05"), ("Dhaka", 23.8103, 90.4125, "BD", "81"),
    ("Beijing", 39.9042, 116.4074, "CN", "22"), ("Shanghai", 31.2304, 121.4737, "CN", "23"),
    ("Tokyo", 35.6762, 139.6503, "JP", "40"), ("Seoul", 37.5665, 126.978, "KR", "11"),
    ("Jakarta", -6.2088, 106.8456, "ID", "04"), ("Manila", 14.5995, 120.9842, "PH", "NCR"),
    ("Sydney", -33.8688, 151.2093, "AU", "02"), ("Auckland", -36.8485, 174.7633, "NZ", "E7"),
    ("Suva", -18.1416, 178.4419, "FJ", "01"), ("New York", 40.7128, -74.006, "US", "NY"),
    ("Washington", 38.9072, -77.0369, "US", "DC"), ("Chicago", 41.8781, -87.6298, "US", "IL"),
    ("Los Angeles", 34.0522, -118.2437, "US", "CA"), ("Houston", 29.7604, -95.3698, "US", "TX"),
    ("Toronto", 43.6532, -79.3832, "CA", "08"), ("Mexico City", 19.4326, -99.1332, "MX", "09"),
    ("Bogota", 4.711, -74.0721, "CO", "34"), ("Lima", -12.0464, -77.0428, "PE", "15"),
    ("Santiago", -33.4489, -70.6693, "CL", "12"), ("Buenos Aires", -34.6037, -58.3816, "AR", "07"),
    ("Sao Paulo", -23.5505, -46.6333, "BR", "27"), ("Rio de Janeiro", -22.9068, -43.1729, "BR", "21"),
]
FIRST = ["Ana", "Omar", "Li", "Maria", "John", "Fatima", "Kenji", "Olga", "Pedro", "Amara", "Lars",
         "Priya", "Tomas", "Leila", "Chen", "Grace", "Ahmed", "Sofia", "Ivan", "Nadia"]
LAST = ["Duval", "Haddad", "Wei", "Costa", "Smith", "Okafor", "Tanaka", "Petrova", "Silva", "Mensah",
        "Berg", "Sharma", "Novak", "Karimi", "Zhang", "Kim", "Hassan", "Rossi", "Volkov", "Adeyemi"]
ORGS = ["Red Cross", "World Bank", "United Nations", "Central Bank", "Health Ministry", "Port Authority",
        "Electoral Commission", "Supreme Court", "Farmers Union", "Teachers Union", "Energy Agency",
        "Football Federation", "Stock Exchange", "Refugee Agency", "Coast Guard", "Space Agency"]
TOPICS = [
    "election vote parliament minister coalition ballot campaign opposition turnout",
    "flood rain river storm evacuation rescue damage shelter weather warning",
    "budget tax inflation bank rates market growth deficit economy prices",
    "court trial judge verdict appeal prosecutor lawyer evidence sentence",
    "hospital health vaccine outbreak doctors patients clinic virus ward",
    "strike union workers wages factory talks employers pay contract",
    "drought harvest farmers crops water irrigation food shortage cattle",
    "football match goal league coach season stadium fans transfer",
    "earthquake quake aftershock buildings collapse survivors rubble magnitude",
    "ceasefire troops offensive border talks fighting civilians convoy shelling",
]
FILLER = (
    "the a of to in and on for with at by from after before said says will would "
    "officials city government report week year people new local police mayor "
    "residents meeting plan public statement spokesman announced told monday "
    "tuesday wednesday thursday friday area region national talks"
)
COMMON = FILLER.split()
SOURCES = [f"{name}.example" for name in ("wire", "herald", "tribune", "courier", "gazette", "post",
                                          "times", "chronicle", "observer", "dispatch", "monitor", "star")]
LANGUAGES = ["en"] * 17 + ["fr", "de", "es"]

CURSORS = CursorSeal(b"bench")  # the queries carry no cursor


class Took(msgspec.Struct):
    took_ms: float  # what the search process spent parsing the query and in the store


TOOK = msgspec.json.Decoder(Took)


class Newsroom:
    """Deterministic articles: every run with the same seed writes the same news."""

    def __init__(self, seed: int = SEED, words: tuple[int, int] = (250, 450)) -> None:
        self.rng = random.Random(seed)
        self.words = words
        self.people = [f"{f} {last}" for f in FIRST for last in LAST]
        self.places = [self._city(i, c) for i, c in enumerate(CITIES)]
        self.villages = [self._village(i) for i in range(3000)]

    def articles(self, count: int) -> Iterator[EnrichedArticle]:
        for n in range(count):
            yield self.article(n)

    def article(self, n: int) -> EnrichedArticle:
        rng = self.rng
        topic = rng.choice(TOPICS).split()
        places = rng.sample(self.places, rng.randint(1, 3)) + rng.sample(self.villages, rng.randint(0, 2))
        people = rng.sample(self.people, rng.randint(1, 3))
        orgs = rng.sample(ORGS, rng.randint(1, 2))
        names = [p.name for p in places] + people + orgs
        words = []
        for _ in range(rng.randint(*self.words)):
            roll = rng.random()
            words.append(rng.choice(topic) if roll < 0.25 else rng.choice(names) if roll < 0.3 else rng.choice(COMMON))
        published = START + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        entities = [Entity(text=p, label="PERSON", count=1) for p in people]
        entities += [Entity(text=o, label="ORG", count=1) for o in orgs]
        return EnrichedArticle(
            id=f"{n:032x}", url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
            source=rng.choice(SOURCES), title=f"{places[0].name}: {' '.join(rng.sample(topic, 4))}",
            text=" ".join(words).capitalize() + ".", language=rng.choice(LANGUAGES),
            published_at=published, received_at=published + timedelta(minutes=5), content_hash=f"h{n}",
            entities=entities, places=places, focus=places[0],
            enriched_at=published + timedelta(minutes=6), model="bench", gazetteer="bench",
        )

    def _city(self, i: int, city: tuple) -> Place:
        name, lat, lon, country, admin1 = city
        return Place(name=name, geonames_id=1000 + i, resolved_name=name, lat=lat, lon=lon,
                     country_code=country, admin1=admin1, confidence=0.9)

    def _village(self, i: int) -> Place:
        name = f"Village{i}"
        lat, lon = self.rng.uniform(-55, 70), self.rng.uniform(-180, 180)
        return Place(name=name, geonames_id=100_000 + i, resolved_name=name, lat=lat, lon=lon,
                     country_code=self.rng.choice(CITIES)[3], confidence=0.5)


# -- query kinds ---------------------------------------------------------------------------


def query_kinds(rng: random.Random) -> dict[str, list[dict]]:
    """Parameter sets per kind, sampled once so both paths run the very same queries."""
    def topic_words(k: int) -> list[str]:
        return rng.sample(rng.choice(TOPICS).split(), k)

    def person() -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    def city() -> tuple:
        return rng.choice(CITIES)

    def day() -> str:
        return (START + timedelta(days=rng.randrange(DAYS - 60))).date().isoformat()

    def window() -> dict:
        start = START + timedelta(days=rng.randrange(DAYS - 60))
        return {"from": start.date().isoformat(), "to": (start + timedelta(days=30)).date().isoformat()}

    def box(c: tuple) -> str:  # 8 x 6 degrees around a city; may cross the antimeridian
        def wrap(lon: float) -> float:
            return (lon + 180) % 360 - 180

        return f"{wrap(c[2] - 4):.3f},{c[1] - 3:.3f},{wrap(c[2] + 4):.3f},{c[1] + 3:.3f}"

    kinds = {
        "text, 2 terms": lambda: {"q": " ".join(topic_words(2))},
        "phrase": lambda: {"q": f'"{city()[0]} {rng.choice(TOPICS).split()[0]}"'},
        "boolean": lambda: {"q": f"{topic_words(1)[0]} OR {topic_words(1)[0]} -{topic_words(1)[0]}"},
        "text + entity + dates": lambda: {"q": topic_words(1)[0], "entity": f"ORG:{rng.choice(ORGS)}", **window()},
        "entity filter": lambda: {"entity": person()},
        "place + country": lambda: {"place": city()[0], "country": city()[3]},
        "newest, from date": lambda: {"sort": "newest", "from": day()},
        "bbox": lambda: {"bbox": box(city())},
        "bbox + text": lambda: {"bbox": box(city()), "q": topic_words(1)[0]},
        "near 300 km + text": lambda: {"near": f"{(c := city())[1]},{c[2]},300", "q": topic_words(1)[0]},
        "near 50 km, focus only": lambda: {"near": f"{(c := city())[1]},{c[2]},50", "focus_only": "true"},
        "facets (all 7)": lambda: {"q": topic_words(1)[0],
                                   "facets": "entities,people,organizations,places,countries,sources,languages"},
        "histogram (day)": lambda: {"q": topic_words(1)[0], "histogram": "day"},
        "facets + histogram": lambda: {"q": topic_words(1)[0], "facets": "people,places,countries",
                                       "histogram": "week"},
    }
    return {name: [make() for _ in range(QUERIES_PER_KIND)] for name, make in kinds.items()}


QUERIES_PER_KIND = 200


def params_of(query: dict) -> SearchParams:
    listed = {"entity", "place", "country", "source", "language", "facets"}
    renamed = {"from": "published_from", "to": "published_to"}
    return SearchParams(**{renamed.get(k, k): [v] if k in listed else v for k, v in query.items()})


# -- measuring -----------------------------------------------------------------------------


def index_articles(store: ArticleStore, articles: Iterator[EnrichedArticle], batch: int) -> tuple[int, float, float]:
    """(articles, docs/s end to end with generation, docs/s in upsert + commit alone)."""
    started = time.perf_counter()
    writing = 0.0
    count = 0
    for chunk in _chunks(articles, batch):
        t = time.perf_counter()
        store.upsert(chunk)
        store.commit()
        writing += time.perf_counter() - t
        count += len(chunk)
        if count % 20_000 < batch:
            print(f"  indexed {count:,} ({count / (time.perf_counter() - started):,.0f} docs/s)", flush=True)
    return count, count / (time.perf_counter() - started), count / writing


def _chunks(articles: Iterator[EnrichedArticle], size: int) -> Iterator[list[EnrichedArticle]]:
    chunk: list[EnrichedArticle] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Searching:
    """One query kind timed both ways, a few queries at a time: on the store in this process,
    then through the API, or the other way round for the next few (a machine that gets busier
    meanwhile slows both alike; query by query, each would run on caches the other just
    cooled, the API paying for the store's calls)."""

    def __init__(self, store: ArticleStore, api: ApiClient) -> None:
        self.store = store
        self.api = api
        self.store_ms: list[float] = []
        self.http_ms: list[float] = []
        self.took_ms: list[float] = []  # per request: the server's own took_ms (parsing and its store call)
        self.api_ms: list[float] = []  # per request: the round trip less its took_ms
        self.store_cpu_s = 0.0
        self.server_cpu_s = 0.0

    def run(self, queries: list[dict], every: int = 20) -> Searching:
        for n, start in enumerate(range(0, len(queries), every)):
            few = queries[start : start + every]
            for way in (self._direct, self.through_http)[:: 1 if n % 2 else -1]:
                way(few)
        return self

    def _direct(self, queries: list[dict]) -> None:
        for query in queries:
            cpu, t = time.thread_time(), time.perf_counter()
            self.store.search(parse_search(params_of(query), CURSORS))
            self.store_ms.append((time.perf_counter() - t) * 1000)
            self.store_cpu_s += time.thread_time() - cpu

    def through_http(self, queries: list[dict]) -> None:
        server_cpu = self.api.server_cpu_s()
        for query in queries:
            t = time.perf_counter()
            body = self.api.get("/v1/search?" + urlencode(query))
            self.http_ms.append((time.perf_counter() - t) * 1000)
            self.took_ms.append(TOOK.decode(body).took_ms)
            self.api_ms.append(self.http_ms[-1] - self.took_ms[-1])
        self.server_cpu_s += self.api.server_cpu_s() - server_cpu


class ApiClient:
    """A keep-alive connection to the search process, and that process's CPU time."""

    def __init__(self, base: str, pid: int) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.pid = pid

    def get(self, path: str) -> bytes:
        try:
            response = self._send(path)
        except (http.client.RemoteDisconnected, ConnectionError):
            self.connection.close()  # the server ended an idle keep-alive connection: once more
            response = self._send(path)
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return body

    def _send(self, path: str) -> http.client.HTTPResponse:
        self.connection.request("GET", path)
        return self.connection.getresponse()

    def server_cpu_s(self) -> float:
        """CPU seconds of the search process's threads so far, to the nanosecond (Linux
        schedstat; /proc/PID/stat counts in ticks of 10 ms, more than most requests take)."""
        return sum(int((task / "schedstat").read_text().split()[0])
                   for task in Path(f"/proc/{self.pid}/task").iterdir()) / 1e9


def http_floor(api: ApiClient, base: str, rounds: int = 300) -> tuple[float, float, float]:
    """GET /healthz: p50 ms with the benchmark's client and with httpx, and the search
    process's CPU ms per request (what any request costs it, the app's work aside)."""
    plain, fancy = [], []
    server_cpu = api.server_cpu_s()
    with httpx.Client(base_url=base) as client:
        for _ in range(rounds):
            t = time.perf_counter()
            api.get("/healthz")
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.get("/healthz").raise_for_status()
            fancy.append(time.perf_counter() - t)
    per_request = (api.server_cpu_s() - server_cpu) / (2 * rounds)
    return statistics.median(plain) * 1000, statistics.median(fancy) * 1000, per_request * 1000


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[94], cuts[98]


def search_process(data_dir: Path, tree: Path | None = None) -> tuple[subprocess.Popen, str]:
    """A read-only search process, of this checkout or of ``tree`` (another one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env.update(DATELINE_DATA_DIR=str(data_dir), DATELINE_SEARCH_PORT=str(port), DATELINE_LOG_LEVEL="WARNING",
               DATELINE_LOG_FORMAT="json")
    if tree is not None:
        env["PYTHONPATH"] = str(tree.resolve())
    process = subprocess.Popen([sys.executable, "-m", "services.index", "search"], env=env, cwd=tree)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the search process did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000, help="articles per commit, bulk load")
    parser.add_argument("--incremental", type=int, default=10_240, help="articles indexed after the bulk load")
    parser.add_argument("--incremental-batch", type=int, default=256, help="articles per commit after it")
    parser.add_argument("--queries", type=int, default=QUERIES_PER_KIND, help="queries per kind")
    parser.add_argument("--keep", type=Path, help="index here and keep it (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="query the index a run with --keep left (no indexing)")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="then the same queries through this tree's API and another checkout's, taking turns")
    parser.add_argument("--their-keep", type=Path, metavar="DIR",
                        help="with --against: the other checkout reads this kept index (when the schemas differ)")
    args = parser.parse_args()
    if args.reuse and not (args.keep and (args.keep / "index").is_dir()):
        parser.error("--reuse needs --keep DIR of an earlier run")
    if args.against and not (args.against / "services" / "index").is_dir():
        parser.error(f"--against {args.against}: not a Dateline checkout")
    globals()["QUERIES_PER_KIND"] = args.queries

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="dateline-bench-search-"))
    try:
        if args.reuse:
            query(data_dir, ArticleStore(data_dir / "index"))
        else:
            run(data_dir, args.articles, args.batch, args.incremental, args.incremental_batch)
        if args.against:
            against(data_dir, args.against, args.their_keep or data_dir)
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(data_dir: Path, articles: int, batch: int, incremental: int, incremental_batch: int) -> None:
    print(f"search benchmark: {articles:,} generated articles (seed {SEED}); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    store = ArticleStore(data_dir / "index", writable=True)
    newsroom = Newsroom()
    made = newsroom.articles(articles + incremental)
    count, rate, writing = index_articles(store, itertools.islice(made, articles), batch)
    print(f"bulk indexing, {batch} per commit: {rate:,.0f} docs/s end to end (generation included), "
          f"{writing:,.0f} docs/s in upsert + commit")
    if incremental:
        count, rate, writing = index_articles(store, made, incremental_batch)
        print(f"then {count:,} more, {incremental_batch} per commit (the indexer's default batch) into the "
              f"full index: {rate:,.0f} docs/s end to end, {writing:,.0f} docs/s in upsert + commit")
    stats = store.stats()
    print(f"index: {stats.documents:,} documents, {stats.size_bytes / 2**20:,.0f} MiB "
          f"({stats.size_bytes / max(1, stats.documents):,.0f} bytes per article)")
    query(data_dir, store)


def query(data_dir: Path, store: ArticleStore) -> None:
    print(f"querying {store.stats().documents:,} articles; load average {os.getloadavg()[0]:.2f}")
    kinds = query_kinds(random.Random(SEED + 1))
    process, base = search_process(data_dir)
    try:
        api = ApiClient(base, process.pid)
        for queries in kinds.values():  # warm both paths (page cache, JIT-free but lazy loads)
            Searching(store, api).run(queries[:20])
        plain, fancy, cpu = http_floor(api, base)
        print(f"\nHTTP floor, GET /healthz p50: {plain:.2f} ms with http.client (this benchmark's client), "
              f"{fancy:.2f} ms with httpx; {cpu:.2f} ms CPU of the search process per request")
        print(f"latency in ms over {QUERIES_PER_KIND} queries per kind, one client, warm cache. API +p50: p50 of "
              "each request's round trip less the took_ms it reports (its store call); took p50: the store in the "
              "search process; cold: took p50 less the store p50 here (the same calls run back to back in this "
              "process); CPU ms per query: the store in this process, the whole search process for HTTP")
        print(f"{'query kind':<24} {'store p50':>9} {'p95':>6} {'p99':>6}   {'HTTP p50':>8} {'p95':>6} {'p99':>6}"
              f"   {'API +p50':>8} {'took p50':>8} {'cold':>5}   {'CPU store':>9} {'server':>6} {'API':>5}  hits")
        for name, queries in kinds.items():
            timed = Searching(store, api).run(queries)
            direct, http, took = percentiles(timed.store_ms), percentiles(timed.http_ms), statistics.median(timed.took_ms)
            store_cpu, server_cpu = (1000 * s / len(queries) for s in (timed.store_cpu_s, timed.server_cpu_s))
            hits = statistics.median(store.search(parse_search(params_of(q), CURSORS)).total for q in queries[:50])
            print(f"{name:<24} {direct[0]:>9.2f} {direct[1]:>6.2f} {direct[2]:>6.2f}   "
                  f"{http[0]:>8.2f} {http[1]:>6.2f} {http[2]:>6.2f}   {statistics.median(timed.api_ms):>+8.2f} "
                  f"{took:>8.2f} {took - direct[0]:>+5.2f}   "
                  f"{store_cpu:>9.2f} {server_cpu:>6.2f} {server_cpu - store_cpu:>+5.2f}  {hits:,.0f}")
    finally:
        process.terminate()
        process.wait(timeout=30)
        store.close()
    print(f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine slows every figure)")


def against(data_dir: Path, other: Path, other_dir: Path, every: int = 20) -> None:
    """This tree's search process and ``other``'s over the same index (or the same articles
    in ``other_dir``, indexed by ``other``), the same queries in turns of ``every`` (who goes
    first alternating): a busy machine slows both alike."""
    print(f"\nthis checkout's API against {other}'s, {QUERIES_PER_KIND} queries per kind in turns of {every}; "
          f"load average {os.getloadavg()[0]:.2f}")
    kinds = query_kinds(random.Random(SEED + 1))
    started = [search_process(data_dir), search_process(other_dir, other)]
    try:
        apis = [ApiClient(base, process.pid) for process, base in started]
        for queries in kinds.values():
            for api in apis:
                Searching(None, api).through_http(queries[:20])  # type: ignore[arg-type]
        floors = [http_floor(api, base)[0] for api, (_, base) in zip(apis, started, strict=True)]
        print(f"HTTP floor, GET /healthz p50: {floors[0]:.2f} ms here, {floors[1]:.2f} ms there")
        print("paired: p50 of each request's round trip less the took_ms it reports; CPU: the search process's "
              "CPU ms per query (immune to waiting for a core; both run the same store code)")
        print(f"{'query kind':<24} {'here: HTTP p50':>14} {'p95':>6} {'paired':>6} {'CPU':>5}   {'there: HTTP p50':>15} "
              f"{'p95':>6} {'paired':>6} {'CPU':>5}")
        for name, queries in kinds.items():
            timed = [Searching(None, api) for api in apis]  # type: ignore[arg-type]
            for n, start in enumerate(range(0, len(queries), every)):
                for side in (0, 1)[:: 1 if n % 2 else -1]:
                    timed[side].through_http(queries[start : start + every])
            here, there = ((percentiles(t.http_ms), statistics.median(t.api_ms), 1000 * t.server_cpu_s / len(queries))
                           for t in timed)
            print(f"{name:<24} {here[0][0]:>14.2f} {here[0][1]:>6.2f} {here[1]:>+6.2f} {here[2]:>5.2f}   "
                  f"{there[0][0]:>15.2f} {there[0][1]:>6.2f} {there[1]:>+6.2f} {there[2]:>5.2f}")
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=30)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
