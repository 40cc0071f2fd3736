"""Survey submission throughput: a real uvicorn server, real PostgreSQL, concurrent clients over loopback.

    scripts/with-postgres.sh .venv/bin/python benchmarks/submit_responses.py [--clients 16] [--seconds 20]

It migrates the database, builds a one-page 20-question questionnaire (likert, single and multiple choice,
rating, number, date, grid, ranking, postcode and two free-text questions), starts uvicorn on 127.0.0.1, and has
`--clients` concurrent clients (threads, each with one keep-alive connection, plain http.client so the client
takes little of the CPU it shares with the server) POST whole responses as JSON to
/surveys/<slug>/responses.json for `--seconds`. Every submission carries its own submission token; 2% are sent
twice (a client retry) to exercise idempotency. It reports submissions per second and p50/p95/p99 latency, then
checks that every acknowledged submission is in the database exactly once and nothing else is.

Each submission does what a real one does: rate limit, validation of every answer, logic, the response row and
its audit entry in the request; then, in the task worker (`byconsent worker`, running throughout on the same
cores at its production priority, BYCONSENT_WORKER_NICE), two TextAnswer rows and two Contributions with the
safeguarding check and their audit entries, recorded in batches. After the clients stop, the script waits for
the worker to finish that queue and reports how long it took (`--no-worker` leaves it queued).

Throughput and latency depend on whatever else the machine is doing, so it also reports the CPU time each role
(web server, PostgreSQL, worker, the clients themselves) used per submission, read from /proc: that figure does
not change with the machine's load, and 2 cores divided by its total is the ceiling on submissions per second.
The server runs with the project's settings as they are: uvicorn with uvloop and httptools, synchronous views
through Django's WSGI handler in a thread pool (byconsent/asgi.py), a PostgreSQL connection pool per process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byconsent.settings")

LIKERT = ["strongly_agree", "agree", "neither", "disagree", "strongly_disagree"]
COMMENTS = ["More patrols in the evening please", "Speeding on the high street is the main problem",
            "The new community officer is excellent", "Better lighting in the park would help",
            "Please keep the front counter open"]


def build_questionnaire() -> str:
    import django

    django.setup()
    from django.core.management import call_command

    from byconsent.core.models import Area, PostcodeArea, User
    from byconsent.surveys import services

    call_command("migrate", verbosity=0)
    force = Area.objects.filter(level=0).first() or Area.objects.create(code="BENCH", name="Bench", level=0)
    PostcodeArea.objects.get_or_create(postcode="BN1", defaults={"area": force})
    actor = User.objects.filter(email="bench@example.test").first() or User.objects.create_superuser(
        email="bench@example.test", password=None)
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    questionnaire = services.create_questionnaire(actor, title="Benchmark survey", slug=slug, area=force)
    page = services.add_page(actor, questionnaire, title="Everything")
    for index in range(1, 9):
        services.add_question(actor, page, key=f"likert_{index}", type="likert", text=f"Statement {index}",
                              required=index <= 4)
    for index in range(1, 4):
        services.add_question(actor, page, key=f"choice_{index}", type="single_choice", text=f"Choice {index}",
                              required=True, options=[{"value": v, "label": v.title()} for v in ("a", "b", "c")])
    services.add_question(actor, page, key="multi", type="multiple_choice", text="Priorities",
                          settings={"allow_other": True},
                          options=[{"value": v, "label": v} for v in ("asb", "drugs", "roads", "burglary")]
                          + [{"value": "none", "label": "None", "exclusive": True}])
    services.add_question(actor, page, key="rating", type="rating", text="Recommend?")
    services.add_question(actor, page, key="years", type="number", text="Years", settings={"min": 0, "max": 120})
    services.add_question(actor, page, key="seen", type="date", text="Last saw an officer")
    services.add_question(actor, page, key="grid", type="grid", text="How good are we at",
                          options=[{"value": "good", "label": "Good"}, {"value": "poor", "label": "Poor"}],
                          settings={"rows": [{"value": "listening", "label": "Listening"},
                                             {"value": "acting", "label": "Acting"}]})
    services.add_question(actor, page, key="rank", type="ranking", text="Rank",
                          options=[{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}])
    services.add_question(actor, page, key="postcode", type="postcode", text="Postcode")
    services.add_question(actor, page, key="comments", type="long_text", text="Anything else?")
    services.add_question(actor, page, key="ideas", type="short_text", text="One idea")
    assert page.questions.count() == 20
    services.set_open(actor, questionnaire, True)
    return slug


def answers(rng: random.Random) -> dict[str, object]:
    data: dict[str, object] = {f"likert_{i}": rng.choice(LIKERT) for i in range(1, 9)}
    data.update({f"choice_{i}": rng.choice("abc") for i in range(1, 4)})
    data.update(multi=rng.sample(["asb", "drugs", "roads", "burglary"], 2), rating=rng.randint(0, 10),
                years=rng.randint(0, 80), seen=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                grid={"listening": rng.choice(["good", "poor"]), "acting": rng.choice(["good", "poor"])},
                rank=rng.sample(["x", "y"], 2), postcode="BN1 1AA", comments=rng.choice(COMMENTS),
                ideas=rng.choice(COMMENTS))
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, BYCONSENT_SURVEY_SUBMIT_PER_MINUTE="100000000", PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, "-m", "uvicorn", "byconsent.asgi:application", "--host", "127.0.0.1", "--port",
               str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    import requests

    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not start")


def run_clients(url: str, clients: int, seconds: float) -> tuple[list[float], list[str], int, int]:
    """`clients` threads, each with one keep-alive connection, posting back to back until `seconds` have passed.

    The client is plain http.client rather than requests: it runs on the same two cores as the server, and every
    millisecond it spends is one the server does not get (requests cost about three times as much per POST)."""
    latencies: list[float] = []
    acknowledged: list[str] = []
    errors = [0]
    retries = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    parsed = urlsplit(url)

    def post(connection: http.client.HTTPConnection, body: bytes) -> int:
        connection.request("POST", parsed.path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
        mine: list[float] = []
        acked: list[str] = []
        while time.perf_counter() < deadline:
            token = uuid.uuid4().hex
            body = json.dumps({"submission_token": token, "answers": answers(rng),
                               "publication": "anonymous"}).encode()
            started = time.perf_counter()
            try:
                status = post(connection, body)
            except (OSError, http.client.HTTPException):
                connection.close()
                with lock:
                    errors[0] += 1
                continue
            elapsed = time.perf_counter() - started
            if status == 201:
                mine.append(elapsed)
                acked.append(token)
                if rng.random() < 0.02:  # a client retry: must not record a second response
                    again = post(connection, body)
                    with lock:
                        retries[0] += 1
                        if again != 200:
                            errors[0] += 1
            else:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            acknowledged.extend(acked)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, acknowledged, errors[0], retries[0]


def cpu_by_role(server_pid: int, worker_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by the processes of each role (Linux /proc): the figure that does not depend on
    what else the machine is doing, unlike throughput and latency. uvicorn's worker processes are the server's
    children; PostgreSQL's are its backends."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "database": 0.0, "worker": 0.0, "clients": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        if pid == os.getpid():
            used["clients"] += seconds
        elif server_pid in (pid, parent):
            used["server"] += seconds
        elif worker_pid in (pid, parent):
            used["worker"] += seconds
        elif command.startswith("postgres") or "bin/postgres" in command:
            used["database"] += seconds
    return used


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--no-worker", action="store_true", help="do not run the task worker")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("Note: DATABASE_URL is not PostgreSQL; run under scripts/with-postgres.sh for the real figure.")
    slug = build_questionnaire()
    port = free_port()
    server = start_server(port, args.workers)
    worker = None if args.no_worker else subprocess.Popen(
        [sys.executable, "-m", "byconsent.cli", "worker"], cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    drain_seconds = None
    try:
        url = f"http://127.0.0.1:{port}/surveys/{slug}/responses.json"
        run_clients(url, min(args.clients, 4), 2.0)  # warm up (imports, template and connection caches)
        from byconsent.surveys.models import Response

        before = Response.objects.filter(questionnaire__slug=slug).count()
        def cpu_now() -> dict[str, float]:
            return cpu_by_role(server.pid, worker.pid if worker else None)

        cpu_before = cpu_now()
        started = time.perf_counter()
        latencies, acknowledged, errors, retries = run_clients(url, args.clients, args.seconds)
        wall = time.perf_counter() - started
        cpu_during = {role: used - cpu_before[role] for role, used in cpu_now().items()}
        if worker is not None:
            from byconsent.surveys.models import TextAnswer

            drain_started = time.perf_counter()
            expected = 2 * Response.objects.filter(questionnaire__slug=slug).count()
            while TextAnswer.objects.filter(response__questionnaire__slug=slug).count() < expected:
                if time.perf_counter() - drain_started > 600:
                    break
                time.sleep(0.5)
            drain_seconds = time.perf_counter() - drain_started
        cpu_total = {role: used - cpu_before[role] for role, used in cpu_now().items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)

    tokens = [f"api:{t}" for t in acknowledged]
    found = 0
    for start in range(0, len(tokens), 5000):
        found += Response.objects.filter(submission_token__in=tokens[start:start + 5000]).count()
    total = Response.objects.filter(questionnaire__slug=slug).count() - before
    rate = len(acknowledged) / wall
    print(f"database:            {'PostgreSQL' if 'postgres' in os.environ.get('DATABASE_URL', '') else 'SQLite'}"
          )
    print(f"clients / workers:   {args.clients} / {args.workers} uvicorn processes, {args.seconds:.0f} s")
    print(f"machine:             {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
          "(other work on the machine slows every figure)")
    print(f"acknowledged:        {len(acknowledged)} submissions ({retries} retried, {errors} errors)")
    print(f"throughput:          {rate:.0f} submissions/s   (target >= 200)")
    if latencies:
        print(f"latency p50/p95/p99: {percentile(latencies, 0.5) * 1000:.0f} / {percentile(latencies, 0.95) * 1000:.0f}"
              f" / {percentile(latencies, 0.99) * 1000:.0f} ms   (target p95 < 250 ms); "
              f"mean {statistics.mean(latencies) * 1000:.0f} ms")
    count = max(1, len(acknowledged))
    print("CPU per submission:  " + ", ".join(f"{role} {used / count * 1000:.1f} ms"
                                              for role, used in cpu_during.items())
          + f" while the clients ran ({os.cpu_count()} cores give {(os.cpu_count() or 1) * 1000} ms a second)")
    request_path = sum(used for role, used in cpu_during.items() if role != "worker") / count
    print(f"ceiling:             {(os.cpu_count() or 1) / request_path:.0f} submissions/s when nothing but the "
          "request path (server, database, clients) runs on every core")
    if drain_seconds is not None:
        print(f"                     worker {cpu_total['worker'] / count * 1000:.1f} ms per submission in all, "
              "including the queue it drained afterwards")
        print(f"worker:              free-text answers of every response recorded {drain_seconds:.1f} s after the "
              "clients stopped (it runs on the same cores throughout)")
    exactly_once = found == len(acknowledged) == total
    print(f"exactly once:        {'yes' if exactly_once else 'NO'} (acknowledged {len(acknowledged)}, found "
          f"{found}, new rows {total})")
    if not exactly_once:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
