"""Attack suite: every hardening class tried from outside against the real binaries.

Classes: url_auth tokens in logs, over-limit bodies in every encoding, foreign Host/Origin and
wrong ports (DNS rebinding), attachment links after revocation or rotation, local-file tricks
in stdio mode, raw-API spellings and wrappers, SSRF forms, path traversal, hostile peers on the
owner socket, and cross-scope leaks (a token limited to one chat trying every door). Every case
asserts the specific refusal, not just "an error". Raw HTTP goes through plain sockets so the
framing (chunked or not, Host, Origin) is exactly what the case says.
"""
import json
import os
import socket
import subprocess
import time
import uuid

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from conftest import binary, cli_login, new_token

A_PHONE, A_CODE = "+15550001", "12345"
DOMAIN = "tg.example.test"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "attacker", "version": "1"}}}


# ---------- raw HTTP ----------

def raw(base, method, path, headers=None, body=b"", chunked=False, host=None):
    """One HTTP/1.1 request over a plain socket; returns (status, headers dict, body bytes).

    The server may answer (413, 403) and close before the whole body is sent; that is fine.
    """
    hostport = base.split("://", 1)[1]
    addr, port = hostport.rsplit(":", 1)
    h = {"Host": host if host is not None else hostport, "Connection": "close"}
    h.update(headers or {})
    if chunked:
        h["Transfer-Encoding"] = "chunked"
    elif body:
        h["Content-Length"] = str(len(body))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    with socket.create_connection((addr.strip("[]"), int(port)), timeout=30) as s:
        try:
            s.sendall(head.encode())
            for i in range(0, len(body), 1000):
                part = body[i:i + 1000]
                s.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            if chunked:
                s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    head_raw, _, rest = data.partition(b"\r\n\r\n")
    lines = head_raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    resp_headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    if resp_headers.get("transfer-encoding") == "chunked":
        out = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        rest = out
    return status, resp_headers, rest


def json_error(body):
    return json.loads(body)["error"]


def routes(token):
    """Every route of the server: (method, path)."""
    return [
        ("POST", "/v1/mcp"),
        ("POST", f"/v1/url_auth/{token}/mcp"),
        ("POST", "/mtproto-api/users.getFullUser"),
        ("POST", "/mtproto-api/v1/users.getFullUser"),
        ("POST", "/api/settings_get"),
        ("GET", "/setup"),
        ("GET", "/health"),
        ("GET", f"/v1/attachments/{uuid.uuid4()}"),
        ("GET", "/no/such/route"),
    ]


def auth_headers(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


# ---------- MCP helpers ----------

def error_of(result):
    assert result.is_error, result
    if result.structured_content:
        return result.structured_content["error"]
    return json.loads(result.content[0].text)["error"]


def structured(result):
    assert not result.is_error, result
    return result.structured_content or json.loads(result.content[0].text)


async def http_call(base, token, tool, args):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client, streamable_http_client(f"{base}/v1/mcp", http_client=client) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        return await s.call_tool(tool, args)


# ---------- 1. url_auth tokens never reach the log ----------

def test_url_auth_token_is_redacted_for_every_tail_at_trace_level(http_server, base_env):
    token, _ = new_token(base_env)
    base, _ = http_server(dict(LOG_LEVEL="trace"))
    for tail in ["", "/", "/sse", "/messages", "/mcpx", "/sse/mcp", "?token=x"]:
        for method in ["GET", "POST"]:
            status, _, body = raw(base, method, f"/v1/url_auth/{token}{tail}", auth_headers(token), json.dumps(INIT).encode())
            assert status == 404, (tail, method, status)
            assert token not in body.decode() and "/v1/url_auth/<token>/mcp" in json_error(body)
    # Under .../mcp/ it is the MCP endpoint (which refuses a GET), token still out of the log.
    assert raw(base, "GET", f"/v1/url_auth/{token}/mcp/../sse", auth_headers(token))[0] == 405
    # Odd spellings of the prefix are rewritten too (and the MCP path still works).
    status, _, _ = raw(base, "POST", f"//V1/URL_AUTH/{token}/mcp", auth_headers("x"), json.dumps(INIT).encode())
    assert status == 200
    status, _, _ = raw(base, "POST", f"/v1/url_auth/{token}/mcp", {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}, json.dumps(INIT).encode())
    assert status == 200
    proc = http_server.last
    proc.stop()
    logs = proc.output()
    assert "/v1/url_auth/<redacted>/sse" in logs and "/v1/url_auth/<redacted>/mcp" in logs
    assert token not in logs and token[:12] not in logs and token[-12:] not in logs


# ---------- 2. over-limit bodies: 413 on every route, any encoding ----------

@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_over_limit_bodies_are_413_with_a_json_error_on_every_route(http_server, base_env, chunked):
    token, _ = new_token(base_env)
    base, _ = http_server(dict(MAX_REQUEST_BODY_BYTES="4096"))
    big = b'{"pad": "' + b"x" * 20_000 + b'"}'
    for method, path in routes(token):
        status, _, body = raw(base, method, path, auth_headers(token), big, chunked=chunked)
        assert status == 413, (method, path, status, body[:200])
        assert "MAX_REQUEST_BODY_BYTES" in json_error(body), (path, body)


# ---------- 3. DNS rebinding: foreign Host, wrong port, foreign Origin ----------

def test_foreign_hosts_wrong_ports_and_foreign_origins_are_403_on_every_route(http_server, base_env):
    token, _ = new_token(base_env)
    base, _ = http_server()
    port = int(base.rsplit(":", 1)[1])
    bad_hosts = ["localhost", f"localhost:{port + 1}", f"127.0.0.1:{port + 1}", f"attacker.example:{port}", f"[::1]:{port + 1}", f"127.0.0.1.nip.io:{port}"]
    bad_origins = [f"http://localhost:{port + 1}", f"https://127.0.0.1:{port}", "http://evil.example", "null", f"http://127.0.0.1:{port}.evil.example"]
    body = json.dumps(INIT).encode()
    for method, path in routes(token):
        for host in bad_hosts:
            status, _, resp = raw(base, method, path, auth_headers(token), body, host=host)
            assert (status, json_error(resp)) == (403, "forbidden: Host not allowed"), (method, path, host)
        for origin in bad_origins:
            status, _, resp = raw(base, method, path, dict(auth_headers(token), Origin=origin), body)
            assert (status, json_error(resp)) == (403, "forbidden: Origin not allowed"), (method, path, origin)
    # Our own origin on our port is fine.
    status, _, _ = raw(base, "POST", "/v1/mcp", dict(auth_headers(token), Origin=f"http://127.0.0.1:{port}"), body)
    assert status == 200


# ---------- 4. attachment links die with their token ----------

def token_id_of(env, label):
    listed = subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=env, capture_output=True, text=True, check=True)
    return next(t["id"] for t in json.loads(listed.stdout) if t["label"] == label)


def test_attachment_links_stop_working_when_their_token_is_rotated_or_revoked(tg_env, http_server):
    token = cli_login(tg_env, A_PHONE, A_CODE, label="victim")
    token_id = token_id_of(tg_env, "victim")
    base, env = http_server(dict(tg_env, DOMAIN=DOMAIN))

    def link(tok):
        result = anyio.run(http_call, base, tok, "get_messages", {"chat_id": "@erin_e", "message_ids": [123]})
        url = structured(result)["messages"][0]["media"]["attachment_download_url"]
        assert url.startswith(f"https://{DOMAIN}/v1/attachments/")
        return url.split(DOMAIN, 1)[1]

    def fetch(path):
        return raw(base, "GET", path, host=DOMAIN)

    first = link(token)
    status, headers, body = fetch(first)
    assert status == 200 and headers["content-type"] == "application/pdf" and len(body) > 0
    health = json.loads(raw(base, "GET", "/health")[2])
    assert list(health["tickets"].values()) == [1] and token not in json.dumps(health)

    rotated = subprocess.run([binary("fast-mcp-telegram"), "token", "rotate", token_id], env=env, capture_output=True, text=True, check=True).stdout.strip()
    status, _, body = fetch(first)
    assert status == 410 and "revoked" in json_error(body)
    assert fetch(first)[0] == 404, "a dead ticket is forgotten"

    second = link(rotated)
    assert fetch(second)[0] == 200
    subprocess.run([binary("fast-mcp-telegram"), "token", "revoke", token_id], env=env, capture_output=True, check=True)
    status, _, body = fetch(second)
    assert status == 410 and "revoked" in json_error(body)
    assert json.loads(raw(base, "GET", "/health")[2])["tickets"] == {}


# ---------- 5. local-file tricks in stdio mode ----------

def stdio_params(env):
    return StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=env)


def test_local_file_tricks_are_refused_in_stdio_mode(tg_env, config_dir, tmp_path):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    (allowed / ".secret").mkdir(parents=True)
    outside.mkdir()
    (allowed / "ok.txt").write_bytes(b"fine " * 10)
    (allowed / ".secret" / "key").write_bytes(b"private key")
    (allowed / ".env").write_bytes(b"API_HASH=x")
    (outside / "loot.txt").write_bytes(b"outside")
    (allowed / "link.txt").symlink_to(outside / "loot.txt")
    (allowed / "dirlink").symlink_to(outside)
    os.mkfifo(allowed / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(allowed / "sock"))
    cases = {
        "/proc/self/environ": "system pseudo-file (/proc)",
        "/proc/self/mem": "system pseudo-file (/proc)",
        "/proc/self/fd/0": "is a symbolic link",
        "/etc/passwd": "is outside the folders files may be sent from (ALLOWED_FILE_ROOTS",
        "/dev/zero": "is a device, not a regular file",
        str(allowed / "link.txt"): "is a symbolic link",
        str(allowed / "dirlink" / "loot.txt"): "is outside the folders",
        str(allowed / "fifo"): "is a FIFO, not a regular file",
        str(allowed / "sock"): "is a socket, not a regular file",
        str(allowed / ".secret" / "key"): "hidden entry `.secret`",
        str(allowed / ".env"): "hidden entry `.env`",
        str(config_dir / "tokens.json"): "config dir",
        str(allowed / ".." / "outside" / "loot.txt"): "paths with `..` are refused",
        str(allowed / "nothing-here.txt"): "No such file",
        "ok.txt": "use an absolute path",
        "file:///etc/passwd": "URL scheme `file:` is not supported",
        str(allowed): "is a directory, not a regular file",
    }
    if os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled"):
        cases["/sys/kernel/mm/transparent_hugepage/enabled"] = "system pseudo-file (/sys)"
    sessions = sorted((config_dir / "sessions").glob("*.session"))
    assert sessions, "the logged-in session file exists (so its refusal is tested)"
    cases[str(sessions[0])] = "config dir"

    async def main():
        env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token, ALLOWED_FILE_ROOTS=str(allowed))
        async with stdio_client(stdio_params(env)) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            for path, expected in cases.items():
                with anyio.fail_after(20):
                    bad = await s.call_tool("send_message", {"chat_id": "me", "message": "x", "files": [path]})
                assert expected in error_of(bad), (path, error_of(bad))
            sent = structured(await s.call_tool("send_message", {"chat_id": "me", "message": "ok", "files": [str(allowed / "ok.txt")]}))
            assert sent["messages"][0]["media"]["file_name"] == "ok.txt"
    try:
        anyio.run(main)
    finally:
        sock.close()


def test_default_root_is_home_and_mcp_roots_replace_it(tg_env, tmp_path):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    home = tmp_path / "home"
    project = tmp_path / "project"
    (home / ".ssh").mkdir(parents=True)
    project.mkdir()
    (home / "doc.txt").write_bytes(b"home doc")
    (home / ".ssh" / "id_ed25519").write_bytes(b"key")
    (project / "plan.txt").write_bytes(b"project plan")
    env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token, HOME=str(home))
    send = lambda s, p: s.call_tool("send_message", {"chat_id": "me", "message": "x", "files": [str(p)]})

    async def without_roots():
        async with stdio_client(stdio_params(env)) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            assert structured(await send(s, home / "doc.txt"))["messages"][0]["media"]["file_name"] == "doc.txt"
            assert "hidden entry `.ssh`" in error_of(await send(s, home / ".ssh" / "id_ed25519"))
            assert "is outside the folders files may be sent from (ALLOWED_FILE_ROOTS" in error_of(await send(s, project / "plan.txt"))

    async def list_roots(_context):
        return types.ListRootsResult(roots=[types.Root(uri=project.as_uri(), name="project")])

    async def with_roots():
        async with stdio_client(stdio_params(env)) as (r, w), ClientSession(r, w, list_roots_callback=list_roots) as s:
            await s.initialize()
            assert structured(await send(s, project / "plan.txt"))["messages"][0]["media"]["file_name"] == "plan.txt"
            assert "the client's MCP roots" in error_of(await send(s, home / "doc.txt"))

    anyio.run(without_roots)
    anyio.run(with_roots)


# ---------- 6. raw API: spellings and wrappers of dangerous calls ----------

DANGEROUS_CALLS = [
    ("account.deleteAccount", {"reason": "x"}, "account.deleteAccount is blocked"),
    ("Account.DeleteAccount", {"reason": "x"}, "account.deleteAccount is blocked"),
    (" account.deleteAccount ", {"reason": "x"}, "account.deleteAccount is blocked"),
    ("functions.account.DeleteAccountRequest", {"reason": "x"}, "account.deleteAccount is blocked"),
    ("invokeWithoutUpdates", {"query": {"_": "account.deleteAccount", "reason": "x"}}, "account.deleteAccount is blocked"),
    ("payments.sendStarsForm", {"form_id": 1, "invoice": {"_": "inputInvoiceSlug", "slug": "x"}}, "payments.sendStarsForm is blocked"),
    ("payments.sendPaymentForm", {"form_id": 1, "invoice": {"_": "inputInvoiceSlug", "slug": "x"}, "credentials": {"_": "inputPaymentCredentialsSaved", "id": "x", "tmp_password": ""}}, "payments.sendPaymentForm is blocked"),
    ("auth.resetAuthorizations", {}, "auth.resetAuthorizations is blocked"),
    ("messages.sendMessage", {"peer": "me", "message": "hi", "random_id": 1, "allow_paid_stars": 100}, "with `allow_paid_stars` is blocked"),
]


@pytest.mark.parametrize("method,params,expected", DANGEROUS_CALLS, ids=[c[0].strip() + ("+" + next(iter(c[1])) if c[0] in ("invokeWithoutUpdates", "messages.sendMessage") else "") for c in DANGEROUS_CALLS])
def test_dangerous_raw_calls_are_refused_by_the_tool_and_the_bridge(http_server, base_env, method, params, expected):
    token, _ = new_token(base_env, access="full")
    base, _ = http_server()
    result = anyio.run(http_call, base, token, "invoke_mtproto", {"method": method, "params": params})
    assert expected in error_of(result)
    assert result.structured_content["action"] == "ask_user_to_allow_dangerous_mtproto"
    path = "/mtproto-api/" + method.replace(" ", "%20")
    status, _, body = raw(base, "POST", path, auth_headers(token), json.dumps(params).encode())
    assert status == 403 and expected in json_error(body), (status, body)
    # The reference bridge's "allow_dangerous" flag in the body lifts nothing.
    status, _, body = raw(base, "POST", path, auth_headers(token), json.dumps({"params": params, "allow_dangerous": True}).encode())
    assert status == 403 and expected in json_error(body)


def test_connection_wrappers_are_refused_whatever_they_wrap(http_server, base_env):
    token, _ = new_token(base_env, access="full")
    base, _ = http_server(dict(ALLOW_DANGEROUS_MTPROTO="true"))
    params = {"layer": 230, "query": {"_": "account.deleteAccount", "reason": "x"}}
    result = anyio.run(http_call, base, token, "invoke_mtproto", {"method": "invokeWithLayer", "params": params})
    assert "invokeWithLayer is managed by the MTProto connection" in error_of(result)
    status, _, body = raw(base, "POST", "/mtproto-api/invokeWithLayer", auth_headers(token), json.dumps(params).encode())
    assert status == 400 and "managed by the MTProto connection" in json_error(body)


# ---------- 7. SSRF through file URLs ----------

SSRF = {
    "https://127.0.0.1/x": "resolves to blocked address 127.0.0.1",
    "HTTPS://127.0.0.1/x": "resolves to blocked address 127.0.0.1",
    "https://169.254.169.254/latest/meta-data/": "169.254.169.254",
    "https://[::ffff:127.0.0.1]/x": "blocked address",
    "https://0x7f.1/x": "resolves to blocked address 127.0.0.1",
    "https://2130706433/x": "resolves to blocked address 127.0.0.1",
    "https://017700000001/x": "resolves to blocked address 127.0.0.1",
    "https://localhost/x": "host `localhost` is not allowed",
    "https://metadata.google.internal/x": "is not allowed",
    "http://example.com/x": "URL scheme `http` is not allowed",
    "https://user:pw@example.com/x": "embedded credentials",
    "file:///etc/passwd": "URL scheme `file:` is not supported",
    "gopher://127.0.0.1:6379/_INFO": "URL scheme `gopher:` is not supported",
}


def test_ssrf_forms_are_refused_with_the_reason(tg_env, http_server):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    base, _ = http_server(tg_env)

    async def main():
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with client, streamable_http_client(f"{base}/v1/mcp", http_client=client) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            for url, expected in SSRF.items():
                bad = await s.call_tool("send_message", {"chat_id": "me", "message": "x", "files": [url]})
                assert expected in error_of(bad), (url, error_of(bad))
            # A local path over HTTP is refused whatever it names.
            bad = await s.call_tool("send_message", {"chat_id": "me", "message": "x", "files": ["/proc/self/environ"]})
            assert "only allowed in stdio mode" in error_of(bad)
    anyio.run(main)


# ---------- 8. path traversal ----------

def test_traversal_paths_reach_nothing(http_server, base_env, config_dir):
    token, _ = new_token(base_env)
    base, _ = http_server()
    for path in ["/v1/attachments/..%2F..%2Ftokens.json", "/v1/attachments/../tokens.json", "/setup/..%2F..%2Ftokens.json", "/setup/../../tokens.json", "/tokens.json"]:
        status, _, body = raw(base, "GET", path)
        assert status == 404, (path, status)
        assert b'"tokens"' not in body and b"digest" not in body
    for bogus in ["..%2Ftokens.json", "..%2F..%2Fsettings.json", "%2e%2e%2fsessions"]:
        status, headers, _ = raw(base, "POST", f"/v1/url_auth/{bogus}/mcp", {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}, json.dumps(INIT).encode())
        assert status == 401 and headers["www-authenticate"].startswith("Bearer"), bogus
    assert (config_dir / "tokens.json").exists()


# ---------- 9. the owner socket: hostile peers ----------

def owner_socket(config_dir):
    """The socket the owner of `config_dir` published (it binds it just after its HTTP listener, so
    a moment after LISTENING it may not be there yet: bounded waiting for the file to say it)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            info = json.loads((config_dir / "agent.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            info = {}
        if info.get("socket") or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert info.get("kind") == "http" and info.get("socket"), info
    return info["socket"]


class Peer:
    """One raw connection to the owner socket, speaking its newline-delimited JSON by hand."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def send(self, data: bytes):
        self.s.sendall(data)

    def line(self):
        """The next line as JSON; None once the owner closed the connection."""
        raw_line = self.f.readline()
        return json.loads(raw_line) if raw_line else None

    def hello(self, **purpose):
        self.send(json.dumps({"protocol": 1, "client_version": "attacker", **purpose}).encode() + b"\n")
        return self.line()

    def close(self):
        self.f.close()
        self.s.close()


def control(path, command, args=None):
    peer = Peer(path)
    assert peer.hello(kind="control")["ok"]
    peer.send(json.dumps({"command": command, "args": args or {}}).encode() + b"\n")
    reply = peer.line()
    peer.close()
    return reply


def test_hostile_owner_socket_peers_are_refused_by_name_and_the_owner_serves_on(http_server, base_env, config_dir):
    http_server()
    path = owner_socket(config_dir)
    _, token_id = new_token(base_env, label="victim")
    before = control(path, "tokens_list")["ok"]

    def refused(send, code, why):
        peer = Peer(path)
        peer.send(send)
        reply = peer.line()
        assert reply and reply["ok"] is False and reply["error"]["code"] == code, (why, reply)
        assert peer.line() is None, f"{why}: the connection is closed after the refusal"
        peer.close()
        return reply["error"]["message"]

    refused(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "bad_hello", "an HTTP request")
    refused(b"{not json}\n", "bad_hello", "not JSON")
    refused(b'{"protocol": 1, "client_version": "x", "kind": "root"}\n', "bad_hello", "an unknown purpose")
    msg = refused(b'{"protocol": 99, "client_version": "x", "kind": "control"}\n', "protocol_mismatch", "another protocol")
    assert "protocol 1" in msg
    refused(json.dumps({"protocol": 1, "client_version": "x", "kind": "mcp", "token_id": "tok_000000000000"}).encode() + b"\n",
            "token_revoked", "an unknown token id")
    refused(json.dumps({"protocol": 1, "client_version": "x", "kind": "mcp", "token": "A" * 43}).encode() + b"\n",
            "token_revoked", "a well-formed secret this owner never issued")
    refused(json.dumps({"protocol": 1, "client_version": "x", "kind": "mcp", "token": "default"}).encode() + b"\n",
            "token_invalid", "a reserved name as a secret")
    # One line past the 8 MiB limit, without a newline: refused without reading on or holding it.
    refused(b"{" + b" " * (8 * 1024 * 1024 + 16), "bad_hello", "an over-long hello")

    # Fifty peers that connect and say nothing hold nobody up.
    silent = [Peer(path) for _ in range(50)]
    assert control(path, "status")["ok"]["tokens"] == len(before)
    for p in silent:
        p.close()

    # An AI client's connection (mcp) cannot run control commands: its lines are MCP JSON-RPC.
    peer = Peer(path)
    assert peer.hello(kind="mcp", token_id=token_id)["ok"]
    for command in ("token_create", "owner_shutdown", "settings_set"):
        peer.send(json.dumps({"command": command, "args": {"label": "smuggled"}}).encode() + b"\n")
        peer.send(json.dumps({"jsonrpc": "2.0", "id": 7, "method": command, "params": {"label": "smuggled"}}).encode() + b"\n")
    peer.send(json.dumps(INIT).encode() + b"\n")
    answers = []
    while not any(a.get("id") == 1 for a in answers):
        answers.append(peer.line())
    peer.close()
    assert all(a.get("error") for a in answers if a.get("id") == 7), answers
    assert any(a.get("id") == 1 and a.get("result") for a in answers), answers

    # Nothing changed, nothing stopped: the same tokens, and the owner answers.
    after = control(path, "tokens_list")["ok"]
    assert [t["id"] for t in after] == [t["id"] for t in before]
    assert not any(t["label"] == "smuggled" for t in after)
    assert control(path, "status")["ok"]["tokens"] == len(before)


# ---------- 11. cross-scope leaks: a token limited to one chat, through every door ----------

def dc_send(dc_proc, from_id, to_id, text):
    """Has the fake DC deliver (and push) a text message from `from_id` to chat `to_id`."""
    seen = len(dc_proc.lines)
    dc_proc.p.stdin.write(f"send {from_id} {to_id} push {text}\n")
    dc_proc.p.stdin.flush()
    for _ in range(2000):
        if any(line.startswith("SENT") for line in dc_proc.lines[seen:]):
            return
        dc_proc._drain.join(timeout=0.005)
    raise AssertionError(f"the DC did not send: {dc_proc.output()}")


def test_a_chat_scoped_token_reaches_no_other_chat_through_any_door(tg_env, http_server, fake_dc_proc):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    token_id = json.loads(subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env,
                                         capture_output=True, text=True, check=True).stdout)[-1]["id"]
    carol, family = 100003, -200008
    subprocess.run([binary("fast-mcp-telegram"), "token", "edit", token_id, "--access", "full", "--allow-chat", str(carol)],
                   env=tg_env, capture_output=True, text=True, check=True)
    base, _ = http_server(tg_env)

    async def call(tool, args):
        return await http_call(base, token, tool, args)

    # The other chat by id, by @username, as a reply target and as a forward source: refused.
    for tool, args in [
        ("get_messages", {"chat_id": family}),
        ("get_messages", {"chat_id": str(family)}),
        ("get_messages", {"chat_id": "@erin_e"}),
        ("get_chat_info", {"chat_id": family}),
        ("send_message", {"chat_id": family, "message": "x"}),
        ("forward_messages", {"from_chat_id": family, "to_chat_id": carol, "message_ids": [1]}),
        ("mark_read", {"chat_id": family}),
    ]:
        result = anyio.run(call, tool, args)
        assert result.is_error and result.structured_content["action"] == "ask_user_to_widen_token_policy", (tool, args, result)
    # Waiting for new messages: what arrives in other chats (and the login-code chat) never shows.
    start = structured(anyio.run(call, "wait_for_messages", {"timeout_seconds": 0}))["next_cursor"]
    for sender, chat, text in [(100005, 100001, "secret from erin"), (carol, family, "secret in family"),
                               (777000, 100001, "Login code 77777"), (carol, 100001, "hello alice")]:
        dc_send(fake_dc_proc, sender, chat, text)
    waited = structured(anyio.run(call, "wait_for_messages", {"cursor": start, "timeout_seconds": 30}))
    assert [m["text"] for m in waited["messages"]] == ["hello alice"], waited
    dc_send(fake_dc_proc, 100005, 100001, "another secret")
    rest = anyio.run(call, "wait_for_messages", {"cursor": waited["next_cursor"], "timeout_seconds": 1})
    assert "secret" not in json.dumps(rest.structured_content) and "missed_count" not in rest.structured_content, rest
    result = anyio.run(call, "wait_for_messages", {"chat_ids": [family], "timeout_seconds": 0})
    assert result.is_error and result.structured_content["action"] == "ask_user_to_widen_token_policy", result
    # Results that span chats name only Carol's chat.
    for tool, args in [("search_messages_globally", {"query": "a"}), ("find_chats", {"query": "ar"}),
                       ("get_inbox", {"include_muted": True})]:
        text = json.dumps(anyio.run(call, tool, args).structured_content)
        assert "200008" not in text and "Family" not in text, (tool, text[:500])
    # The raw API and the bridge, whatever the spelling and however the chat is named: refused
    # before Telegram is asked; calls naming no chat are refused (writes) or confined (listings).
    history = {"offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": 5, "max_id": 0, "min_id": 0, "hash": 0}
    named_elsewhere = [
        ("messages.getHistory", {**history, "peer": family}),
        ("Messages.GetHistory", {**history, "peer": str(family)}),
        ("messages.GetHistoryRequest", {**history, "peer": "@erin_e"}),
        ("messages.getHistory", {**history, "peer": {"_": "inputPeerChat", "chat_id": 200008}}),
        ("messages.getHistory", {**history, "peer": {"_": "InputPeerUser", "user_id": 100005, "access_hash": 0}}),
        ("messages.getFullChat", {"chat_id": 200008}),
        ("invokeWithoutUpdates", {"query": {"_": "messages.getHistory", **history, "peer": family}}),
        ("messages.sendMessage", {"peer": carol, "message": "x", "random_id": 5,
                                  "reply_to": {"_": "inputReplyToMessage", "reply_to_msg_id": 1,
                                               "reply_to_peer_id": family}}),
        ("messages.readMessageContents", {"id": [1, 2]}),
        ("contacts.getContacts", {"hash": 0}),
    ]
    for method, params in named_elsewhere:
        result = anyio.run(call, "invoke_mtproto", {"method": method, "params": params})
        assert result.is_error and result.structured_content.get("action") == "ask_user_to_widen_token_policy", \
            (method, result.structured_content)
        status, _, body = raw(base, "POST", f"/mtproto-api/{method}", auth_headers(token), json.dumps(params).encode())
        assert status == 403, (method, status, body)
    dialogs = {"offset_date": 0, "offset_id": 0, "offset_peer": {"_": "inputPeerEmpty"}, "limit": 100, "hash": 0}
    text = json.dumps(structured(anyio.run(call, "invoke_mtproto", {"method": "messages.getDialogs", "params": dialogs})))
    assert "200008" not in text and "Family" not in text and "Erin" not in text and "100003" in text, text[:800]
    status, _, body = raw(base, "POST", "/mtproto-api/messages.getDialogs", auth_headers(token), json.dumps(dialogs).encode())
    assert status == 200 and b"200008" not in body and b"Family" not in body, (status, body[:500])


def test_a_folder_scoped_token_reaches_no_chat_outside_its_folder_through_any_door(tg_env, http_server):
    """Account A's folder `Work` holds Dev Forum, Tech News and Tech News Chat (groups except
    muted ones, plus two included channels). Carol (a contact), Family Group (a group the folder
    leaves out because it is muted) and Helper Bot are outside it."""
    token = cli_login(tg_env, A_PHONE, A_CODE)
    token_id = json.loads(subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env,
                                         capture_output=True, text=True, check=True).stdout)[-1]["id"]
    subprocess.run([binary("fast-mcp-telegram"), "token", "edit", token_id, "--access", "full", "--allow-folder", "Work"],
                   env=tg_env, capture_output=True, text=True, check=True)
    dev_forum, tech_news, tech_chat = -1000000300010, -1000000300011, -1000000300012
    folder = {dev_forum, tech_news, tech_chat}
    carol, family, bot = 100003, -200008, 100006
    base, _ = http_server(tg_env)

    async def call(tool, args):
        return await http_call(base, token, tool, args)

    def refused(tool, args):
        result = anyio.run(call, tool, args)
        assert result.is_error and result.structured_content["action"] == "ask_user_to_widen_token_policy", (tool, args, result)

    # Inside the folder it works (so the refusals below are the scope, not a broken token).
    structured(anyio.run(call, "get_messages", {"chat_id": dev_forum, "limit": 1}))
    for outside in [carol, family, bot, str(family), "@carol", "@helper_bot", "me"]:
        refused("get_messages", {"chat_id": outside})
        refused("get_chat_info", {"chat_id": outside})
        refused("send_message", {"chat_id": outside, "message": "x"})
        refused("mark_read", {"chat_id": outside})
        refused("list_scheduled", {"chat_id": outside})
        refused("save_draft", {"chat_id": outside, "message": "x"})
    refused("forward_messages", {"from_chat_id": family, "to_chat_id": dev_forum, "message_ids": [1]})
    refused("forward_messages", {"from_chat_id": dev_forum, "to_chat_id": carol, "message_ids": [4]})
    refused("send_reaction", {"chat_id": carol, "message_id": 1, "emoji": "👍"})
    refused("pin_message", {"chat_id": family, "message_id": 1})
    refused("delete_messages", {"chat_id": carol, "message_ids": [1]})
    refused("send_message_to_phone", {"phone_number": "+15550003", "message": "x"})

    # Results that span chats name only the folder's chats.
    def chats_in(v):
        if isinstance(v, dict):
            if isinstance(v.get("chat"), dict) and "id" in v["chat"]:
                yield v["chat"]["id"]
            for c in v.get("chats", []) if isinstance(v.get("chats"), list) else []:
                if isinstance(c, dict) and "id" in c:
                    yield c["id"]
            for x in v.values():
                yield from chats_in(x)
        elif isinstance(v, list):
            for x in v:
                yield from chats_in(x)

    for tool, args in [("search_messages_globally", {"query": "a", "limit": 50}),
                       ("search_messages_globally", {"query": "pineapple, zebra, helper"}),
                       ("find_chats", {"query": "ar, family, helper, carol"}),
                       ("find_chats", {"min_date": "2000-01-01", "limit": 100}),
                       ("find_chats", {"filter": "Personal"}), ("find_chats", {"filter": "Bots"}),
                       ("get_inbox", {"include_muted": True, "include_archived": True}),
                       ("get_drafts", {})]:
        out = structured(anyio.run(call, tool, args))
        seen = set(chats_in(out))
        assert seen <= folder, (tool, args, seen - folder)
        text = json.dumps(out)
        assert "Family" not in text and "pineapple" not in text and "zebra" not in text and "Helper Bot" not in text, (tool, text[:500])
    # The raw API and the bridge: a chat outside the folder, however named, is refused before
    # Telegram is asked; a read naming no chat is refused or confined to the folder.
    history = {"offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": 5, "max_id": 0, "min_id": 0, "hash": 0}
    for method, params in [
        ("messages.getHistory", {**history, "peer": carol}),
        ("messages.getHistory", {**history, "peer": "@helper_bot"}),
        ("messages.getHistory", {**history, "peer": {"_": "inputPeerChat", "chat_id": 200008}}),
        ("messages.getFullChat", {"chat_id": 200008}),
        ("messages.getDialogFilters", {}),
    ]:
        result = anyio.run(call, "invoke_mtproto", {"method": method, "params": params})
        assert result.is_error and result.structured_content.get("action") == "ask_user_to_widen_token_policy", \
            (method, result.structured_content)
        status, _, body = raw(base, "POST", f"/mtproto-api/{method}", auth_headers(token), json.dumps(params).encode())
        assert status == 403, (method, status, body)
    structured(anyio.run(call, "invoke_mtproto", {"method": "messages.getHistory", "params": {**history, "peer": dev_forum}}))
    dialogs = {"offset_date": 0, "offset_id": 0, "offset_peer": {"_": "inputPeerEmpty"}, "limit": 100, "hash": 0}
    text = json.dumps(structured(anyio.run(call, "invoke_mtproto", {"method": "messages.getDialogs", "params": dialogs})))
    assert "Family" not in text and "Helper Bot" not in text and "200008" not in text and "300010" in text, text[:800]
