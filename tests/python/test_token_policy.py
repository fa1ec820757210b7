"""Scoped tokens with the official MCP SDK and the CLI: what a token may use, a policy edited from
the CLI reaching a running stdio client, the sensitive chats, and the activity log."""
import json
import subprocess

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import binary, cli_login

A_PHONE, A_CODE = "+15550001", "12345"
CAROL, FAMILY = 100003, -200008
READ_TOOLS = {"search_messages_globally", "get_messages", "find_chats", "get_chat_info", "get_inbox",
              "list_scheduled", "get_drafts", "wait_for_messages", "transcribe_voice"}
WIDEN = "ask_user_to_widen_token_policy"


def cli(env, *args):
    out = subprocess.run([binary("fast-mcp-telegram"), *args], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out


def login(env, **kw):
    """Logs account A in; returns (token, token id)."""
    token = cli_login(env, A_PHONE, A_CODE, **kw)
    listed = json.loads(cli(env, "token", "list", "--json").stdout)
    return token, listed[-1]["id"]


def deliver_login_code(dc_proc, code):
    seen = len(dc_proc.lines)
    dc_proc.p.stdin.write(f"login_code {A_PHONE} {code}\n")
    dc_proc.p.stdin.flush()
    for _ in range(2000):
        if any(line.startswith("DELIVERED") for line in dc_proc.lines[seen:]):
            return
        dc_proc._drain.join(timeout=0.005)
    raise AssertionError(f"the DC did not deliver: {dc_proc.output()}")


def test_a_read_token_over_stdio_then_narrowed_from_the_cli_while_connected(tg_env):
    _, token_id = login(tg_env)
    cli(tg_env, "token", "edit", token_id, "--access", "read")
    assert "read · all chats" in cli(tg_env, "token", "list").stdout

    async def main():
        params = StdioServerParameters(command=binary("fast-mcp-telegram"),
                                       args=["serve", "--transport", "stdio", "--token-id", token_id], env=tg_env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            assert {t.name for t in (await s.list_tools()).tools} == READ_TOOLS
            sent = await s.call_tool("send_message", {"chat_id": CAROL, "message": "hi"})
            assert sent.is_error and sent.structured_content["action"] == WIDEN, sent
            assert not (await s.call_tool("get_messages", {"chat_id": FAMILY, "limit": 1})).is_error
            # Narrowed from another process while this client stays connected: its next call follows.
            cli(tg_env, "token", "edit", token_id, "--allow-chat", str(CAROL))
            family = await s.call_tool("get_messages", {"chat_id": FAMILY, "limit": 1})
            assert family.is_error and "outside this token's chat scope" in family.structured_content["error"], family
            carol = await s.call_tool("get_messages", {"chat_id": CAROL, "limit": 1})
            assert not carol.is_error
    anyio.run(main)

    log = [json.loads(line) for line in cli(tg_env, "activity", "--json", "--token-id", token_id).stdout.splitlines()]
    assert [(e["tool"], e["outcome"]) for e in log] == [
        ("get_messages", "ok"), ("get_messages", "error"), ("get_messages", "ok"), ("send_message", "error")]
    assert log[1]["error_kind"] == "forbidden" and log[0]["chats"] == [CAROL]
    assert "hi" not in json.dumps([e.get("text") for e in log])


def test_the_login_code_chat_is_hidden_from_a_default_token(tg_env, fake_dc_proc):
    token, token_id = login(tg_env)
    deliver_login_code(fake_dc_proc, "66120")

    async def main():
        env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token)
        params = StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            direct = await s.call_tool("get_messages", {"chat_id": 777000})
            assert direct.is_error and "login codes" in direct.structured_content["error"]
            found = await s.call_tool("search_messages_globally", {"query": "Login code"})
            assert not found.is_error and "66120" not in json.dumps(found.structured_content)
            # Lifted for this token: now the assistant may read it.
            cli(tg_env, "token", "edit", token_id, "--allow-sensitive", "true")
            lifted = await s.call_tool("get_messages", {"chat_id": 777000})
            assert not lifted.is_error and "66120" in json.dumps(lifted.structured_content)
    anyio.run(main)


def test_a_client_that_can_ask_its_user_approves_or_declines_by_elicitation(tg_env):
    import mcp.types as types
    _, token_id = login(tg_env)
    cli(tg_env, "token", "edit", token_id, "--approval", "every-write")
    asked = []

    async def main():
        answers = iter([("accept", {"send": True}), ("decline", None)])

        async def elicit(context, params):
            asked.append(params.message)
            action, content = next(answers)
            return types.ElicitResult(action=action, content=content)

        params = StdioServerParameters(command=binary("fast-mcp-telegram"),
                                       args=["serve", "--transport", "stdio", "--token-id", token_id], env=tg_env)
        async with stdio_client(params) as (r, w), ClientSession(r, w, elicitation_callback=elicit) as s:
            await s.initialize()
            sent = await s.call_tool("send_message", {"chat_id": CAROL, "message": "asked and approved"})
            assert not sent.is_error, sent
            refused = await s.call_tool("send_message", {"chat_id": CAROL, "message": "asked and declined"})
            assert refused.is_error and refused.structured_content["action"] == "user_declined", refused
    anyio.run(main)
    assert len(asked) == 2 and "asked and approved" in asked[0] and "asked and declined" in asked[1], asked
    log = [json.loads(line) for line in cli(tg_env, "activity", "--json", "--tool", "send_message").stdout.splitlines()]
    assert [e["outcome"] for e in log] == ["error", "ok"]


def test_folders_set_from_the_cli_limit_a_connected_stdio_client(tg_env):
    """`--allow-folder` / `--deny-folder` by title or id, read by the running owner at the next call."""
    dev_forum, tech_chat, helper_bot = -1000000300010, -1000000300012, 100006
    _, token_id = login(tg_env)
    cli(tg_env, "token", "edit", token_id, "--allow-folder", "work", "--deny-folder", "2")
    listed = [t for t in json.loads(cli(tg_env, "token", "list", "--json").stdout) if t["id"] == token_id][0]
    assert listed["policy"]["allow_folders"] == [{"title": "work"}], listed
    assert listed["policy"]["deny_folders"] == [{"id": 2}], listed
    assert "write · 1 folder · 1 folder denied" in cli(tg_env, "token", "list").stdout

    async def main():
        params = StdioServerParameters(command=binary("fast-mcp-telegram"),
                                       args=["serve", "--transport", "stdio", "--token-id", token_id], env=tg_env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            tools = {t.name for t in (await s.list_tools()).tools}
            assert "invoke_mtproto" not in tools and "send_message_to_phone" not in tools
            # Folder 2 is `Work`: allowed by title, denied by id; deny wins.
            denied = await s.call_tool("get_messages", {"chat_id": dev_forum, "limit": 1})
            assert denied.is_error and 'in the folder id 2' in denied.structured_content["error"], denied
            cli(tg_env, "token", "edit", token_id, "--clear-deny")
            assert not (await s.call_tool("get_messages", {"chat_id": dev_forum, "limit": 1})).is_error
            assert not (await s.call_tool("get_messages", {"chat_id": "@technews_chat", "limit": 1})).is_error
            carol = await s.call_tool("get_messages", {"chat_id": CAROL, "limit": 1})
            assert carol.is_error and carol.structured_content["action"] == WIDEN, carol
            found = await s.call_tool("find_chats", {"min_date": "2000-01-01", "limit": 100})
            ids = {c["id"] for c in found.structured_content["chats"]}
            assert ids == {dev_forum, tech_chat, -1000000300011}, ids
            # Everything again, but never the `Personal` folder (Carol, Erin, Bob; not the bot it excludes).
            cli(tg_env, "token", "edit", token_id, "--all-chats", "--deny-folder", "Personal")
            carol = await s.call_tool("get_messages", {"chat_id": CAROL, "limit": 1})
            assert carol.is_error and 'in the folder "Personal"' in carol.structured_content["error"], carol
            assert not (await s.call_tool("get_messages", {"chat_id": helper_bot, "limit": 1})).is_error
            assert not (await s.call_tool("get_messages", {"chat_id": FAMILY, "limit": 1})).is_error
    anyio.run(main)
