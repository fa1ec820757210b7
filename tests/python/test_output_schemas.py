"""Every tool declares an outputSchema, and its real results against the fake DC validate against it."""
import json
import subprocess
from datetime import datetime, timedelta, timezone

import anyio
import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import binary, cli_login

A_PHONE, A_CODE = "+15550001", "12345"
CAROL_PHONE = "+15550003"

# (tool, arguments): every tool, with arguments that reach the varied shapes (media, forums, threads, channels).
CALLS = [
    ("get_chat_info", {"chat_id": "me"}),
    ("get_chat_info", {"chat_id": "@technews"}),
    ("get_messages", {"chat_id": "@erin_e", "limit": 20}),
    ("get_messages", {"chat_id": "@carol", "query": "zebra", "include_total_count": True}),
    ("get_messages", {"chat_id": "@carol", "message_ids": [3, 999999]}),
    ("get_messages", {"chat_id": "@technews", "limit": 5}),
    ("search_messages_globally", {"query": "zebra", "limit": 5}),
    ("find_chats", {"query": "tech"}),
    ("find_chats", {"query": "carol", "chat_type": ["private", "bot"]}),
    ("send_message", {"chat_id": "me", "message": "schema **check**"}),
    ("send_message_to_phone", {"phone_number": CAROL_PHONE, "message": "by phone"}),
    ("invoke_mtproto", {"method": "users.getFullUser", "params": {"id": "me"}}),
    ("get_inbox", {"include_muted": True, "include_archived": True}),
    ("mark_read", {"chat_id": "@carol", "max_id": 110}),
    ("mark_read", {"chat_id": "@carol", "only": "reactions"}),
    ("wait_for_messages", {"timeout_seconds": 0}),
    ("transcribe_voice", {"chat_id": "@erin_e", "message_id": 124}),
]


def test_every_tool_declares_an_output_schema_that_its_results_satisfy(tg_env):
    token = cli_login(tg_env, A_PHONE, A_CODE, access="full")

    async def main():
        env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token)
        params = StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            tools = {t.name: t for t in (await s.list_tools()).tools}
            schemas = {name: t.output_schema for name, t in tools.items()}
            assert all(schemas.values()), [n for n, sc in schemas.items() if not sc]
            for sc in schemas.values():
                jsonschema.Draft202012Validator.check_schema(sc)
            called = set()

            async def check(name, args):
                # The SDK validates structured content against the declared schema itself; check again explicitly.
                result = await s.call_tool(name, args)
                assert not result.is_error, (name, args, result)
                jsonschema.validate(result.structured_content, schemas[name])
                called.add(name)
                return result.structured_content

            for name, args in CALLS:
                await check(name, args)
            sent = await check("send_message", {"chat_id": "me", "message": "to edit"})
            await check("edit_message", {"chat_id": "me", "message_id": sent["messages"][0]["id"], "message": "edited"})
            fwd = await check("forward_messages", {"from_chat_id": "@erin_e", "message_ids": [121, 122, 123], "to_chat_id": "me"})
            target = {"chat_id": "me", "message_id": fwd["messages"][0]["id"]}
            await check("send_reaction", dict(target, emoji="👍"))
            await check("pin_message", target)
            read = await check("get_messages", {"chat_id": "me", "limit": 5})
            assert any(m.get("pinned") and m.get("reactions") for m in read["messages"]), read
            await check("unpin_message", target)
            await check("delete_messages", {"chat_id": "me", "message_ids": [target["message_id"]], "revoke": True})
            later = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0).isoformat()
            scheduled = await check("send_message", {"chat_id": "me", "message": "later", "schedule_date": later})
            assert scheduled["status"] == "scheduled", scheduled
            await check("list_scheduled", {"chat_id": "me"})
            await check("delete_scheduled", {"chat_id": "me", "message_ids": [scheduled["messages"][0]["id"]]})
            await check("save_draft", {"chat_id": "@carol", "message": "draft **text**", "reply_to_id": 3})
            drafts = await check("get_drafts", {})
            assert [d["chat"]["username"] for d in drafts["drafts"]] == ["carol"], drafts
            assert called == set(tools), set(tools) - called

    anyio.run(main)


def test_numeric_chat_ids_from_results_work_over_stdio(tg_env):
    token = cli_login(tg_env, A_PHONE, A_CODE)

    async def main():
        env = dict(tg_env, FAST_MCP_TELEGRAM_TOKEN=token)
        params = StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"], env=env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            found = await s.call_tool("find_chats", {"query": "carol"})
            carol = found.structured_content["chats"][0]["id"]
            assert isinstance(carol, int)
            msgs = await s.call_tool("get_messages", {"chat_id": carol, "limit": 2})
            assert not msgs.is_error, msgs
            assert msgs.structured_content["chat"]["id"] == carol, json.dumps(msgs.structured_content)

    anyio.run(main)
