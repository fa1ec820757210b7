"""Fixtures for end-to-end tests with the official MCP Python SDK.

Processes under test are the real binaries from the shared cargo target dir:
our `fast-mcp-telegram` and, for Telegram calls, the test-only `fake-tg-dc`.
"""
import fcntl
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def binary(name: str) -> str:
    path = TARGET / "debug" / name
    if not path.exists():
        pytest.fail(f"{path} is missing; build it first (scripts/test.sh does)")
    return str(path)


class Proc:
    """A child process whose stderr/stdout line we wait for (no sleeps)."""

    def __init__(self, args, env, ready_pattern, stream="stderr", cwd=None):
        self.p = subprocess.Popen(
            args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
        )
        src = self.p.stderr if stream == "stderr" else self.p.stdout
        self.lines = []
        for line in src:
            self.lines.append(line)
            m = re.search(ready_pattern, line)
            if m:
                self.match = m
                break
        else:
            raise RuntimeError(f"{args[0]} exited before ready: {''.join(self.lines)}")
        # Keep draining the stream so a chatty child never blocks on a full pipe.
        self._drain = threading.Thread(target=lambda: self.lines.extend(src), daemon=True)
        self._drain.start()

    def wait_for_line(self, pattern, timeout=30):
        """The first line after the ready line matching `pattern` (polled; the timeout is a safety net)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if time.monotonic() > deadline or self.p.poll() is not None and not self._drain.is_alive():
                raise AssertionError(f"no line matching {pattern!r}: {''.join(self.lines)}")
            time.sleep(0.02)

    def output(self):
        """Everything the watched stream printed so far (complete after stop())."""
        return "".join(self.lines)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self._drain.join(timeout=10)


def stop_agent(config_dir):
    """Stops a background agent that stdio clients started for `config_dir` (if any)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env["SESSION_DIR"] = str(config_dir)
    subprocess.run([binary("fast-mcp-telegram"), "agent", "stop"], env=env, capture_output=True, timeout=30)
    # `agent stop` returns once the owner stopped serving; it may still be flushing files into the
    # dir. Its OS lock on agent.lock goes away only when the process has exited: wait for that.
    lock = Path(config_dir) / "agent.lock"
    if not lock.exists():
        return
    deadline = time.monotonic() + 30
    with open(lock, "rb") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(f, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError("the background agent did not exit after `agent stop`")
                time.sleep(0.02)


@pytest.fixture(autouse=True)
def _no_developer_env_file(tmp_path, monkeypatch):
    """Every child process starts in an empty temp dir: the binary loads `.env` from its working
    directory (and dotenvy from the parents), so a developer's `.env` in the repo must not leak in."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config_dir():
    with tempfile.TemporaryDirectory(prefix="fmt-test-") as d:
        yield Path(d)
        stop_agent(Path(d))


@pytest.fixture
def base_env(config_dir):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update({"SESSION_DIR": str(config_dir), "LOG_LEVEL": "info"})
    return env


def new_token(env, label="pytest", access=None):
    """`token new` (with `--access` when given); returns (token, token id)."""
    extra = ["--access", access] if access else []
    out = subprocess.run(
        [binary("fast-mcp-telegram"), "token", "new", "--label", label, *extra],
        env=env, capture_output=True, text=True, check=True,
    )
    token = out.stdout.strip()
    token_id = re.search(r"token id: (tok_[0-9a-f]+)", out.stderr).group(1)
    assert len(token) == 43, out
    return token, token_id


@pytest.fixture
def http_server(base_env):
    """Starts `fast-mcp-telegram serve --transport http --port 0`; yields (base_url, env)."""
    procs = []

    def start(extra_env=None, cwd=None):
        """Starts one server; `start.last` is its Proc."""
        env = dict(base_env, **(extra_env or {}))
        p = Proc([binary("fast-mcp-telegram"), "serve", "--transport", "http", "--port", "0"], env, r"LISTENING (http://\S+)", cwd=cwd)
        procs.append(p)
        start.last = p
        return p.match.group(1), env

    yield start
    for p in procs:
        p.stop()


@pytest.fixture
def fake_dc_proc(config_dir):
    """Starts the fake Telegram DC watching our session dir; yields its Proc (stdin commands)."""
    sessions = config_dir / "sessions"
    sessions.mkdir(mode=0o700, exist_ok=True)
    p = Proc([binary("fake-tg-dc"), "--watch-dir", str(sessions)], dict(os.environ), r"FAKE_DC_LISTENING (\S+)", stream="stdout")
    yield p
    p.p.stdin.close()
    p.stop()


@pytest.fixture
def fake_dc(fake_dc_proc):
    """The fake Telegram DC's address."""
    return fake_dc_proc.match.group(1)


@pytest.fixture
def tg_env(base_env, fake_dc):
    """Environment for our binary pointed at the fake DC."""
    return dict(base_env, API_ID="12345", API_HASH="0123456789abcdef0123456789abcdef", TELEGRAM_DC_ADDR=fake_dc)


def set_access(env, token_id, access):
    """`token edit ID --access ACCESS`."""
    out = subprocess.run([binary("fast-mcp-telegram"), "token", "edit", token_id, "--access", access],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def cli_login(env, phone, code, password=None, label="pytest", access=None):
    """Logs in through `fast-mcp-telegram login` (answers on stdin); returns the printed token
    (its access set with `token edit` when `access` is given)."""
    answers = code + "\n" + (password + "\n" if password else "")
    out = subprocess.run(
        [binary("fast-mcp-telegram"), "login", "--phone", phone, "--label", label],
        env=env, input=answers, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert len(token) == 43, out
    assert phone not in out.stderr, "the phone number is never echoed in clear"
    if access:
        token_id = re.search(r"token id: (tok_[0-9a-f]+)", out.stderr).group(1)
        set_access(env, token_id, access)
    return token
