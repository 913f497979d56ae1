"""The save pipeline: callback received → new version visible, and the worker's memory (issues 8 and 23).

    python -m bench.save_pipeline [--rounds 3] [--sizes 50,200,500] [--storage both|s3|filesystem]  (make bench-save)

Files of random bytes (not compressible) are published by the fake DS (served from a read-only mapping). For
each, a signed status 2 callback names the link; the time runs from posting the callback to the new version's
row being visible in the app's database (a watcher process polls it every 10 ms, started before the clock).
Floor: ``curl -o <file> <same link>`` then ``sha256sum <file>``, timed together, in the stack's data folder
(the file system the app stores to); floor and measurement alternate round by round for the 200 MB file.
Thumbnails are off (CONNECTOR_THUMBNAILS=false): the task each save queues would share the one worker with the
next round. Worker memory: the Celery pool child's peak RSS (VmHWM, reset through /proc/<pid>/clear_refs before
each save).
Targets: 200 MB save <= 1.5 x floor; peak RSS <= 150 MB and within 20 % across the sizes.

Two storages, one stack each (``--storage both``, the default, runs the file system first):

- ``filesystem`` (issue 8): files under the stack's DATA_DIR; the floor as above.
- ``s3`` (issue 23): the stack runs with STORAGE_BACKEND=s3 against moto's S3 server, a process of its own
  (bench/s3server.py). Floor: curl -o + sha256sum as above, then one boto3 ``upload_file`` of that file into the
  same server and bucket, with boto3's defaults as the app has them (multipart from 8 MB, 8 MB parts, 10 threads).

``python -m bench.save_pipeline watch --id N --after V`` is the watcher, run inside the stack's environment.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as bench/save_pipeline.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from bench import s3server
from bench.harness import BASE_DIR, Stack, StackOptions, stack
from bench.perf import BenchError, Pair, Verdict, child_pids, require, session_cookie, status_bytes, temp_dir

MB = 1024 * 1024
MAX_PEAK_RSS = 150 * MB
MAX_RSS_SPREAD = 0.20
SAVE_TIMEOUT = 300.0
WATCH_INTERVAL = 0.01


def random_file(folder: Path, size: int) -> Path:
    """``size`` random bytes: compression anywhere on the way could not flatter the figures."""
    path = folder / f"edited-{size // MB}mb.docx"
    with path.open("wb") as handle:
        left = size
        while left > 0:
            block = os.urandom(min(4 * MB, left))
            handle.write(block)
            left -= len(block)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(4 * MB):
            digest.update(block)
    return digest.hexdigest()


def floor_seconds(url: str, folder: Path, s3: Any = None) -> float:
    """curl to a file, then sha256sum it: the least any downloader that stores and hashes must do.

    With an S3 client, then one upload of the file into the bench bucket (boto3's defaults), removed afterwards.
    """
    target = folder / "floor.bin"
    key = f"floor/{uuid.uuid4().hex}.bin"
    started = time.perf_counter()
    subprocess.run([require("curl", "curl"), "-sf", "-o", str(target), url], check=True)
    subprocess.run([require("sha256sum", "coreutils"), str(target)], check=True, capture_output=True)
    if s3 is not None:
        s3.upload_file(str(target), s3server.BUCKET, key)
    seconds = time.perf_counter() - started
    target.unlink()
    if s3 is not None:
        s3.delete_object(Bucket=s3server.BUCKET, Key=key)  # moto's disk and memory hold only what is measured
    return seconds


def pool_child(app: Stack) -> int:
    """The pid of the one prefork child of the one Celery worker: the process that runs the save task."""
    children = child_pids(next(p for p in app.processes if p.name.startswith("celery")).popen.pid)
    if len(children) != 1:
        raise BenchError(f"expected one Celery pool child, found {children}")
    return children[0]


def current_version(app: Stack, attachment_id: int) -> int:
    return len(app.versions([attachment_id])["versions"][str(attachment_id)])


def save_seconds(app: Stack, attachment_id: int, file_url: str, cookie: str, worker: int) -> float:
    """Post a signed status 2 callback for the file; seconds until its version is visible. Resets VmHWM first."""
    from bench.callback_ack import editor_config, save_callback  # its helpers make the signed callback

    target, body = save_callback(app, editor_config(app, attachment_id, cookie), file_url)
    after = current_version(app, attachment_id)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "bench.save_pipeline", "watch", f"--id={attachment_id}", f"--after={after}"],
        cwd=BASE_DIR,
        env=app.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        if watcher.stdout.readline().strip() != "ready":
            raise BenchError("the version watcher did not start")
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM := VmRSS, so the peak is this save's
        started = time.time()
        answer = requests.post(app.url + target, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        if answer.status_code != 200 or answer.json() != {"error": 0}:
            raise BenchError(f"callback answered {answer.status_code} {answer.text[:200]}")
        line = watcher.stdout.readline().strip()
        if not line:
            app.check_alive()
            raise BenchError(f"no new version of attachment {attachment_id} within {SAVE_TIMEOUT:.0f} s")
        return float(line) - started
    finally:
        watcher.kill()
        watcher.wait()


def watch(attachment_id: int, after: int) -> int:
    """Print "ready", then the wall-clock time the attachment's version ``after + 1`` became visible."""
    import django

    django.setup()
    from attachments.models import Version

    exists = Version.objects.filter(attachment_id=attachment_id, number=after + 1).exists
    exists()  # connect before the clock starts
    print("ready", flush=True)
    deadline = time.monotonic() + SAVE_TIMEOUT
    while time.monotonic() < deadline:
        if exists():
            print(repr(time.time()), flush=True)
            return 0
        time.sleep(WATCH_INTERVAL)
    return 1


def run(args: argparse.Namespace) -> int:
    verdict = Verdict("save pipeline")
    storages = ["filesystem", "s3"] if args.storage == "both" else [args.storage]
    for storage in storages:
        measure(args, storage, verdict)
    return verdict.finish()


def measure(args: argparse.Namespace, storage: str, verdict: Verdict) -> None:
    """One stack on this storage; its lines (prefixed "S3: " for S3) go into the verdict."""
    sizes = [int(part) for part in args.sizes.split(",")]
    files = temp_dir()
    prefix = "S3: " if storage == "s3" else ""
    floor_name = "curl -o + sha256sum + boto3 upload_file" if storage == "s3" else "curl -o + sha256sum"
    try:
        # No thumbnails: each save queues one on the same worker, which would run into the next round's floor
        # (a 200 MB file's took ~47 s from S3) and hold up its save; they are not part of the save.
        options = StackOptions(
            db_name=args.db_name,
            redis_db=args.redis_db,
            celery_workers=1,
            storage=storage,
            extra_env={"CONNECTOR_THUMBNAILS": "false"},
        )
        with stack(options) as app:
            s3 = s3server.client(app.s3_url) if storage == "s3" else None
            ids = app.setup_data(users=1, attachments=len(sizes))["attachments"]
            limit = (max(sizes) + 10) * MB
            app.manage("shell", "-c", f"from connector import ds_settings; ds_settings.update(max_edit_size={limit})")
            cookie = session_cookie(app, "bench1")
            worker = pool_child(app)
            peaks: dict[int, int] = {}
            for attachment_id, size_mb in zip(ids, sizes, strict=True):
                path = random_file(files, size_mb * MB)
                url = app.fakeds.publish(str(path), path.name)
                expected = sha256_of(path)
                rounds = args.rounds if size_mb == args.ratio_size else 1
                pair, peak = Pair(), 0
                for done in range(1, rounds + 1):
                    pair.floor.append(floor_seconds(url, app.data_dir, s3))
                    pair.measured.append(save_seconds(app, attachment_id, url, cookie, worker))
                    if app.versions([attachment_id])["versions"][str(attachment_id)].count(expected) != done:
                        raise BenchError(f"the stored version of {size_mb} MB does not hold the published bytes")
                    peak = max(peak, status_bytes(worker, "VmHWM"))
                peaks[size_mb] = peak
                label = f"{prefix}{size_mb} MB: callback → version visible vs {floor_name}"
                if size_mb == args.ratio_size:
                    verdict.ratio(label, pair, "s", at_most=1.5)
                else:
                    verdict.note(
                        f"{label}: ratio {pair.ratio():.2f} ({pair.measured[0]:.2f} s vs {pair.floor[0]:.2f} s)"
                    )
                path.unlink()
            worst = max(peaks.values())
            verdict.check(
                f"{prefix}worker peak RSS",
                worst <= MAX_PEAK_RSS,
                ", ".join(f"{size} MB: {peak / MB:.1f} MB" for size, peak in peaks.items())
                + f" (target <= {MAX_PEAK_RSS // MB} MB)",
            )
            spread = worst / min(peaks.values()) - 1
            verdict.check(
                f"{prefix}worker peak RSS across sizes",
                spread <= MAX_RSS_SPREAD,
                f"{spread:.1%} apart (target <= 20 %)",
            )
    finally:
        subprocess.run(["rm", "-rf", str(files)], check=False)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.save_pipeline")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for the ratio size (the others get one)")
    parser.add_argument("--seconds", type=float, default=0, help="ignored (make bench passes BENCH_ARGS to all)")
    parser.add_argument("--sizes", default="50,200,500", help="file sizes in MB")
    parser.add_argument("--ratio-size", type=int, default=200, help="the size whose ratio is the target")
    parser.add_argument("--db-name", default="bench_save_pipeline", help="PostgreSQL database (bench_*)")
    parser.add_argument("--redis-db", type=int, default=15, help="Redis database, flushed (15)")
    parser.add_argument(
        "--storage", choices=["both", "filesystem", "s3"], default="both", help="where the app stores (both)"
    )
    commands = parser.add_subparsers(dest="command")
    watcher = commands.add_parser("watch")
    watcher.add_argument("--id", type=int, required=True)
    watcher.add_argument("--after", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "watch":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        return watch(args.id, args.after)
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
