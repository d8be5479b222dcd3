"""The API under load over real HTTP: profile lookups against the trivial query, and live ingestion.

Builds (once, kept in --data-dir) a graph of --people consumers, each with a phone, a
member id, an e-mail, three attributes and one to twelve orders, imports it with
`profilegraph import`, fits the CLV models with `profilegraph clv fit`, then serves it
with `profilegraph serve --workers N` and drives it with wrk (a separate process, Lua
scripts) for each measurement:

- the trivial query `{ health { version } }` at 32 connections: the ceiling;
- `profileByIdentifier` (identifiers, attributes, the last 5 orders with items, CLV) for
  a random known phone, at 2 and 32 connections;
- `ingestEvents` with 100 events per call from 4 connections; every answer comes after
  its events' OneIDs are resolved.

Each measurement is repeated --runs times; the table gives medians and the ratio of the
lookup's throughput to the trivial query's, taken per run.

Ingestion grows the graph, so on the embedded server every invocation starts from a copy
of the graph as built (kept beside it), and each measured workload is first run for
--warmup seconds: the graph server compiles its hot paths for about a minute after it
starts, and a service is measured as it runs, not as it starts.

    python bench/api.py --people 100000 --runs 3 --duration 20 --workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
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
from contextlib import contextmanager
from pathlib import Path

import httpx

from servers import add_service_backend, local_neo4j_service

ROOT = Path(__file__).resolve().parents[1]
LOOKUP = """query Lookup($v: String!) { profileByIdentifier(type: PHONE, value: $v) {
  oneId identifiers { type value firstSeen lastSeen sources status } attributes { name value source observedAt }
  orders(first: 5) { edges { node { orderId at amount items { sku quantity price } } } }
  clv { historic predicted expectedPurchases pAlive rfm { segment } } } }"""
TRIVIAL = "query Trivial { health { version } }"
INGEST = "mutation Ingest($e: [JSON!]!) { ingestEvents(events: $e) { accepted rejected } }"
CITIES = ("上海", "北京", "杭州", "成都", "深圳", "武汉")


def _phone(prefix: str, n: int) -> str:
    return f"{prefix}{n:08d}"


def generate(people: int, path: Path, seed: int = 11) -> int:
    """NDJSON events for ``people`` consumers; returns how many."""
    rng = random.Random(seed)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for n in range(people):
            phone = _phone("139", n)
            member = f"M{n:07d}"
            identify = {
                "event_id": f"id-{n}",
                "type": "identify",
                "ts": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z",
                "source": rng.choice(("app", "miniapp", "crm")),
                "identifiers": [
                    {"type": "phone", "value": phone},
                    {"type": "member_id", "value": member},
                    {"type": "email", "value": f"p{n}@example.com"},
                ],
                "attributes": {"name": f"会员{n}", "city": rng.choice(CITIES), "gender": rng.choice("FM")},
            }
            out.write(json.dumps(identify, ensure_ascii=False) + "\n")
            count += 1
            for k in range(min(12, 1 + int(rng.expovariate(0.35)))):
                day = rng.randrange(0, 900)
                ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1704067200 + day * 86400 + rng.randrange(86400)))
                lines = [(rng.randrange(2000), rng.randrange(1, 4), round(rng.uniform(9, 399), 2))
                         for _ in range(rng.randrange(1, 4))]  # fmt: skip
                items = [{"sku": f"SKU{sku:04d}", "qty": qty, "price": price} for sku, qty, price in lines]
                order = {
                    "event_id": f"or-{n}-{k}",
                    "type": "order",
                    "ts": ts,
                    "source": "pos",
                    "identifiers": [{"type": "member_id" if k % 2 else "phone", "value": member if k % 2 else phone}],
                    "order": {
                        "order_id": f"O{n:07d}-{k}",
                        "amount": round(sum(qty * price for _, qty, price in lines), 2),
                        "currency": "CNY",
                        "items": items,
                    },
                }
                out.write(json.dumps(order) + "\n")
                count += 1
    return count


# Set by main() when the graph is a local Neo4j rather than the data directory's embedded server.
NEO4J_ENV: dict[str, str] = {}


def neo4j_settings() -> dict[str, str | None]:
    """The service settings that point at the local Neo4j, when main() started one."""
    return {
        "neo4j_uri": NEO4J_ENV.get("PROFILEGRAPH_NEO4J_URI"),
        "neo4j_user": NEO4J_ENV.get("PROFILEGRAPH_NEO4J_USER", "neo4j"),
        "neo4j_password": NEO4J_ENV.get("PROFILEGRAPH_NEO4J_PASSWORD"),
    }


@contextmanager
def on_backend(args: argparse.Namespace, prefix: str) -> Iterator[None]:
    """Run a bench on the server ``--backend`` names: for neo4j, a fresh local Neo4j (named
    ``prefix``) that the service and ``args.data_dir`` point at; for embedded, as given."""
    with contextlib.ExitStack() as stack:
        if args.backend == "neo4j":
            home, variables = local_neo4j_service(stack, prefix)
            NEO4J_ENV.update(variables)
            args.data_dir = home / "service"
        yield


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
    env["PROFILEGRAPH_DATA_DIR"] = str(data_dir)
    env["PROFILEGRAPH_EMBEDDED_HEAP"] = "4g"
    return env | NEO4J_ENV


def cli(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "profilegraph", *args], env=_env(data_dir), capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 3):
        raise SystemExit(f"profilegraph {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


# The embedded graph as built, copied back before each invocation: ingestion runs add to it.
PRISTINE = "bench-pristine-databases"


@contextmanager
def _owning(data_dir: Path) -> Iterator[None]:
    """Hold the lock an embedded server owns ``data_dir`` by (waiting for the last to stop):
    while it is held no server runs there, so the graph's files are safe to copy."""
    with (data_dir / "server.lock").open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + 60
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"an embedded server still owns {data_dir}") from None
                time.sleep(0.5)
        yield


def restore_built_graph(data_dir: Path) -> None:
    """Put the graph back as it was built, undoing what earlier ingestion runs added."""
    with _owning(data_dir):
        shutil.rmtree(data_dir / "databases")
        shutil.copytree(data_dir / PRISTINE, data_dir / "databases")


def build(data_dir: Path, people: int, *, keep_copy: bool) -> dict[str, object]:
    marker = data_dir / "bench-api.json"
    built_before = marker.exists() and json.loads(marker.read_text()).get("people") == people
    if built_before and (not keep_copy or (data_dir / PRISTINE).is_dir()):
        return dict(json.loads(marker.read_text()))
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        events = Path(scratch) / "events.ndjson"
        count = generate(people, events)
        started = time.perf_counter()
        cli(data_dir, "import", str(events), "--json")
        imported = time.perf_counter() - started
    started = time.perf_counter()
    cli(data_dir, "clv", "fit", "--until", "2026-06-30")
    built: dict[str, object] = {
        "people": people,
        "events": count,
        "import_s": round(imported, 1),
        "fit_s": round(time.perf_counter() - started, 1),
    }
    if keep_copy:
        with _owning(data_dir):
            shutil.copytree(data_dir / "databases", data_dir / PRISTINE)
    marker.write_text(json.dumps(built))
    return built


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(data_dir: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    log = (data_dir / "bench-serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "profilegraph", "serve", "--port", str(port), "--workers", str(workers)],
        env=_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not start; see {data_dir / 'bench-serve.log'}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


_COMMON_LUA = """
wrk.method = "POST"
errors = 0  -- a global: done() reads each thread's count with thread:get
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
response = function(status, headers, body)
  if status ~= 200 or body:find('"errors":%[{') then
    errors = errors + 1
  end
end
done = function(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("errors") or 0)
  end
  io.write(string.format('{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "failed": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def lookup_script(people: int) -> str:
    head, tail = json.dumps({"query": LOOKUP, "variables": {"v": "@@"}}).split("@@")
    return (
        _COMMON_LUA
        + f"""
local head, tail = {_lua_string(head)}, {_lua_string(tail)}
request = function()
  return wrk.format("POST", "/graphql", nil, head .. "139" .. string.format("%08d", math.random(0, {people - 1})) .. tail)
end
"""
    )


def trivial_script() -> str:
    return _COMMON_LUA + f"\nwrk.body = {_lua_string(json.dumps({'query': TRIVIAL}))}\n"


def ingest_script(people: int, nonce: str) -> str:
    head = json.dumps({"query": INGEST})[:-1] + ', "variables": {"e": ['
    return (
        _COMMON_LUA
        + f"""
local head = {_lua_string(head)}
local counter = 0
request = function()
  counter = counter + 1
  local tid = wrk.thread:get("tid")
  local events = {{}}
  for i = 1, 100 do
    local id = string.format("{nonce}-%d-%d-%d", tid, counter, i)
    if i % 2 == 0 then
      local n = (tid * 1000003 + counter * 100 + i) % 100000000
      events[i] = string.format('{{"event_id":"%s","type":"identify","ts":"2026-07-01T10:00:00Z","source":"app","identifiers":[{{"type":"phone","value":"137%08d"}},{{"type":"device_id","value":"dev-%s"}}],"attributes":{{"city":"上海"}}}}', id, n, id)
    else
      local n = math.random(0, {people - 1})
      events[i] = string.format('{{"event_id":"%s","type":"order","ts":"2026-07-02T10:00:00Z","source":"pos","identifiers":[{{"type":"phone","value":"139%08d"}}],"order":{{"order_id":"%s","amount":59.5,"items":[{{"sku":"SKU%04d","qty":1,"price":59.5}}]}}}}', id, n, id, math.random(0, 1999))
    end
  end
  return wrk.format("POST", "/graphql", nil, head .. table.concat(events, ",") .. "]}}}}")
end
"""
    )


def wrk(url: str, script: str, connections: int, duration: int, token: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as lua:
        lua.write(script)
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{min(connections, 2)}",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "30s",
                "-H",
                "Content-Type: application/json",
                "-H",
                f"Authorization: Bearer {token}",
                "-s",
                lua.name,
                f"{url}/graphql",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(lua.name)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=60, help="seconds each measured workload runs first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "api-graph")
    parser.add_argument("--what", choices=("all", "lookup", "ingest"), default="all")
    add_service_backend(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")

    with on_backend(args, "bench-api-neo4j-"):
        measure(args)


def measure(args: argparse.Namespace) -> None:
    embedded = args.backend == "embedded"
    built = build(args.data_dir, args.people, keep_copy=embedded)
    print(f"graph: {json.dumps(built)}", flush=True)
    service = cli(args.data_dir, "token", "--role", "service")
    ingest = cli(args.data_dir, "token", "--role", "ingest")
    if embedded:
        restore_built_graph(args.data_dir)
    rows: list[dict[str, float]] = []
    with serving(args.data_dir, args.workers) as url:
        if args.what in ("all", "lookup"):
            wrk(url, lookup_script(args.people), 32, args.warmup, service)
        if args.what in ("all", "ingest"):
            wrk(url, ingest_script(args.people, f"warm{int(time.time())}"), 4, args.warmup, ingest)
        for run in range(args.runs):
            row: dict[str, float] = {}
            if args.what in ("all", "lookup"):
                trivial = wrk(url, trivial_script(), 32, args.duration, service)
                two = wrk(url, lookup_script(args.people), 2, args.duration, service)
                many = wrk(url, lookup_script(args.people), 32, args.duration, service)
                for name, result in (("trivial32", trivial), ("lookup2", two), ("lookup32", many)):
                    assert result["failed"] == 0, (name, result)
                    assert result["socket_errors"] == 0, (name, result)
                    row |= {
                        f"{name}_rps": result["rps"],
                        f"{name}_p50": result["p50_ms"],
                        f"{name}_p99": result["p99_ms"],
                    }
                row["ratio32"] = many["rps"] / trivial["rps"]
            if args.what in ("all", "ingest"):
                fed = wrk(url, ingest_script(args.people, f"b{int(time.time())}r{run}"), 4, args.duration, ingest)
                assert fed["failed"] == 0, fed
                row["ingest_events_s"] = fed["rps"] * 100
                row["ingest_p50"], row["ingest_p99"] = fed["p50_ms"], fed["p99_ms"]
            rows.append(row)
            print(json.dumps({"run": run + 1, **{k: round(v, 3) for k, v in row.items()}}), flush=True)
    median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    print(json.dumps({"median": {k: round(v, 3) for k, v in median.items()}, "runs": len(rows)}))


if __name__ == "__main__":
    main()
