"""A user of the Python fast-mcp-telegram server brings their login along: a real Telethon
session file (written by Telethon itself) carrying an authorization the fake DC knows is
imported with `fast-mcp-telegram import-session`, and its token keeps working through the
official MCP SDK."""
import re
import secrets
import subprocess

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession

from conftest import binary

A_ID = 100001


def dc_key(dc_proc, phone):
    """Asks the running fake DC (stdin command) for an auth key logged in to `phone`."""
    seen = len(dc_proc.lines)
    dc_proc.p.stdin.write(f"register_key {phone}\n")
    dc_proc.p.stdin.flush()
    # The DC answers on stdout, which the fixture's reader thread collects line by line.
    for _ in range(2000):
        for line in dc_proc.lines[seen:]:
            if line.startswith("KEY "):
                return bytes.fromhex(line.split()[1])
        dc_proc._drain.join(timeout=0.005)
    raise AssertionError(f"no key from the DC: {dc_proc.output()}")


def telethon_session(path_stem, addr, key):
    """Writes a session file exactly as Telethon does (SQLite, table `sessions`)."""
    host, port = addr.rsplit(":", 1)
    s = SQLiteSession(str(path_stem))
    s.set_dc(2, host, int(port))
    s.auth_key = AuthKey(key)
    s.save()
    s.close()
    return path_stem.with_suffix(".session")


def call_me(url, token):
    async def main():
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with client, streamable_http_client(url, http_client=client) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            res = await s.call_tool("get_chat_info", {"chat_id": "me"})
            assert not res.is_error, res
            return res.structured_content
    return anyio.run(main)


def test_a_telethon_session_named_by_its_token_imports_and_the_token_works(tg_env, fake_dc_proc, http_server, tmp_path):
    token = secrets.token_urlsafe(32)
    assert len(token) == 43
    path = telethon_session(tmp_path / token, fake_dc_proc.match.group(1), dc_key(fake_dc_proc, "+15550001"))
    out = subprocess.run([binary("fast-mcp-telegram"), "import-session", str(path)], env=tg_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert re.search(r"imported as session s_[0-9a-f]+ for .*token id: tok_", out.stderr), out.stderr
    assert token not in out.stdout + out.stderr, "the token is never printed back"
    base, _ = http_server(tg_env)
    assert call_me(f"{base}/v1/mcp", token)["id"] == A_ID
    # Importing the same file again is refused, and nothing new is created.
    again = subprocess.run([binary("fast-mcp-telegram"), "import-session", str(path)], env=tg_env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "already registered" in again.stderr, again.stderr


def test_a_telethon_session_with_another_name_gets_a_new_token(tg_env, fake_dc_proc, http_server, tmp_path):
    path = telethon_session(tmp_path / "my-account", fake_dc_proc.match.group(1), dc_key(fake_dc_proc, "+15550001"))
    base, _ = http_server(tg_env)
    out = subprocess.run([binary("fast-mcp-telegram"), "import-session", str(path), "--label", "old laptop"],
                         env=tg_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    new = out.stdout.strip()
    assert len(new) == 43
    assert call_me(f"{base}/v1/mcp", new)["id"] == A_ID


def setup_status(http_server):
    """`status` through the /setup API of the last started server (key from its SETUP line)."""
    import httpx2
    m = http_server.last.wait_for_line(r"SETUP (http://[^/]+)/setup#key=(\S+)")
    r = httpx2.post(f"{m.group(1)}/api/status", headers={"x-setup-key": m.group(2), "content-type": "application/json"},
                    content="{}")
    assert r.status_code == 200, r.text
    return r.json()


def test_python_server_logins_in_the_config_dir_are_offered_until_imported(tg_env, fake_dc_proc, http_server, config_dir):
    token = secrets.token_urlsafe(32)
    # The Python server keeps `{token}.session` at the top of the same config dir.
    path = telethon_session(config_dir / token, fake_dc_proc.match.group(1), dc_key(fake_dc_proc, "+15550001"))
    base, _ = http_server(tg_env)
    assert setup_status(http_server)["importable_sessions"] == [str(path)]
    out = subprocess.run([binary("fast-mcp-telegram"), "import-session", str(path)], env=tg_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert setup_status(http_server)["importable_sessions"] == []
    assert call_me(f"{base}/v1/mcp", token)["id"] == A_ID


def test_a_file_that_is_not_a_telethon_session_is_refused_cleanly(tg_env, tmp_path):
    bogus = tmp_path / "notes.session"
    bogus.write_text("hello")
    out = subprocess.run([binary("fast-mcp-telegram"), "import-session", str(bogus)], env=tg_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "not a readable Telethon session file" in out.stderr, out.stderr
    listed = subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env,
                            capture_output=True, text=True, timeout=60)
    assert listed.stdout.strip() == "[]", "nothing was created"
