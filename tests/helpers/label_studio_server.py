"""Real servers for the annotators' tests: a Label Studio (its own venv, SQLite in a temp
folder, a free local port) and any HTTP service started as a process group.

Every server runs in a new session and its whole process group is killed on exit, even when
the test fails, so that no server outlives its test. Label Studio's database migrations take
about a minute; tools/setup_annotators.sh migrates a template database once and each server
starts from a copy of it (about 10 s).
"""
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

from tools_utils import REPO, free_port

LS_VENV = osp.join(REPO, '.venv-ls')
LS_BIN = osp.join(LS_VENV, 'bin', 'label-studio')
TEMPLATE_DB = osp.join(LS_VENV, 'ls-template', 'label_studio.sqlite3')
SETUP_HINT = 'run `bash tools/setup_annotators.sh` (Label Studio, Chromium, Playwright)'


def http_request(method: str, url: str, body: Any = None,
                 headers: Optional[Dict[str, str]] = None, timeout: float = 60) -> tuple:
    """``(status, JSON answer)`` of one request, HTTP errors included; ``body`` is sent as
    JSON, or as is when it is bytes."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        'Content-Type': 'application/json', **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


def http_json(method: str, url: str, body: Any = None,
              headers: Optional[Dict[str, str]] = None, timeout: float = 60) -> Any:
    """The JSON answer of a request that must succeed (else an error with the answer)."""
    status, answer = http_request(method, url, body, headers, timeout)
    if status >= 400:
        raise AssertionError(f'{method} {url}: HTTP {status}: {str(answer)[:2000]}')
    return answer


def _wait_healthy(url: str, proc: subprocess.Popen, log: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    with open(log, errors='replace') as f:
        tail = f.read()[-4000:]
    raise AssertionError(f'{url} not healthy after {timeout:.0f} s (exit code {proc.poll()}); '
                         f'log {log}:\n{tail}')


@contextmanager
def process_group(cmd: List[str], health_url: str, log: str, env: Dict[str, str],
                  timeout: float = 180) -> Iterator[subprocess.Popen]:
    """Start ``cmd`` in its own session, wait until ``health_url`` answers 200, yield the
    process; on exit kill the whole group (TERM, then KILL after 10 s)."""
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                                start_new_session=True)
    try:
        _wait_healthy(health_url, proc, log, timeout)
        yield proc
    finally:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue


@dataclass
class LabelStudio:
    """A running server: its address, the admin's credentials and legacy API token."""
    url: str
    username: str
    password: str
    token: str
    log: str

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return http_json(method, self.url + path, body,
                         {'Authorization': f'Token {self.token}'})


@contextmanager
def label_studio_server(work: str, document_root: str,
                        timeout: float = 240) -> Iterator[LabelStudio]:
    """A real Label Studio on a free port, data (SQLite) under ``work``, serving the local
    files under ``document_root`` at ``/data/local-files/?d=<path relative to it>``."""
    data = osp.join(work, 'ls-data')
    os.makedirs(data, exist_ok=True)
    if osp.isfile(TEMPLATE_DB):
        shutil.copy(TEMPLATE_DB, data)
    port = free_port()
    server = LabelStudio(url=f'http://127.0.0.1:{port}', username='annotator@example.org',
                         password='mmsegsup-e2e-pw', token='mmsegsup0e2e0token0123456789',
                         log=osp.join(work, 'label_studio.log'))
    env = dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=data,
               LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED='true',
               LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=document_root,
               # the ML backend (and the webhook Label Studio makes for it) is on 127.0.0.1
               LABEL_STUDIO_ML_BLOCK_LOCAL_IP='false',
               LABEL_STUDIO_SSRF_PROTECTION_ENABLED='false',
               LABEL_STUDIO_LATEST_VERSION_CHECK='false', LABEL_STUDIO_COLLECT_ANALYTICS='false')
    cmd = [LS_BIN, 'start', '--no-browser', '--internal-host', '127.0.0.1', '--port', str(port),
           '--data-dir', data, '--username', server.username, '--password', server.password,
           '--user-token', server.token, '--enable-legacy-api-token', '--log-level', 'WARNING']
    with process_group(cmd, server.url + '/health', server.log, env, timeout):
        yield server
