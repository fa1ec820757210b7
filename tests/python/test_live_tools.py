"""wait_for_messages and transcribe_voice with the official MCP Python SDK: SDK -> our binary -> grammers -> fake DC.

The message another account sends travels as Telegram's would: Bob's session sends it through our
server, the fake DC pushes it to Alice's connection, grammers' update stream hands it to the buffer
that Alice's waiting call reads.
"""
import json

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from conftest import cli_login

A_PHONE, A_CODE, A_ID = "+15550001", "12345", 100001
B_PHONE, B_CODE, B_PASSWORD, B_ID = "+15550002", "22222", "hunter2", 100002


def structured(result):
    assert not result.is_error, result
    return result.structured_content or json.loads(result.content[0].text)


class Sessions:
    """One MCP session per token over streamable HTTP, opened together."""

    def __init__(self, base, tokens):
        self.base, self.tokens, self.s = base, tokens, {}

    async def __aenter__(self):
        from contextlib import AsyncExitStack
        self.stack = AsyncExitStack()
        for name, token in self.tokens.items():
            client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
            await self.stack.enter_async_context(client)
            r, w = await self.stack.enter_async_context(streamable_http_client(f"{self.base}/v1/mcp", http_client=client))
            s = await self.stack.enter_async_context(ClientSession(r, w))
            await s.initialize()
            self.s[name] = s
        return self.s

    async def __aexit__(self, *exc):
        await self.stack.aclose()


async def collect(s, cursor, n):
    """Waits from `cursor` until `n` messages came; returns (messages, cursor). Fails on a repeat."""
    got = []
    while len(got) < n:
        v = structured(await s.call_tool("wait_for_messages", {"cursor": cursor, "timeout_seconds": 30}))
        assert not v["timed_out"], got
        for m in v["messages"]:
            assert (m["chat"]["id"], m["id"]) not in [(g["chat"]["id"], g["id"]) for g in got], m
            got.append(m)
        cursor = v["next_cursor"]
    return got, cursor


def test_wait_for_messages_receives_what_another_account_sends_while_it_waits(tg_env, http_server):
    alice = cli_login(tg_env, A_PHONE, A_CODE, label="alice")
    bob = cli_login(tg_env, B_PHONE, B_CODE, B_PASSWORD, label="bob")
    base, _ = http_server(tg_env)

    async def main():
        async with Sessions(base, {"alice": alice, "bob": bob}) as s:
            now = structured(await s["alice"].call_tool("wait_for_messages", {"timeout_seconds": 0}))
            assert now["messages"] == [] and now["timed_out"] is True, now
            out = {}

            async def wait():
                out["waited"] = structured(await s["alice"].call_tool(
                    "wait_for_messages", {"cursor": now["next_cursor"], "timeout_seconds": 60}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(wait)
                structured(await s["bob"].call_tool("send_message", {"chat_id": "@alice_a", "message": "ping from bob"}))
            waited = out["waited"]
            assert [m["text"] for m in waited["messages"]] == ["ping from bob"], waited
            assert waited["messages"][0]["chat"]["id"] == B_ID and waited["messages"][0]["sender"]["id"] == B_ID
            # Two more while nobody waits: the cursor picks them up, in order, once each.
            for text in ["second", "third"]:
                structured(await s["bob"].call_tool("send_message", {"chat_id": "@alice_a", "message": text}))
            more, cursor = await collect(s["alice"], waited["next_cursor"], 2)
            assert [m["text"] for m in more] == ["second", "third"]
            idle = structured(await s["alice"].call_tool("wait_for_messages", {"cursor": cursor, "timeout_seconds": 1}))
            assert idle["messages"] == [] and idle["timed_out"] is True and idle["has_more"] is False, idle
            # Watching only another chat: Bob's next message is not for this call.
            structured(await s["bob"].call_tool("send_message", {"chat_id": "@alice_a", "message": "fourth"}))
            other = structured(await s["alice"].call_tool(
                "wait_for_messages", {"cursor": cursor, "chat_ids": ["@carol"], "timeout_seconds": 1}))
            assert other["messages"] == [] and other["timed_out"] is True, other

    anyio.run(main)


def test_transcribe_voice_for_premium_and_clear_errors_otherwise(tg_env, http_server):
    alice = cli_login(tg_env, A_PHONE, A_CODE, label="alice")
    bob = cli_login(tg_env, B_PHONE, B_CODE, B_PASSWORD, label="bob")
    base, _ = http_server(tg_env)

    async def main():
        async with Sessions(base, {"alice": alice, "bob": bob}) as s:
            first = structured(await s["alice"].call_tool("transcribe_voice", {"chat_id": "@erin_e", "message_id": 124}))
            assert first["status"] == "pending" and first["text"] == "Hi Alice, it is Erin. Call", first
            done = structured(await s["alice"].call_tool("transcribe_voice", {"chat_id": "@erin_e", "message_id": 124}))
            assert done["status"] == "done" and done["text"] == "Hi Alice, it is Erin. Call me back about the zebra trip."
            assert done["transcription_id"] == first["transcription_id"]
            not_voice = await s["alice"].call_tool("transcribe_voice", {"chat_id": "@erin_e", "message_id": 121})
            assert not_voice.is_error and "not a voice message" in not_voice.structured_content["error"], not_voice
            # Bob has no Premium: the voice note Alice forwards him cannot be transcribed for him.
            structured(await s["alice"].call_tool(
                "forward_messages", {"from_chat_id": "@erin_e", "message_ids": [124], "to_chat_id": "@bob_b"}))
            latest = structured(await s["bob"].call_tool("get_messages", {"chat_id": "@alice_a", "limit": 1}))
            voice_id = latest["messages"][0]["id"]
            no_premium = await s["bob"].call_tool("transcribe_voice", {"chat_id": "@alice_a", "message_id": voice_id})
            body = no_premium.structured_content
            assert no_premium.is_error and body["action"] == "needs_telegram_premium", body
            assert body["telegram_error"] == "PREMIUM_ACCOUNT_REQUIRED" and "Premium" in body["error"], body

    anyio.run(main)
