"""The DS download endpoint for a 200 MB file against nginx sendfile (issue 8, row 4).

    python -m bench.download [--rounds 5] [--size-mb 200]      (make bench-download)

Floor: nginx (Debian package, started here with a generated config on a free port) serving the very same
file with sendfile. Measured: GET /onlyoffice/download/<id>/?token=… with the DS's JWT header, straight to
gunicorn (the app streams the file), then again with ATTACHMENTS_SENDFILE=x-accel-redirect behind that nginx
(the app checks the link, nginx sends the bytes). The client is `curl -o /dev/null` for all of them.
Targets: throughput >= 0.8 x floor; the gunicorn workers' peak RSS grows by less than 8 MB during the downloads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

if __package__ in (None, ""):  # run as bench/download.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.callback_ack import editor_config
from bench.harness import StackOptions, free_port, stack
from bench.perf import (
    BenchError,
    Verdict,
    alternate,
    cpu_ticks,
    gunicorn_workers,
    require,
    session_cookie,
    status_bytes,
    temp_dir,
)

MB = 1024 * 1024
MAX_RSS_GROWTH = 8 * MB
NGINX_CONF = """
daemon off;
master_process off;
user root;
worker_processes 1;
error_log {folder}/error.log warn;
pid {folder}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /floor/ {{ alias {floor}/; }}
        location /protected-media/ {{ internal; alias {media}/; }}
        location / {{ proxy_pass {app}; proxy_set_header Host 127.0.0.1; proxy_buffering off; }}
    }}
}}
"""


@contextlib.contextmanager
def nginx(floor: Path, media: Path, app_url: str) -> Iterator[str]:
    folder = temp_dir()
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, floor=floor, media=media, app=app_url))
    process = subprocess.Popen([require("nginx", "nginx-light"), "-c", str(conf), "-p", str(folder)])
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if subprocess.run(["curl", "-s", "-o", "/dev/null", url + "/floor/"], check=False).returncode == 0:
                break
            process.wait(timeout=0.05) if process.poll() is not None else None
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def curl_seconds(url: str, headers: dict[str, str], size: int) -> float:
    command = [require("curl", "curl"), "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}"]
    command += [part for name, value in headers.items() for part in ("-H", f"{name}: {value}")]
    status, downloaded, seconds = subprocess.run([*command, url], capture_output=True, text=True).stdout.split()
    if status != "200" or int(downloaded) != size:
        raise BenchError(f"GET {url.split('?')[0]}: HTTP {status}, {downloaded} bytes of {size}")
    return float(seconds)


def warm_every_worker(workers: list[int], download: Callable[[], object], limit: int = 20) -> None:
    """Download until each gunicorn worker has served one (its CPU time moved while it did).

    A worker's first request imports and sets up what later ones reuse: several MB that are not the growth the
    memory check is about. One warm-up request reaches one worker only, so the other could show it instead.
    """
    cold = set(workers)
    for _ in range(limit):
        before = {pid: cpu_ticks(pid) for pid in cold}
        download()
        cold -= {pid for pid in cold if cpu_ticks(pid) > before[pid]}
        if not cold:
            return
    raise BenchError(f"gunicorn workers {sorted(cold)} served none of {limit} warm-up downloads")


def measure_mode(label: str, sendfile: bool, args: argparse.Namespace, verdict: Verdict) -> None:
    env = {"ATTACHMENTS_SENDFILE": "x-accel-redirect"} if sendfile else {}
    name = "bench_download_sendfile" if sendfile else "bench_download"
    with stack(StackOptions(db_name=name, celery_workers=0, extra_env=env)) as app:
        attachment = app.setup_data(users=1, attachments=1)["attachments"][0]
        size = args.size_mb * MB
        stored = json.loads(app.run("-m", "bench.perfdata", "file", f"--id={attachment}", f"--size={size}"))
        config = editor_config(app, attachment, session_cookie(app, "bench1"))
        link = config["document"]["url"]
        token = json.loads(app.run("-m", "bench.perfdata", "sign", stdin=json.dumps({"payload": {"url": link}})))
        headers = {"Authorization": f"Bearer {token}"}
        media = Path(app.env["DATA_DIR"]) / "media"  # MEDIA_ROOT: X-Accel-Redirect names files relative to it
        relative = Path(stored["path"]).name
        with nginx(Path(stored["path"]).parent, media, app.url) as front:
            parts = urlsplit(link)
            target = (front if sendfile else app.url) + f"{parts.path}?{parts.query}"
            workers = gunicorn_workers(app)
            warm_every_worker(workers, lambda: curl_seconds(target, headers, size))  # and the page cache
            before = {pid: status_bytes(pid, "VmRSS") for pid in workers}
            for pid in workers:  # "5" resets the peak RSS (VmHWM) to the current RSS
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            pair = alternate(
                args.rounds,
                lambda: size / MB / curl_seconds(f"{front}/floor/{relative}", {}, size),
                lambda: size / MB / curl_seconds(target, headers, size),
            )
            growth = max(status_bytes(pid, "VmHWM") - before[pid] for pid in workers)
        verdict.ratio(f"{label}: throughput vs nginx sendfile", pair, "MB/s", at_least=0.8)
        verdict.check(
            f"{label}: gunicorn worker memory",
            growth < MAX_RSS_GROWTH,
            f"peak RSS grew by {growth / MB:.1f} MB over {args.rounds} downloads of {args.size_mb} MB",
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.download")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mb", type=int, default=200)
    args = parser.parse_args(argv)
    verdict = Verdict("DS download endpoint")
    measure_mode("app streams (ATTACHMENTS_SENDFILE=off)", False, args, verdict)
    measure_mode("nginx sends (ATTACHMENTS_SENDFILE=x-accel-redirect)", True, args, verdict)
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
