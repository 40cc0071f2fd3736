"""Export speed and memory: 100,000 responses x 20 questions to CSV (target <= 20 s) and XLSX (target <= 90 s).

    scripts/with-postgres.sh .venv/bin/python benchmarks/export_responses.py [--responses 100000]

It builds a 20-question questionnaire (likert, single and multiple choice, rating, number, date, grid, ranking,
free text), bulk-inserts the responses directly (this measures the export, not the submission path), then runs the
same writers the export task uses and reports time, rows and the peak memory growth of the process (the writers
stream from a server-side cursor, so memory must stay flat however many rows there are).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byconsent.settings")


def rss_mb() -> float:
    """Resident memory now (Linux /proc), so the export's own peak can be measured after the bulk load's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakMemory:
    """Samples resident memory every 50 ms in a thread; `growth` is the peak above the starting figure."""

    def __enter__(self) -> PeakMemory:
        self.start = self.peak = rss_mb()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from byconsent.surveys import reports
    from byconsent.surveys.models import Response

    call_command("migrate", verbosity=0)
    from submit_responses import answers, build_questionnaire

    from byconsent.surveys.models import Questionnaire

    slug = build_questionnaire()
    questionnaire = Questionnaire.objects.get(slug=slug)
    version = questionnaire.current_version
    rng = random.Random(7)
    started = time.perf_counter()
    batch: list[Response] = []
    with transaction.atomic():
        for index in range(args.responses):
            data = answers(rng)
            data["postcode"] = "BN1"
            batch.append(Response(version=version, questionnaire=questionnaire, submission_token=uuid.uuid4().hex,
                                  reference=f"B{index:09d}", answers=data, channel="online_survey"))
            if len(batch) == 5000:
                Response.objects.bulk_create(batch)
                batch.clear()
        Response.objects.bulk_create(batch)
    print(f"database:   {'PostgreSQL' if 'postgres' in os.environ.get('DATABASE_URL', '') else 'SQLite'}")
    print(f"machine:    {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"loaded:     {args.responses} responses x 20 questions in {time.perf_counter() - started:.1f} s")
    columns = len(reports.header(reports.columns_for(reports.export_questions(questionnaire))))
    print(f"columns:    {columns} (one per question, option, grid row and rank)")

    targets = {"csv": 20.0, "xlsx": 90.0, "json": None}
    with tempfile.TemporaryDirectory() as folder:
        for fmt, target in targets.items():
            path = Path(folder) / f"export.{fmt}"
            with PeakMemory() as memory:
                started = time.perf_counter()
                rows = reports.WRITERS[fmt](questionnaire, path, None, None)
                elapsed = time.perf_counter() - started
            growth = memory.growth
            met = "met" if target is not None and elapsed <= target else "MISSED"
            verdict = "" if target is None else f" (target <= {target:.0f} s: {met})"
            print(f"{fmt.upper():5} {rows} rows in {elapsed:5.1f} s{verdict}; file {path.stat().st_size / 1e6:.0f} MB;"
                  f" peak memory growth {growth:.0f} MB")


if __name__ == "__main__":
    main()
