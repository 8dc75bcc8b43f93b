"""Benchmark: import of a member CSV (default 1,000,000 rows) on PostgreSQL, against a raw COPY.

    .venv/bin/python bench/import_members.py [--rows 1000000] [--database-url postgres://…/mendian_bench]

The parent generates the CSV (phone, name, gender, birthday, level, points, principal, bonus, store).
One child process stores the upload as the web page does (the import job); a second runs the check
(dry run) and the import (bulk write in one transaction) exactly as the task worker does — for a large
file the import forks a helper that reads and checks the rows while it writes — and reports the peak
resident memory of each and the peak PSS of both together (sampled every half second). In the same run
it COPYs the same file into a scratch table and prints the ratio. The database is recreated each run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _django import recreate_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mendian_bench"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "欣怡", "子涵", "浩然", "宇轩"]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(1)
    phones = rng.sample(range(10**9), rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["手机", "姓名", "性别", "生日", "等级", "积分", "本金", "赠送金", "门店"])
        for phone in phones:
            principal = rng.choice([0, 0, 0, 100, 300, 500])
            writer.writerow([
                f"13{phone:09d}", rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice(["男", "女", ""]),
                f"{rng.randint(1960, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(["普通", "银卡", "金卡"]), rng.choice([0, 0, 50, 1200]), principal, principal // 2,
                rng.choice(["S001", "S002"]),
            ])


def _setup(url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _django import setup

    setup(url)


def child_upload(url: str, csv_path: str) -> None:
    """What the web process does with the upload: a merchant, its levels, and the import job."""
    _setup(url)
    from django.core.management import call_command

    from mendian.loyalty.models import Level
    from mendian.members.import_jobs import import_job_create
    from mendian.tenancy.access import Access
    from mendian.tenancy.services.merchants import merchant_create
    from mendian.tenancy.services.stores import store_create_unchecked

    call_command("migrate", verbosity=0)
    created = merchant_create(name="导入基准", owner_username="bench_owner", owner_password="Bench-pass-2026",
                              store_name="一号店")
    store_create_unchecked(merchant=created.merchant, name="二号店", code="S002")
    for rank, name in enumerate(["普通", "银卡", "金卡"]):
        Level.objects.create(merchant=created.merchant, name=name, rank=rank)
    job = import_job_create(access=Access.for_staff(created.owner), filename="bench.csv",
                            content=Path(csv_path).read_bytes(), store=created.store)
    print(json.dumps({"job": job.pk}))


class MemorySampler(threading.Thread):
    """The proportional set size (PSS: shared pages split between the processes sharing them) of this
    process and its children together, read from /proc every half second; ``peak_mb`` is the largest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self.stopped = threading.Event()

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:  # the child has just ended
            pass
        return 0

    def run(self) -> None:
        me = os.getpid()
        while not self.stopped.wait(0.5):
            try:
                children = [int(c) for c in Path(f"/proc/{me}/task/{me}/children").read_text().split()]
            except OSError:
                children = []
            self.peak_mb = max(self.peak_mb, sum(self._pss_kb(pid) for pid in (me, *children)) / 1024)


def child_import(url: str, job_id: int) -> None:
    """What the task worker does: the check (dry run), then the import; timings and peak memory as JSON."""
    _setup(url)
    from django.core.management import call_command

    from mendian.members import importing
    from mendian.members.models import ImportJob

    def load() -> ImportJob:
        return ImportJob.objects.select_related("merchant", "created_by", "store").get(pk=job_id)

    sampler = MemorySampler()
    sampler.start()
    started = time.perf_counter()
    job = importing.import_check(job=load())
    checked = time.perf_counter()
    job = importing.import_run(job=load())
    imported = time.perf_counter()
    assert job.status == "done", (job.status, job.failure, job.errors[:3])
    sampler.stopped.set()
    sampler.join()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helper_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    call_command("check_ledgers", verbosity=0)
    print(json.dumps({"rows": job.imported_rows, "check_s": checked - started, "import_s": imported - checked,
                      "peak_mb": peak_mb, "helper_mb": helper_mb, "pss_mb": sampler.peak_mb,
                      "parallel": job.total_rows >= importing.PARALLEL_FROM}))


def raw_copy(url: str, csv_path: Path) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE copy_bench (phone text, name text, gender text, birthday date, "
                     "level text, points int, principal numeric, bonus numeric, store text)")
        started = time.perf_counter()
        with conn.cursor().copy("COPY copy_bench FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                csv_path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        return time.perf_counter() - started


def _run_child(arguments: list[str], url: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *arguments, "--database-url", url], capture_output=True,
                            text=True, check=False)
    if result.returncode:
        sys.exit(f"{arguments[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--upload", help=argparse.SUPPRESS)
    parser.add_argument("--run-job", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upload:
        child_upload(args.database_url, args.upload)
        return
    if args.run_job:
        child_import(args.database_url, args.run_job)
        return
    recreate_database(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "members.csv"
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        job_id = _run_child(["--upload", str(path)], args.database_url)["job"]
        figures = _run_child(["--run-job", str(job_id)], args.database_url)
        peak_mb = figures["peak_mb"]
        copy_s = raw_copy(args.database_url, path)
    rows = figures["rows"]
    total = figures["check_s"] + figures["import_s"]
    print(f"member import benchmark: {rows:,} rows, CSV {size_mb:.0f} MB, PostgreSQL")
    print(f"  check (dry run):  {figures['check_s']:7.1f} s  {rows / figures['check_s']:>9,.0f} rows/s")
    print(f"  import (write):   {figures['import_s']:7.1f} s  {rows / figures['import_s']:>9,.0f} rows/s")
    print(f"  check + import:   {total:7.1f} s  {rows / total:>9,.0f} rows/s")
    print(f"  raw COPY:         {copy_s:7.1f} s  {rows / copy_s:>9,.0f} rows/s")
    print(f"  import / COPY:    {figures['import_s'] / copy_s:7.1f}×")
    print(f"  peak memory (resident) of the importing process (check and import): {peak_mb:.0f} MB")
    if figures["parallel"]:
        print(f"  peak memory (resident) of its helper process (reads and checks for the import): "
              f"{figures['helper_mb']:.0f} MB")
    print(f"  peak memory of both together (PSS, shared pages counted once): {figures['pss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
