"""Telethon, an independent MTProto client, against the fake DC: same requests and answers as grammers.

crates/fake-tg-dc/tests/it/crosscheck/expected.json lists each request and what must come back; the grammers half
(crates/fake-tg-dc/tests/it/crosscheck/) holds grammers to the same file. A fake-DC answer that only
grammers accepts, or that Telethon decodes differently, fails here.

Telethon cannot run the DH handshake with the fake DC (its RSA keys are Telegram's), so each client
gets a StringSession carrying a key from the DC's `register_key` stdin command.
"""
import asyncio
import hashlib
import io
import json
import queue
import subprocess
import threading

import pytest
from telethon import TelegramClient, errors, functions, types
from telethon.crypto import AuthKey
from telethon.errors.rpcerrorlist import rpc_errors_dict
from telethon.sessions import StringSession

from conftest import ROOT, binary

FACTS = json.loads((ROOT / "crates/fake-tg-dc/tests/it/crosscheck/expected.json").read_text())
REPLY_TIMEOUT = 10


class FakeDc:
    """The real fake-tg-dc binary; `cmd` sends one stdin command and returns its reply line."""

    def __init__(self):
        self.p = subprocess.Popen([binary("fake-tg-dc")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.replies = queue.Queue()
        threading.Thread(target=lambda: [self.replies.put(line) for line in self.p.stdout], daemon=True).start()
        first = self.replies.get(timeout=REPLY_TIMEOUT).split()
        assert first[0] == "FAKE_DC_LISTENING", first
        self.host, port = first[1].rsplit(":", 1)
        self.port = int(port)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.replies.get(timeout=REPLY_TIMEOUT).strip()

    def client(self, phone=None):
        """A Telethon client on a fresh key (logged in to `phone`'s account if given)."""
        reply = self.cmd("register_key" + (f" {phone}" if phone else "")).split()
        assert reply[0] == "KEY", reply
        session = StringSession()
        session.set_dc(2, self.host, self.port)
        session.auth_key = AuthKey(bytes.fromhex(reply[1]))
        # No retries, no reconnects, no flood sleeps: a broken DC fails fast and errors surface.
        return TelegramClient(
            session, FACTS["api_id"], FACTS["api_hash"], connection_retries=0, retry_delay=0, timeout=5,
            request_retries=1, auto_reconnect=False, flood_sleep_threshold=0, receive_updates=False,
        )

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


@pytest.fixture
def dc():
    d = FakeDc()
    yield d
    d.stop()


def run(dc, phone, body):
    """Connects a client, runs `await body(client)`, always disconnects."""
    async def main():
        c = dc.client(phone)
        await asyncio.wait_for(c.connect(), 30)
        try:
            return await asyncio.wait_for(body(c), 60)
        finally:
            await c.disconnect()
    return asyncio.run(main())


def peer_json(p):
    if isinstance(p, types.PeerUser):
        return ["user", p.user_id]
    if isinstance(p, types.PeerChat):
        return ["chat", p.chat_id]
    if isinstance(p, types.PeerChannel):
        return ["channel", p.channel_id]
    raise AssertionError(f"unexpected peer {p!r}")


def entity_json(e):
    kinds = {types.MessageEntityBold: "bold", types.MessageEntityItalic: "italic", types.MessageEntityTextUrl: "text_url"}
    out = [kinds.get(type(e), type(e).__name__), e.offset, e.length]
    return out + [e.url] if isinstance(e, types.MessageEntityTextUrl) else out


def entity_tl(v):
    if v[0] == "bold":
        return types.MessageEntityBold(v[1], v[2])
    if v[0] == "italic":
        return types.MessageEntityItalic(v[1], v[2])
    assert v[0] == "text_url", v
    return types.MessageEntityTextUrl(v[1], v[2], v[3])


def count_of(r):
    return getattr(r, "count", len(r.messages))


def input_of(peer, r):
    """`peer` as an InputPeer, with the access hash from the users/chats of the same answer `r`."""
    kind, pid = peer_json(peer)
    if kind == "chat":
        return types.InputPeerChat(pid)
    pool = r.users if kind == "user" else r.chats
    entity = next(x for x in pool if x.id == pid)
    return types.InputPeerUser(pid, entity.access_hash) if kind == "user" else types.InputPeerChannel(pid, entity.access_hash)


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def test_code_login_wrong_then_right(dc):
    f = FACTS["code_login"]

    async def body(c):
        assert not await c.is_user_authorized()
        await c.send_code_request(f["phone"])
        # Telethon maps the error name to its class: the class is what shows the name arrived.
        with pytest.raises(rpc_errors_dict[f["wrong_code_error"]]):
            await c.sign_in(f["phone"], f["wrong_code"])
        me = await c.sign_in(f["phone"], f["code"])
        assert (me.id, me.username) == (f["user_id"], f["username"])
        assert await c.is_user_authorized()
        assert (await c.get_me()).id == f["user_id"]
    run(dc, None, body)


def test_password_login_verifies_the_srp_proof(dc):
    """Telethon picks its own SRP secret, so only a real verifier check lets it in."""
    f = FACTS["password_login"]

    async def body(c):
        await c.send_code_request(f["phone"])
        with pytest.raises(rpc_errors_dict[f["needed_error"]]):
            await c.sign_in(f["phone"], f["code"])
        pw = await c(functions.account.GetPasswordRequest())
        assert (pw.has_password, pw.hint) == (True, f["hint"])
        again = await c(functions.account.GetPasswordRequest())
        assert (again.srp_id, again.srp_B) != (pw.srp_id, pw.srp_B), "a fresh challenge per attempt"
        with pytest.raises(rpc_errors_dict[f["wrong_password_error"]]):
            await c.sign_in(password=f["wrong_password"])
        assert not await c.is_user_authorized()
        me = await c.sign_in(password=f["password"])
        assert me.id == f["user_id"]
        assert await c.is_user_authorized()
    run(dc, None, body)


def get_dialogs(folder_id=None, offset=(None, 0, types.InputPeerEmpty()), limit=100):
    return functions.messages.GetDialogsRequest(
        offset_date=offset[0], offset_id=offset[1], offset_peer=offset[2], limit=limit, hash=0, folder_id=folder_id)


def test_dialogs_in_every_folder_and_paged(dc):
    f = FACTS["dialogs"]

    async def body(c):
        r = await c(get_dialogs())
        got = [[peer_json(d.peer), d.top_message, bool(d.pinned), d.folder_id or 0, d.unread_count] for d in r.dialogs]
        assert got == f["all"]
        # Telethon's own listing (no folder given) shows the same dialogs, the archived one marked.
        listed = await c.get_dialogs()
        assert [peer_json(d.dialog.peer) for d in listed] == [d[0] for d in f["all"]]
        assert [peer_json(d.dialog.peer) for d in listed if d.archived] == f["archive"]

        offset = (None, 0, types.InputPeerEmpty())
        for page in f["main_pages"]:
            r = await c(get_dialogs(0, offset, 3))
            assert r.count == f["main_count"]
            assert [peer_json(d.peer) for d in r.dialogs] == page
            last = r.dialogs[-1]
            top = next(m for m in r.messages if m.id == last.top_message and peer_json(m.peer_id) == peer_json(last.peer))
            offset = (top.date, top.id, input_of(last.peer, r))
        r = await c(get_dialogs(1))
        assert [peer_json(d.peer) for d in r.dialogs] == f["archive"]
    run(dc, FACTS["account"], body)


def test_history_pages_with_offset_id_and_add_offset(dc):
    f = FACTS["history"]

    async def body(c):
        carol = await c.get_input_entity(f["peer"])
        for page in f["pages"]:
            r = await c(functions.messages.GetHistoryRequest(
                peer=carol, offset_id=page["offset_id"], offset_date=None, add_offset=page["add_offset"],
                limit=page["limit"], max_id=0, min_id=0, hash=0))
            assert [m.id for m in r.messages] == page["ids"], page
            assert count_of(r) == f["count"]
            for m in r.messages:
                if str(m.id) in f["texts"]:
                    assert m.message == f["texts"][str(m.id)]
        # Telethon's own oldest-first walk leans on negative add_offset paging.
        ids = [m.id async for m in c.iter_messages(carol, reverse=True)]
        assert ids == list(range(1, f["count"] + 1))
    run(dc, FACTS["account"], body)


def test_search_and_search_global_paging(dc):
    s, g = FACTS["search"], FACTS["search_global"]

    async def body(c):
        peer = await c.get_input_entity(s["peer"])
        for page in s["pages"]:
            r = await c(functions.messages.SearchRequest(
                peer=peer, q=s["q"], filter=types.InputMessagesFilterEmpty(), min_date=None, max_date=None,
                offset_id=page["offset_id"], add_offset=0, limit=page["limit"], max_id=0, min_id=0, hash=0))
            assert [m.id for m in r.messages] == page["ids"], page
            assert count_of(r) == s["count"]

        rate, offset_peer, offset_id = 0, types.InputPeerEmpty(), 0
        for page in g["pages"]:
            r = await c(functions.messages.SearchGlobalRequest(
                q=g["q"], filter=types.InputMessagesFilterEmpty(), min_date=None, max_date=None,
                offset_rate=rate, offset_peer=offset_peer, offset_id=offset_id, limit=g["limit"]))
            assert [[peer_json(m.peer_id), m.id] for m in r.messages] == page["messages"]
            assert count_of(r) == g["count"]
            assert (getattr(r, "next_rate", None) is not None) == page["next_rate"]
            last = r.messages[-1]
            rate, offset_peer, offset_id = r.next_rate or 0, input_of(last.peer_id, r), last.id
        everything = [[peer_json(m.peer_id), m.id] async for m in c.iter_messages(None, search=g["q"])]
        assert everything == [m for page in g["pages"] for m in page["messages"]]
    run(dc, FACTS["account"], body)


def test_rich_messages_decode_alike(dc):
    f = FACTS["rich"]

    async def body(c):
        r = await c(functions.messages.GetMessagesRequest(id=[types.InputMessageID(m["id"]) for m in f["messages"]]))
        assert len(r.messages) == len(f["messages"])
        for m, w in zip(r.messages, f["messages"]):
            assert (m.id, m.message, bool(m.out), peer_json(m.from_id)) == (w["id"], w["text"], w["out"], ["user", w["from"]])
            assert [entity_json(e) for e in m.entities or []] == w.get("entities", [])
            assert (m.reply_to.reply_to_msg_id if m.reply_to else None) == w.get("reply_to")
            fwd = (peer_json(m.fwd_from.from_id), m.fwd_from.channel_post) if m.fwd_from else None
            assert fwd == ((w["fwd_from"], w["fwd_post"]) if "fwd_from" in w else None)
            media = m.media
            if isinstance(media, types.MessageMediaPhoto):
                got = {"media": "photo"}
            elif isinstance(media, types.MessageMediaDocument):
                doc = media.document
                got = {"media": "voice" if media.voice else "document", "size": doc.size}
                for a in doc.attributes:
                    if isinstance(a, types.DocumentAttributeFilename):
                        got.update(file_name=a.file_name, mime_type=doc.mime_type)
                    if isinstance(a, types.DocumentAttributeAudio):
                        got["duration"] = a.duration
            elif isinstance(media, types.MessageMediaPoll):
                got = {"media": "poll", "question": media.poll.question.text,
                       "answers": [a.text.text for a in media.poll.answers]}
            else:
                assert media is None, media
                got = {}
            assert got == {k: w[k] for k in got}, w
            assert ("media" in w) == bool(got), w
        # Telethon's higher-level view of the same messages.
        msgs = await c.get_messages(f["peer"], ids=[m["id"] for m in f["messages"]])
        by_id = {m.id: m for m in msgs}
        assert (by_id[123].file.name, by_id[123].file.size) == ("report.pdf", 307200)
        assert by_id[124].voice is not None and by_id[124].file.duration == 3
        assert by_id[126].reply_to_msg_id == 122
    run(dc, FACTS["account"], body)


def test_send_with_entities_then_edit(dc):
    f = FACTS["send"]

    async def body(c):
        sent = await c.send_message(f["peer"], f["text"], formatting_entities=[entity_tl(e) for e in f["entities"]])
        assert sent.id == f["id"]
        assert [entity_json(e) for e in sent.entities] == f["entities"]
        [stored] = await c.get_messages(f["peer"], ids=[sent.id])
        assert (stored.message, stored.out) == (f["text"], True)
        assert [entity_json(e) for e in stored.entities] == f["entities"]
        edited = await c.edit_message(f["peer"], sent.id, f["edit_text"],
                                      formatting_entities=[entity_tl(e) for e in f["edit_entities"]])
        assert (edited.id, edited.message) == (sent.id, f["edit_text"])
        assert edited.edit_date is not None
        [stored] = await c.get_messages(f["peer"], ids=[sent.id])
        assert stored.message == f["edit_text"] and stored.edit_date is not None
        assert [entity_json(e) for e in stored.entities] == f["edit_entities"]
    run(dc, FACTS["account"], body)


def test_upload_then_download_and_fixture_files(dc):
    u, d = FACTS["upload"], FACTS["download"]

    async def body(c):
        data = bytes((i * 7 + 3) % 251 for i in range(u["size"]))
        assert sha256(data) == u["sha256"]
        f = io.BytesIO(data)
        f.name = u["name"]
        sent = await c.send_file(u["peer"], f, caption=u["caption"], force_document=True)
        assert (sent.id, sent.message, sent.file.name, sent.file.size) == (u["id"], u["caption"], u["name"], u["size"])
        assert sha256(await c.download_media(sent, bytes)) == u["sha256"]

        doc, photo = await c.get_messages(d["peer"], ids=[d["document"]["id"], d["photo"]["id"]])
        got = await c.download_media(doc, bytes)
        assert (len(got), sha256(got)) == (d["document"]["size"], d["document"]["sha256"])
        got = await c.download_media(photo, bytes)
        assert (len(got), list(got[:4])) == (d["photo"]["size"], d["photo"]["head"])
        location = types.InputDocumentFileLocation(
            doc.document.id, doc.document.access_hash, doc.document.file_reference, "")
        with pytest.raises(rpc_errors_dict[d["bad_limit_error"]]):
            await c(functions.upload.GetFileRequest(location, 0, d["bad_limit"]))
    run(dc, FACTS["account"], body)


def test_forum_topic_and_channel_comment_thread(dc):
    fo, co = FACTS["forum"], FACTS["comments"]

    def replies(peer, msg_id):
        return functions.messages.GetRepliesRequest(
            peer=peer, msg_id=msg_id, offset_id=0, offset_date=None, add_offset=0, limit=10, max_id=0, min_id=0, hash=0)

    async def body(c):
        dialogs = await c(get_dialogs())
        forum = input_of(types.PeerChannel(fo["channel"]), dialogs)
        r = await c(functions.messages.GetForumTopicsRequest(forum, offset_date=None, offset_id=0, offset_topic=0, limit=10))
        assert [[t.id, t.title, t.top_message] for t in r.topics] == fo["topics"]
        assert r.count == len(fo["topics"])
        sent = await c.send_message(forum, fo["reply_text"], reply_to=fo["reply_topic"])
        assert sent.id == fo["reply_id"]
        r = await c(replies(forum, fo["reply_topic"]))
        assert [m.id for m in r.messages] == fo["replies"]
        assert r.messages[0].reply_to.forum_topic and r.messages[0].reply_to.reply_to_msg_id == fo["reply_topic"]

        news = await c.get_input_entity(co["channel"])
        dm = await c(functions.messages.GetDiscussionMessageRequest(news, co["post"]))
        assert [(peer_json(m.peer_id), m.id) for m in dm.messages] == [(["channel", co["group"]], co["root"])]
        assert dm.max_id == co["max_id"]
        r = await c(replies(news, co["post"]))
        assert [[m.id, m.message] for m in r.messages] == co["comments"]
        assert {tuple(peer_json(m.peer_id)) for m in r.messages} == {("channel", co["group"])}
        assert count_of(r) == len(co["comments"])
        comments = await c.get_messages(co["channel"], reply_to=co["post"], limit=None)
        assert [[m.id, m.message] for m in comments] == co["comments"]
    run(dc, FACTS["account"], body)


def test_flood_wait_and_phone_migrate_errors(dc):
    """Both errors are injected; the fake DC models one DC only, so no real migration happens."""
    fl, mi = FACTS["flood_wait"], FACTS["phone_migrate"]

    async def body(c):
        await c.get_input_entity("carol")
        assert dc.cmd(f"inject_error {fl['method']} {fl['code']} {fl['error']}") == "INJECTED"
        with pytest.raises(errors.FloodWaitError) as e:
            await c.get_messages("carol", limit=1)
        assert (e.value.code, e.value.seconds) == (fl["code"], fl["seconds"])
        assert dc.cmd(f"inject_error {mi['method']} {mi['code']} {mi['error']}") == "INJECTED"
        with pytest.raises(errors.PhoneMigrateError) as e:
            await c(functions.auth.SendCodeRequest(FACTS["account"], FACTS["api_id"], FACTS["api_hash"], types.CodeSettings()))
        assert (e.value.code, e.value.new_dc) == (mi["code"], mi["dc"])
    run(dc, FACTS["account"], body)


def test_get_difference_returns_what_the_client_missed(dc):
    """Issue 15's updates: a message stored without a push (a lost update) comes back from
    updates.getDifference (account box) and updates.getChannelDifference (a supergroup), with the
    state to continue from; asking again from that state finds nothing. (The grammers half of this
    check is the core's tools_wait tests, where grammers' message box fills the same gaps.)"""
    carol, alice, forum_id = 100003, 100001, 300010

    async def body(c):
        state = await c(functions.updates.GetStateRequest())
        assert dc.cmd(f"send {carol} {alice} nopush missed while away").startswith("SENT")
        diff = await c(functions.updates.GetDifferenceRequest(pts=state.pts, date=state.date, qts=0))
        assert isinstance(diff, types.updates.Difference), diff
        assert [m.message for m in diff.new_messages] == ["missed while away"]
        assert diff.new_messages[0].from_id.user_id == carol and any(u.id == carol for u in diff.users)
        assert diff.state.pts == state.pts + 1
        again = await c(functions.updates.GetDifferenceRequest(pts=diff.state.pts, date=diff.state.date, qts=0))
        assert isinstance(again, types.updates.DifferenceEmpty), again

        dialogs = await c(get_dialogs())
        forum = input_of(types.PeerChannel(forum_id), dialogs)
        pts = next(d.pts for d in dialogs.dialogs if peer_json(d.peer) == ["channel", forum_id])
        assert dc.cmd(f"send {carol} {-1_000_000_000_000 - forum_id} nopush forum news while away").startswith("SENT")
        channel = types.InputChannel(forum.channel_id, forum.access_hash)
        cdiff = await c(functions.updates.GetChannelDifferenceRequest(
            channel=channel, filter=types.ChannelMessagesFilterEmpty(), pts=pts, limit=100))
        assert isinstance(cdiff, types.updates.ChannelDifference) and cdiff.final, cdiff
        assert [m.message for m in cdiff.new_messages] == ["forum news while away"] and cdiff.pts == pts + 1
        empty = await c(functions.updates.GetChannelDifferenceRequest(
            channel=channel, filter=types.ChannelMessagesFilterEmpty(), pts=cdiff.pts, limit=100))
        assert isinstance(empty, types.updates.ChannelDifferenceEmpty) and empty.pts == cdiff.pts
    run(dc, FACTS["account"], body)


def test_issue_15_read_state_reactions_pins_forwards_drafts_and_schedules(dc):
    """Issue 15's fake-DC methods as Telethon decodes them: read marks (history, mentions,
    reactions, a forum topic), a reaction and a pin on a message, a forward, a cloud draft and a
    scheduled message. (grammers meets the same answers in the core's tools_* tests.)"""
    import datetime
    carol, forum_id, mine = 100003, 300010, 2  # Carol's chat: even ids are Alice's messages

    async def one(c, peer, msg_id):
        r = await c(functions.messages.GetMessagesRequest([types.InputMessageID(msg_id)]))
        return next(m for m in r.messages if m.id == msg_id)

    async def dialog(c, peer):
        r = await c(functions.messages.GetPeerDialogsRequest([types.InputDialogPeer(peer)]))
        return r.dialogs[0]

    async def body(c):
        dialogs = await c(get_dialogs())
        chat = input_of(types.PeerUser(carol), dialogs)
        forum = input_of(types.PeerChannel(forum_id), dialogs)
        assert (await dialog(c, chat)).unread_count == 10
        affected = await c(functions.messages.ReadHistoryRequest(chat, max_id=0))
        assert isinstance(affected, types.messages.AffectedMessages)
        d = await dialog(c, chat)
        assert (d.unread_count, d.read_inbox_max_id) == (0, 120)

        await c(functions.messages.SendReactionRequest(peer=chat, msg_id=mine, reaction=[types.ReactionEmoji("👍")]))
        reacted = (await one(c, chat, mine)).reactions
        assert [(r.reaction.emoticon, r.count) for r in reacted.results] == [("👍", 1)]
        assert reacted.results[0].chosen_order is not None
        await c(functions.messages.UpdatePinnedMessageRequest(peer=chat, id=mine, silent=True))
        assert (await one(c, chat, mine)).pinned

        fwd = await c(functions.messages.ForwardMessagesRequest(
            from_peer=chat, id=[1, mine], random_id=[501, 502], to_peer=types.InputPeerSelf()))
        got = {u.random_id: u.id for u in fwd.updates if isinstance(u, types.UpdateMessageID)}
        new = [u.message for u in fwd.updates if isinstance(u, types.UpdateNewMessage)]
        assert sorted(got) == [501, 502] and [m.fwd_from is not None for m in new] == [True, True]
        assert [m.message for m in new] == ["Carol history message 1", "Carol history message 2"]

        assert await c(functions.messages.SaveDraftRequest(peer=chat, message="draft from telethon"))
        drafts = await c(functions.messages.GetAllDraftsRequest())
        assert [u.draft.message for u in drafts.updates if isinstance(u, types.UpdateDraftMessage)] == ["draft from telethon"]

        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        await c(functions.messages.SendMessageRequest(peer=chat, message="later", random_id=777, schedule_date=later))
        sched = await c(functions.messages.GetScheduledHistoryRequest(peer=chat, hash=0))
        assert [m.message for m in sched.messages] == ["later"]
        await c(functions.messages.DeleteScheduledMessagesRequest(peer=chat, id=[sched.messages[0].id]))
        assert (await c(functions.messages.GetScheduledHistoryRequest(peer=chat, hash=0))).messages == []

        for req in [functions.messages.ReadMentionsRequest(forum), functions.messages.ReadReactionsRequest(chat)]:
            assert isinstance(await c(req), types.messages.AffectedHistory)
        assert await c(functions.messages.ReadDiscussionRequest(forum, msg_id=2, read_max_id=7)) is True
        with pytest.raises(errors.MsgIdInvalidError):
            await c(functions.messages.ReadDiscussionRequest(forum, msg_id=999, read_max_id=999))
    run(dc, FACTS["account"], body)
