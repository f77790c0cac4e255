"""nginx in front of the benchmark's gunicorn, configured by docs/DEPLOY.md itself.

The deployment's configuration has one source: the nginx block of docs/DEPLOY.md that follows the
marker below. ``config_from_deploy_md`` takes that text and changes only what cannot be the same on
loopback: the upstream addresses (the benchmark's gunicorn), the two ``listen`` ports, TLS (left
out: no certificate here; both the answers and the static baseline go through the same server) and
the two paths (the cache directory and STATIC_ROOT). Each change must match the text exactly as
many times as expected, so an edit of the documentation that the benchmark would silently miss
stops it with a message instead. ``nginx`` runs it unprivileged-style: in the foreground, with its
own prefix, pid, temporary and cache directories under a temporary directory, and is stopped at the
end.

    .venv/bin/python -m bench.nginx      # check docs/DEPLOY.md's block with ``nginx -t``, nothing else
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_MD = ROOT / "docs" / "DEPLOY.md"
MARKER = "<!-- bench/nginx.py reads the next nginx block"
MIME_TYPES = Path("/etc/nginx/mime.types")
BASELINE_DIR = "bench-baseline"  # under STATIC_ROOT: served by the deployment's own /static/ location
BASELINE_HASH = "0123456789ab"  # a 12-hex "content hash", so the baseline gets the hashed files' headers


class Unavailable(Exception):
    """Why the nginx part of the benchmark cannot run (printed; the rest of the benchmark runs)."""


def deploy_block(text: str | None = None) -> str:
    """The nginx configuration of docs/DEPLOY.md: the ```nginx block after the marker."""
    text = DEPLOY_MD.read_text() if text is None else text
    if MARKER not in text:
        raise Unavailable(f"no {MARKER!r} in {DEPLOY_MD}")
    found = re.search(r"```nginx\n(.*?)```", text[text.index(MARKER) :], re.DOTALL)
    if found is None:
        raise Unavailable(f"no ```nginx block after the marker in {DEPLOY_MD}")
    return found.group(1)


def _replace(text: str, pattern: str, replacement: str, count: int) -> str:
    changed, found = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if found != count:
        raise Unavailable(
            f"docs/DEPLOY.md's nginx block changed: {pattern!r} matched {found} times, expected {count} "
            "(update bench/nginx.py with it)"
        )
    return changed


def config_from_deploy_md(
    block: str, *, upstream_port: int, port: int, redirect_port: int, cache_dir: Path, static_root: Path
) -> str:
    """The deployment's block with the benchmark's addresses, ports and paths, and without TLS."""
    text = _replace(block, r"^(\s*)server 10\.0\.0\.11:8000\b[^;]*;$", rf"\g<1>server 127.0.0.1:{upstream_port};", 1)
    text = _replace(text, r"^\s*server 10\.0\.0\.\d+:8000\b[^;]*;\n", "", 1)
    text = _replace(text, r"^(\s*)listen 80;$", rf"\g<1>listen 127.0.0.1:{redirect_port};", 1)
    text = _replace(text, r"^(\s*)listen 443 ssl;$", rf"\g<1>listen 127.0.0.1:{port};", 1)
    text = _replace(text, r"^\s*ssl_certificate(_key)?\s[^;]*;\n", "", 2)
    text = _replace(text, re.escape("/var/cache/nginx/loantracker"), str(cache_dir), 1)
    return _replace(text, re.escape("/srv/loantracker/staticfiles/"), f"{static_root}/", 2)


def main_config(prefix: Path, site: str) -> str:
    """nginx.conf around the site's block: Debian's defaults where they matter (worker processes,
    sendfile, the MIME types), every path under ``prefix``, no access log (the same for the answers
    and the static baseline)."""
    mime = f"include {MIME_TYPES};" if MIME_TYPES.exists() else "types { application/octet-stream bin; }"
    user = "user root;" if os.geteuid() == 0 else ""  # the workers must read the temporary directories
    return f"""{user}
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    {mime}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_baseline(static_root: Path, name: str, body: bytes) -> str:
    """A static file of exactly these bytes under STATIC_ROOT; its URL path (served by nginx)."""
    folder = static_root / BASELINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    (folder / f"{slug}.{BASELINE_HASH}.bin").write_bytes(body)
    return f"/static/{BASELINE_DIR}/{slug}.{BASELINE_HASH}.bin"


@contextlib.contextmanager
def nginx(upstream_port: int, static_root: Path) -> Iterator[str]:
    """nginx with docs/DEPLOY.md's configuration in front of 127.0.0.1:``upstream_port``, in the
    foreground under a temporary prefix; yields its base URL. Raises Unavailable (nginx missing,
    the configuration refused, no answer), and stops the process it started at the end."""
    binary = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if binary is None:
        raise Unavailable("nginx is not installed (Debian: apt-get install -y nginx)")
    prefix = Path(static_root).parent / f"nginx-{os.getpid()}"
    cache_dir = prefix / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    port, redirect_port = free_port(), free_port()
    site = config_from_deploy_md(
        deploy_block(),
        upstream_port=upstream_port,
        port=port,
        redirect_port=redirect_port,
        cache_dir=cache_dir,
        static_root=static_root,
    )
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    command = [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], check=False, text=True, capture_output=True)  # noqa: S603
    if checked.returncode != 0:
        raise Unavailable(f"nginx refused the configuration ({conf}): {checked.stderr.strip()}")
    process = subprocess.Popen([*command, "-g", "daemon off;"])  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError, urllib.error.URLError):
                urllib.request.urlopen(base + "/bench/floor/", timeout=5).close()  # noqa: S310 (loopback)
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise Unavailable(f"nginx did not answer on {base} (log: {prefix / 'error.log'})")
            time.sleep(0.2)
        yield base
    finally:
        stop(process, grace=10)
        shutil.rmtree(prefix, ignore_errors=True)


def stop(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """Terminate a server the bench started; kill it if it is still there after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def main() -> int:
    """Check docs/DEPLOY.md's nginx block as the benchmark would run it (``nginx -t``)."""
    import sys
    import tempfile

    binary = shutil.which("nginx")
    if binary is None:
        print("nginx is not installed (Debian: apt-get install -y nginx)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="loantracker-nginx-check-") as folder:
        prefix = Path(folder)
        (prefix / "cache").mkdir()
        site = config_from_deploy_md(
            deploy_block(), upstream_port=8000, port=free_port(), redirect_port=free_port(),
            cache_dir=prefix / "cache", static_root=prefix,
        )  # fmt: skip
        (prefix / "nginx.conf").write_text(main_config(prefix, site))
        command = [binary, "-p", folder, "-e", f"{folder}/error.log", "-c", f"{folder}/nginx.conf", "-t"]
        checked = subprocess.run(command, check=False, text=True, capture_output=True)  # noqa: S603
        print(checked.stderr.strip())
        return checked.returncode


if __name__ == "__main__":
    raise SystemExit(main())
