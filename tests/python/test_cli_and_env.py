"""README claims checked through the real binary: `.env` loading, the DISABLE_AUTH warning,
`login --qr` in a terminal, `token show` without a keyring, and settings.json format versions."""
import json
import subprocess

import httpx2

from conftest import binary

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream"}
WARNING = "DISABLE_AUTH=true: the MCP endpoint accepts requests WITHOUT a token"


def test_env_file_in_the_working_directory_is_loaded_and_the_environment_wins(http_server, tmp_path):
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / ".env").write_text("# a developer's settings\nDISABLE_AUTH=true\n")
    base, _ = http_server(cwd=workdir)
    assert httpx2.post(f"{base}/v1/mcp", headers=HEADERS, json=INIT).status_code == 200, ".env switched auth off"
    proc = http_server.last
    proc.stop()
    assert WARNING in proc.output(), "development mode is announced loudly"
    # A variable set in the environment is not overridden by .env.
    base, _ = http_server(dict(DISABLE_AUTH="false"), cwd=workdir)
    assert httpx2.post(f"{base}/v1/mcp", headers=HEADERS, json=INIT).status_code == 401
    proc = http_server.last
    proc.stop()
    assert WARNING not in proc.output()
    # And without a .env (the tests' own working directory), auth is on.
    base, _ = http_server()
    assert httpx2.post(f"{base}/v1/mcp", headers=HEADERS, json=INIT).status_code == 401


def test_cli_login_qr_through_the_binary(tg_env, fake_dc_proc):
    login = subprocess.Popen(
        [binary("fast-mcp-telegram"), "login", "--qr", "--label", "qr-cli"],
        env=tg_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        seen = []
        for line in login.stderr:
            seen.append(line)
            if "Scan with Telegram" in line:
                break
        else:
            raise AssertionError("no QR code shown: " + "".join(seen))
        # The terminal QR is a picture; the phone "scans" the newest code the DC handed out.
        fake_dc_proc.p.stdin.write("scan_latest_qr +15550001\n")
        fake_dc_proc.p.stdin.flush()
        assert fake_dc_proc.wait_for_line(r"QR_SCANNED (\w+)").group(1) == "ok"
        out, err = login.communicate(timeout=60)
    finally:
        if login.poll() is None:
            login.kill()
    assert login.returncode == 0, "".join(seen) + err
    assert "Logged in as Alice" in err
    token = out.strip().splitlines()[-1]
    assert len(token) == 43
    listed = json.loads(subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env,
                                       capture_output=True, text=True, check=True).stdout)
    rec = next(t for t in listed if t["label"] == "qr-cli")
    assert "Alice" in (rec["account"] or ""), rec


def test_token_show_without_a_keyring_says_why(base_env):
    base_env = dict(base_env, DBUS_SESSION_BUS_ADDRESS="disabled:")  # no keyring, even on a desktop
    new = subprocess.run([binary("fast-mcp-telegram"), "token", "new", "--label", "shown-once"], env=base_env,
                         capture_output=True, text=True, check=True)
    assert "only time the token is shown" in new.stderr
    token_id = new.stderr.split("token id: ")[1].split()[0]
    show = subprocess.run([binary("fast-mcp-telegram"), "token", "show", token_id], env=base_env,
                          capture_output=True, text=True)
    assert show.returncode != 0
    assert show.stdout == "", "nothing that looks like a token is printed"
    assert "no OS keyring is available: tokens are shown once only; rotate the token to get a new one" in show.stderr


def test_a_settings_file_from_a_newer_version_stops_the_binary_and_is_left_as_it_is(base_env, config_dir):
    settings = config_dir / "settings.json"
    text = '{"format_version": 2, "API_ID": "12345", "NEW_THING": {"from": "the future"}}'
    settings.write_text(text)
    for args in (["token", "list"], ["serve", "--transport", "http", "--port", "0"]):
        out = subprocess.run([binary("fast-mcp-telegram"), *args], env=base_env, capture_output=True, text=True, timeout=60)
        assert out.returncode != 0, (args, out.stdout)
        assert str(settings) in out.stderr and "newer version" in out.stderr, out.stderr
    assert settings.read_text() == text
    # An unversioned file (from before versions) is read as format 1.
    settings.write_text('{"MAX_FILE_SIZE_MB": "7"}')
    out = subprocess.run([binary("fast-mcp-telegram"), "token", "list"], env=base_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_token_new_same_session_as_shares_one_telegram_login_through_the_binary(tg_env, http_server, config_dir):
    import anyio
    from mcp import ClientSession
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    from conftest import cli_login

    first = cli_login(tg_env, "+15550001", "12345", label="first")
    listed = json.loads(subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env,
                                       capture_output=True, text=True, check=True).stdout)
    first_id = listed[0]["id"]
    new = subprocess.run([binary("fast-mcp-telegram"), "token", "new", "--label", "second", "--same-session-as", first_id],
                         env=tg_env, capture_output=True, text=True, timeout=60)
    assert new.returncode == 0, new.stderr
    second = new.stdout.strip()
    assert len(second) == 43 and second != first
    listed = {t["label"]: t for t in json.loads(subprocess.run(
        [binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env, capture_output=True, text=True, check=True).stdout)}
    assert listed["second"]["session_id"] == listed["first"]["session_id"], listed
    assert len(list((config_dir / "sessions").glob("*.session"))) == 1, "no second Telegram login"
    # A token for a session that does not exist is refused, and makes nothing.
    bad = subprocess.run([binary("fast-mcp-telegram"), "token", "new", "--same-session-as", "tok_0000000000000000"],
                         env=tg_env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "tok_0000000000000000" in bad.stderr, bad.stderr
    assert len(json.loads(subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=tg_env,
                                         capture_output=True, text=True, check=True).stdout)) == 2

    base, _ = http_server(tg_env)

    async def me(token):
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with client, streamable_http_client(f"{base}/v1/mcp", http_client=client) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            res = await s.call_tool("get_chat_info", {"chat_id": "me"})
            assert not res.is_error, res
            return res.structured_content["id"]

    # Both act as the same account, without logging in again.
    assert anyio.run(me, first) == anyio.run(me, second) == 100001
