"""Tools end to end with the official MCP Python SDK: SDK -> our binary -> grammers -> fake DC binary."""
import json

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from conftest import binary, cli_login

A_PHONE, A_CODE, A_ID = "+15550001", "12345", 100001
B_PHONE, B_CODE, B_PASSWORD, B_ID = "+15550002", "22222", "hunter2", 100002


def structured(result):
    assert not result.is_error, result
    return result.structured_content or json.loads(result.content[0].text)


def test_stdio_tools_on_the_token_session(tg_env):
    token = cli_login(tg_env, A_PHONE, A_CODE)

    async def main():
        env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token)
        params = StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            me = structured(await s.call_tool("get_chat_info", {"chat_id": "me"}))
            assert me["id"] == A_ID
            zebra = structured(await s.call_tool("get_messages", {"chat_id": "@carol", "query": "zebra"}))
            assert len(zebra["messages"]) == 4
            sent = structured(await s.call_tool("send_message", {"chat_id": "me", "message": "from **python**"}))
            assert sent["messages"][0]["text"] == "from **python**"
            found = structured(await s.call_tool("search_messages_globally", {"query": "python"}))
            assert any(m["id"] == sent["messages"][0]["id"] for m in found["messages"])
            chats = structured(await s.call_tool("find_chats", {"query": "tech", "chat_type": "channel"}))
            assert [c["username"] for c in chats["chats"]] == ["technews"]
            bad = await s.call_tool("get_messages", {"chat_id": "@carol", "min_date": "not a date"})
            assert bad.is_error and "min_date" in bad.content[0].text
    anyio.run(main)


def test_http_two_accounts_concurrently_never_mix(tg_env, http_server):
    token_a = cli_login(tg_env, A_PHONE, A_CODE, label="alice")
    token_b = cli_login(tg_env, B_PHONE, B_CODE, B_PASSWORD, label="bob")
    base, _ = http_server(tg_env)

    async def saved(token, out):
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with client, streamable_http_client(f"{base}/v1/mcp", http_client=client) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            me = structured(await s.call_tool("get_chat_info", {"chat_id": "me"}))
            msgs = structured(await s.call_tool("get_messages", {"chat_id": "me"}))
            out[token] = (me["id"], " ".join(m["text"] for m in msgs["messages"]))

    async def main():
        out = {}
        async with anyio.create_task_group() as tg:
            tg.start_soon(saved, token_a, out)
            tg.start_soon(saved, token_b, out)
        return out

    out = anyio.run(main)
    assert out[token_a][0] == A_ID and "buy milk" in out[token_a][1] and "walnut" not in out[token_a][1]
    assert out[token_b][0] == B_ID and "walnut" in out[token_b][1] and "buy milk" not in out[token_b][1]


def test_stdio_local_files_allowed_but_never_from_the_config_dir(tg_env, config_dir, tmp_path):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    note = tmp_path / "note.txt"
    note.write_bytes(b"local file body " * 100)

    async def main():
        # Local files come only from allowed folders; this test allows its own temporary folder.
        env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token, ALLOWED_FILE_ROOTS=str(tmp_path))
        params = StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            sent = structured(await s.call_tool("send_message", {"chat_id": "me", "message": "with file", "files": [str(note)]}))
            assert sent["messages"][0]["media"]["file_name"] == "note.txt"
            assert sent["messages"][0]["media"]["size_bytes"] == 1600
            sessions = sorted((config_dir / "sessions").glob("*.session"))
            assert sessions, "the logged-in session file exists (so its refusal below is tested)"
            for secret in [config_dir / "tokens.json", sessions[0]]:
                bad = await s.call_tool("send_message", {"chat_id": "me", "message": "x", "files": [str(secret)]})
                assert bad.is_error and "config dir" in bad.content[0].text, bad
            rel = await s.call_tool("send_message", {"chat_id": "me", "message": "x", "files": ["note.txt"]})
            assert rel.is_error and "absolute" in rel.content[0].text
    anyio.run(main)
