"""Chats as MCP resources and the prompts, with the official MCP Python SDK over stdio (SDK -> our
relay -> the owner -> grammers -> fake DC): a chat-limited token lists and reads only its chats, and a
subscription hears of a new message in its chat."""
import json

import anyio
import pytest
from mcp import ClientSession, MCPError, StdioServerParameters, types
from mcp.client.stdio import stdio_client

from conftest import binary, cli_login

A_PHONE, A_CODE = "+15550001", "12345"
CAROL, FAMILY, ERIN = 100003, -200008, 100005


def cli(env, *args):
    import subprocess
    return subprocess.run([binary("fast-mcp-telegram"), *args], env=env, capture_output=True, text=True, check=True)


def token_id(env):
    return json.loads(cli(env, "token", "list", "--json").stdout)[-1]["id"]


def dc_send(dc_proc, from_id, to_id, text):
    seen = len(dc_proc.lines)
    dc_proc.p.stdin.write(f"send {from_id} {to_id} push {text}\n")
    dc_proc.p.stdin.flush()
    for _ in range(2000):
        if any(line.startswith("SENT") for line in dc_proc.lines[seen:]):
            return
        dc_proc._drain.join(timeout=0.005)
    raise AssertionError(f"the DC did not send: {dc_proc.output()}")


def stdio(env, token):
    return StdioServerParameters(command=binary("fast-mcp-telegram"), args=["serve", "--transport", "stdio"],
                                 env=dict(env, FAST_MCP_TELEGRAM_TOKEN=token))


def test_a_chat_limited_token_lists_and_reads_only_its_chats(tg_env):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    cli(tg_env, "token", "edit", token_id(tg_env), "--access", "read", "--allow-chat", str(CAROL))

    async def main():
        async with stdio_client(stdio(tg_env, token)) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            listed = await s.list_resources()
            assert [str(x.uri) for x in listed.resources] == [f"telegram://chat/{CAROL}"], listed
            templates = await s.list_resource_templates()
            assert [t.uri_template for t in templates.resource_templates] == ["telegram://chat/{chat_id}"]
            read = await s.read_resource(f"telegram://chat/{CAROL}")
            body = json.loads(read.contents[0].text)
            assert body["messages"][0]["text"] == "Carol history message 120 zebra", body["messages"][0]
            assert len(body["messages"]) == 20
            for other in [FAMILY, ERIN, 777000]:
                with pytest.raises(MCPError) as refused:
                    await s.read_resource(f"telegram://chat/{other}")
                # The same refusal as the tools give, its body as the error's data.
                assert refused.value.error.data["action"] == "ask_user_to_widen_token_policy", refused.value
            with pytest.raises(MCPError):
                await s.read_resource("telegram://chat/not-a-number")

    anyio.run(main)


def test_a_full_token_sees_its_dialogs_and_a_subscription_hears_of_new_messages(tg_env, fake_dc_proc):
    token = cli_login(tg_env, A_PHONE, A_CODE)
    updated = []

    async def main():
        heard = anyio.Event()

        async def on_message(message):
            if isinstance(message, types.ServerNotification) and isinstance(message, types.ResourceUpdatedNotification):
                updated.append(str(message.params.uri))
                heard.set()
            elif isinstance(getattr(message, "root", None), types.ResourceUpdatedNotification):
                updated.append(str(message.root.params.uri))
                heard.set()

        async with stdio_client(stdio(tg_env, token)) as (r, w), ClientSession(r, w, message_handler=on_message) as s:
            await s.initialize()
            uris = [str(x.uri) for x in (await s.list_resources()).resources]
            assert f"telegram://chat/{CAROL}" in uris and f"telegram://chat/{FAMILY}" in uris, uris
            await s.subscribe_resource(f"telegram://chat/{CAROL}")
            dc_send(fake_dc_proc, ERIN, 100001, "not for this subscription")
            dc_send(fake_dc_proc, CAROL, 100001, "new from carol")
            with anyio.fail_after(30):
                await heard.wait()
            read = await s.read_resource(f"telegram://chat/{CAROL}")
            assert json.loads(read.contents[0].text)["messages"][0]["text"] == "new from carol"
            prompts = await s.list_prompts()
            assert sorted(p.name for p in prompts.prompts) == ["draft_reply", "summarize_unread"]
            draft = await s.get_prompt("draft_reply", {"chat_id": "@carol", "intent": "say yes"})
            text = draft.messages[0].content.text
            assert "@carol" in text and "save_draft" in text and "say yes" in text, text
            with pytest.raises(MCPError):
                await s.get_prompt("draft_reply", {})

    anyio.run(main)
    assert updated and set(updated) == {f"telegram://chat/{CAROL}"}, updated
