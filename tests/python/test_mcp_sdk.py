"""The official MCP Python SDK talks to our server over stdio and streamable HTTP."""
import json

import anyio
import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
from mcp.shared.exceptions import MCPError

from conftest import binary, cli_login, new_token

EXPECTED_TOOLS = {
    "search_messages_globally", "get_messages", "send_message", "edit_message",
    "find_chats", "get_chat_info", "send_message_to_phone", "invoke_mtproto",
    "get_inbox", "mark_read", "delete_messages", "forward_messages", "send_reaction",
    "pin_message", "unpin_message", "list_scheduled", "delete_scheduled",
    "save_draft", "get_drafts", "wait_for_messages", "transcribe_voice",
}
# A new token has write access: every tool but the raw API.
NEW_TOKEN_TOOLS = EXPECTED_TOOLS - {"invoke_mtproto"}


async def _list_tools(session: ClientSession):
    init = await session.initialize()
    assert init.server_info.name == "fast-mcp-telegram"
    tools = (await session.list_tools()).tools
    return {t.name: t for t in tools}


def test_stdio_initialize_and_list_tools(base_env):
    async def main():
        params = StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=base_env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            tools = await _list_tools(s)
            assert set(tools) == EXPECTED_TOOLS
            assert tools["get_messages"].annotations.read_only_hint is True
            assert tools["send_message"].annotations.destructive_hint is True
            assert "chat_id" in tools["get_messages"].input_schema["required"]
    anyio.run(main)


def _http_list(url, headers, statuses=None):
    async def main():
        client = create_mcp_http_client(headers=headers)
        if statuses is not None:
            async def seen(response):
                statuses.append(response.status_code)
            client.event_hooks["response"].append(seen)
        async with client, streamable_http_client(url, http_client=client) as (r, w), ClientSession(r, w) as s:
            return await _list_tools(s)
    return anyio.run(main)


def test_http_with_bearer_header_and_url_auth(http_server, base_env):
    token, _ = new_token(base_env, access="full")
    base, _ = http_server()
    assert set(_http_list(f"{base}/v1/mcp", {"Authorization": f"Bearer {token}"})) == EXPECTED_TOOLS
    assert set(_http_list(f"{base}/v1/url_auth/{token}/mcp", {})) == EXPECTED_TOOLS
    # Each token sees the tools its access allows: a new token is read + write, no raw API.
    writer, _ = new_token(base_env)
    assert set(_http_list(f"{base}/v1/mcp", {"Authorization": f"Bearer {writer}"})) == NEW_TOKEN_TOOLS
    reader, _ = new_token(base_env, access="read")
    assert set(_http_list(f"{base}/v1/mcp", {"Authorization": f"Bearer {reader}"})) == {
        "search_messages_globally", "get_messages", "find_chats", "get_chat_info",
        "get_inbox", "list_scheduled", "get_drafts", "wait_for_messages", "transcribe_voice"}


def _leaves(group):
    if isinstance(group, BaseExceptionGroup):
        return [leaf for e in group.exceptions for leaf in _leaves(e)]
    return [group]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer telegram"}, {"Authorization": "Bearer " + "A" * 43}])
def test_http_refuses_missing_reserved_and_unknown_tokens(http_server, headers):
    base, _ = http_server()
    # The SDK cannot even initialize: its one request is answered 401, and it reports an MCP error.
    statuses = []
    with pytest.raises(BaseExceptionGroup) as raised:
        _http_list(f"{base}/v1/mcp", headers, statuses)
    leaves = _leaves(raised.value)
    assert leaves and all(isinstance(e, MCPError) for e in leaves), leaves
    assert statuses == [401]
    # The raw endpoint says why, with a Bearer challenge.
    r = httpx2.post(f"{base}/v1/mcp", headers=headers, json={})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_url_auth_token_never_reaches_the_logs(http_server, base_env):
    token, _ = new_token(base_env, access="full")
    base, _ = http_server(dict(LOG_LEVEL="debug"))
    assert set(_http_list(f"{base}/v1/url_auth/{token}/mcp", {})) == EXPECTED_TOOLS
    httpx2.post(f"{base}/v1/url_auth/telegram/mcp", json={})
    proc = http_server.last
    proc.stop()
    logs = proc.output()
    assert "/v1/url_auth/<redacted>/mcp" in logs
    assert token not in logs and token[:10] not in logs
    assert "reserved session name" in logs


def test_cli_token_lifecycle(tg_env, http_server, config_dir):
    import subprocess
    base_env = tg_env
    # A logged-in token, so that `revoke --delete-session` has a session file to delete.
    token = cli_login(tg_env, "+15550001", "12345", label="lifecycle")
    listed = subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=base_env, capture_output=True, text=True, check=True)
    token_id = next(t["id"] for t in json.loads(listed.stdout) if t["label"] == "lifecycle")
    session_file = config_dir / "sessions" / (next(t["session_id"] for t in json.loads(listed.stdout) if t["id"] == token_id) + ".session")
    assert session_file.exists()
    base, _ = http_server(tg_env)
    auth = lambda t: {"Authorization": f"Bearer {t}", "Accept": "application/json, text/event-stream"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    assert httpx2.post(f"{base}/v1/mcp", headers=auth(token), json=init).status_code == 200
    listed = subprocess.run([binary("fast-mcp-telegram"), "token", "list", "--json"], env=base_env, capture_output=True, text=True, check=True)
    assert token_id in listed.stdout and token not in listed.stdout
    rotated = subprocess.run([binary("fast-mcp-telegram"), "token", "rotate", token_id], env=base_env, capture_output=True, text=True, check=True).stdout.strip()
    assert len(rotated) == 43 and rotated != token
    assert httpx2.post(f"{base}/v1/mcp", headers=auth(token), json=init).status_code == 401
    assert httpx2.post(f"{base}/v1/mcp", headers=auth(rotated), json=init).status_code == 200
    subprocess.run([binary("fast-mcp-telegram"), "token", "revoke", token_id, "--delete-session"], env=base_env, check=True, capture_output=True)
    assert httpx2.post(f"{base}/v1/mcp", headers=auth(rotated), json=init).status_code == 401
    assert not session_file.exists(), "--delete-session deleted the session file"
    bad = subprocess.run([binary("fast-mcp-telegram"), "token", "rotate", "tok_nope"], env=base_env, capture_output=True, text=True)
    assert bad.returncode != 0 and "no token with id" in bad.stderr
    bad_env = subprocess.run([binary("fast-mcp-telegram"), "token", "list"], env=dict(base_env, PORT="99999"), capture_output=True, text=True)
    assert bad_env.returncode == 2 and "PORT" in bad_env.stderr
