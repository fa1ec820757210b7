//! RPC router: unwraps `invokeWithLayer`/`initConnection`, records calls, applies injected
//! errors and answers every supported method from the caller's point of view.

use std::fmt::Debug;
use std::sync::Arc;

use grammers_tl_types as tl;
use tl::{Cursor, Deserializable, Identifiable, Serializable};

use crate::tlconv::{Refs, chat_tl, input_peer_tl, message_tl, notify_settings, peer_tl, user_tl};
use crate::world::{Delivery, Draft, FileKind, Media, Message, PeerKey, World, now};
use crate::{Call, Shared, State, srp};

/// An `rpc_error`.
#[derive(Debug)]
pub(crate) struct RpcErr {
    pub code: i32,
    pub message: String,
}

pub(crate) fn err(code: i32, message: &str) -> RpcErr {
    RpcErr {
        code,
        message: message.to_string(),
    }
}

fn bad(message: &str) -> RpcErr {
    err(400, message)
}

pub(crate) type Res = Result<Vec<u8>, RpcErr>;

/// `RpcErr::code` of an injected [`crate::Fault::Drop`]: close the connection, answer nothing.
pub(crate) const FAULT_DROP: i32 = i32::MIN;
/// `RpcErr::code` of an injected [`crate::Fault::Stall`]: answer nothing.
pub(crate) const FAULT_STALL: i32 = i32::MIN + 1;

fn ctor(body: &[u8]) -> u32 {
    body.get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0)
}

/// Strips `invokeWithLayer`, `initConnection` and `invokeWithoutUpdates` wrappers.
fn unwrap_query(mut body: &[u8]) -> Result<&[u8], RpcErr> {
    loop {
        match ctor(body) {
            tl::functions::InvokeWithLayer::<()>::CONSTRUCTOR_ID => {
                body = body.get(8..).ok_or_else(|| bad("INPUT_REQUEST_INVALID"))?;
            }
            tl::functions::InvokeWithoutUpdates::<()>::CONSTRUCTOR_ID => {
                body = body.get(4..).ok_or_else(|| bad("INPUT_REQUEST_INVALID"))?;
            }
            tl::functions::InitConnection::<()>::CONSTRUCTOR_ID => {
                let rest = body.get(4..).ok_or_else(|| bad("INPUT_REQUEST_INVALID"))?;
                let mut c = Cursor::from_slice(rest);
                let skip = |c: &mut Cursor| -> Result<(), tl::deserialize::Error> {
                    let flags = i32::deserialize(c)?;
                    i32::deserialize(c)?;
                    for _ in 0..6 {
                        String::deserialize(c)?;
                    }
                    if flags & 1 != 0 {
                        tl::enums::InputClientProxy::deserialize(c)?;
                    }
                    if flags & 2 != 0 {
                        tl::enums::Jsonvalue::deserialize(c)?;
                    }
                    Ok(())
                };
                skip(&mut c).map_err(|_| bad("CONNECTION_LAYER_INVALID"))?;
                body = &rest[c.pos()..];
            }
            _ => return Ok(body),
        }
    }
}

/// Handles one RPC body for the connection using `key_id`.
pub(crate) async fn call(shared: &Arc<Shared>, key_id: [u8; 8], raw: &[u8]) -> Res {
    let body = unwrap_query(raw)?;
    let id = ctor(body);
    let mut verifier = None;
    if id == tl::functions::account::GetPassword::CONSTRUCTOR_ID {
        // The verifier costs 100 000 PBKDF2 rounds the first time: compute it off the lock.
        let account = {
            let st = shared.lock();
            st.keys
                .get(&key_id)
                .and_then(|k| k.pending_2fa.or(k.user))
                .and_then(|uid| st.world.accounts.get(&uid))
                .and_then(|a| a.password.clone().map(|p| (a.user_id, p)))
        };
        if let Some((uid, pw)) = account {
            let pw2 = pw.clone();
            let v = tokio::task::spawn_blocking(move || srp::verifier(uid, &pw2))
                .await
                .map_err(|_| err(500, "INTERNAL"))?;
            verifier = Some((uid, pw, v));
        }
    }
    let mut guard = shared.lock();
    let name = tl::name_for_id(id);
    if let Some(pos) = guard.faults.iter().position(|(m, _)| m == name) {
        let (_, fault) = guard.faults.remove(pos);
        let user_id = guard.keys.get(&key_id).and_then(|k| k.user);
        guard.calls.push(Call {
            method: name.to_string(),
            user_id,
            request: format!("<{} bytes, fault {fault:?}>", body.len()),
        });
        let code = match fault {
            crate::Fault::Drop => FAULT_DROP,
            crate::Fault::Stall => FAULT_STALL,
        };
        return Err(err(code, "FAULT"));
    }
    let mut ctx = Ctx {
        st: &mut guard,
        key_id,
        name: tl::name_for_id(id),
        verifier,
        recorded: false,
    };
    let result = route(&mut ctx, id, body);
    if !ctx.recorded {
        ctx.record(format!("<{} bytes>", body.len()));
    }
    result
}

/// (account, password, verifier) for an account.getPassword of an account with 2FA.
type Verifier = (i64, String, num_bigint::BigUint);

pub(crate) struct Ctx<'a> {
    st: &'a mut State,
    key_id: [u8; 8],
    name: &'static str,
    verifier: Option<Verifier>,
    recorded: bool,
}

impl Ctx<'_> {
    fn user(&self) -> Option<i64> {
        self.st.keys.get(&self.key_id).and_then(|k| k.user)
    }

    fn record(&mut self, request: String) {
        let user_id = self.user();
        self.st.calls.push(Call {
            method: self.name.to_string(),
            user_id,
            request,
        });
        self.recorded = true;
    }

    /// Records the call and applies a pending injected error for this method.
    fn begin(&mut self, request: String) -> Result<(), RpcErr> {
        self.record(request);
        if let Some(pos) = self.st.injected.iter().position(|(m, _, _)| m == self.name) {
            let (_, code, message) = self.st.injected.remove(pos);
            return Err(RpcErr { code, message });
        }
        Ok(())
    }

    fn me(&self) -> Result<i64, RpcErr> {
        self.user().ok_or_else(|| err(401, "AUTH_KEY_UNREGISTERED"))
    }

    fn w(&self) -> &World {
        &self.st.world
    }
}

fn decode<T: Deserializable + Debug>(ctx: &mut Ctx, body: &[u8]) -> Result<T, RpcErr> {
    let r = T::from_bytes(&body[4..]).map_err(|_| bad("INPUT_REQUEST_INVALID"))?;
    let mut text = format!("{r:?}");
    if text.len() > 4096 {
        let mut cut = 4096;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    ctx.begin(text)?;
    Ok(r)
}

macro_rules! on {
    ($ctx:ident, $body:ident, $T:ty, |$r:ident| $e:expr) => {{
        let $r: $T = decode($ctx, $body)?;
        $e
    }};
}

fn route(ctx: &mut Ctx, id: u32, body: &[u8]) -> Res {
    use tl::functions as f;
    match id {
        f::help::GetConfig::CONSTRUCTOR_ID => {
            on!(ctx, body, f::help::GetConfig, |_r| Ok(config().to_bytes()))
        }
        f::updates::GetState::CONSTRUCTOR_ID => on!(ctx, body, f::updates::GetState, |_r| {
            let me = ctx.me()?;
            Ok(state_tl(ctx.w(), me).to_bytes())
        }),
        f::updates::GetDifference::CONSTRUCTOR_ID => {
            on!(ctx, body, f::updates::GetDifference, |_r| {
                ctx.me()?;
                Ok(
                    tl::enums::updates::Difference::Empty(tl::types::updates::DifferenceEmpty {
                        date: now(),
                        seq: 0,
                    })
                    .to_bytes(),
                )
            })
        }
        f::updates::GetChannelDifference::CONSTRUCTOR_ID => {
            on!(ctx, body, f::updates::GetChannelDifference, |r| {
                let me = ctx.me()?;
                let ch = input_channel(ctx.w(), &r.channel)?;
                let pts = ctx.w().channels.get(&ch).map(|c| c.pts).unwrap_or(1);
                let _ = me;
                Ok(tl::enums::updates::ChannelDifference::Empty(
                    tl::types::updates::ChannelDifferenceEmpty {
                        r#final: true,
                        pts,
                        timeout: Some(30),
                    },
                )
                .to_bytes())
            })
        }
        // ---- login ----
        f::auth::SendCode::CONSTRUCTOR_ID => on!(ctx, body, f::auth::SendCode, |r| send_code(
            ctx,
            &r.phone_number
        )),
        f::auth::SignIn::CONSTRUCTOR_ID => on!(ctx, body, f::auth::SignIn, |r| sign_in(ctx, r)),
        f::account::GetPassword::CONSTRUCTOR_ID => on!(ctx, body, f::account::GetPassword, |_r| {
            get_password(ctx)
        }),
        f::auth::CheckPassword::CONSTRUCTOR_ID => {
            on!(ctx, body, f::auth::CheckPassword, |r| check_password(
                ctx, r
            ))
        }
        f::auth::LogOut::CONSTRUCTOR_ID => on!(ctx, body, f::auth::LogOut, |_r| {
            ctx.me()?;
            if let Some(k) = ctx.st.keys.get_mut(&ctx.key_id) {
                k.user = None;
                k.pending_2fa = None;
            }
            Ok(tl::enums::auth::LoggedOut::Out(tl::types::auth::LoggedOut {
                future_auth_token: None,
            })
            .to_bytes())
        }),
        f::auth::ExportLoginToken::CONSTRUCTOR_ID => {
            on!(ctx, body, f::auth::ExportLoginToken, |_r| {
                export_login_token(ctx, None)
            })
        }
        f::auth::ImportLoginToken::CONSTRUCTOR_ID => {
            on!(
                ctx,
                body,
                f::auth::ImportLoginToken,
                |r| export_login_token(ctx, Some(r.token))
            )
        }
        // ---- users / contacts ----
        f::users::GetUsers::CONSTRUCTOR_ID => on!(ctx, body, f::users::GetUsers, |r| {
            let me = ctx.me()?;
            let mut out = Vec::new();
            for u in &r.id {
                if let Ok(uid) = input_user(ctx.w(), me, u) {
                    out.push(user_tl(ctx.w(), Some(me), uid));
                }
            }
            Ok(out.to_bytes())
        }),
        f::users::GetFullUser::CONSTRUCTOR_ID => on!(ctx, body, f::users::GetFullUser, |r| {
            let me = ctx.me()?;
            let uid = input_user(ctx.w(), me, &r.id)?;
            Ok(full_user(ctx.w(), me, uid).to_bytes())
        }),
        f::contacts::ResolveUsername::CONSTRUCTOR_ID => {
            on!(ctx, body, f::contacts::ResolveUsername, |r| {
                let me = ctx.me()?;
                let name = r.username.trim_start_matches('@').to_lowercase();
                let w = ctx.w();
                let peer = w
                    .users
                    .values()
                    .find(|u| {
                        u.username.as_deref().map(str::to_lowercase).as_deref()
                            == Some(name.as_str())
                    })
                    .map(|u| PeerKey::User(u.id))
                    .or_else(|| {
                        w.channels
                            .values()
                            .find(|c| {
                                c.username.as_deref().map(str::to_lowercase).as_deref()
                                    == Some(name.as_str())
                            })
                            .map(|c| PeerKey::Channel(c.id))
                    })
                    .ok_or_else(|| bad("USERNAME_NOT_OCCUPIED"))?;
                Ok(resolved(w, me, peer))
            })
        }
        f::contacts::ResolvePhone::CONSTRUCTOR_ID => {
            on!(ctx, body, f::contacts::ResolvePhone, |r| {
                let me = ctx.me()?;
                let w = ctx.w();
                // Models the common privacy setting "find me by phone: my contacts": only the
                // viewer's contacts resolve; others must be imported with contacts.importContacts.
                let uid = user_by_phone(w, &r.phone)
                    .filter(|u| w.accounts.get(&me).is_some_and(|a| a.contacts.contains(u)))
                    .ok_or_else(|| bad("PHONE_NOT_OCCUPIED"))?;
                Ok(resolved(w, me, PeerKey::User(uid)))
            })
        }
        f::contacts::Search::CONSTRUCTOR_ID => on!(ctx, body, f::contacts::Search, |r| {
            let me = ctx.me()?;
            Ok(contacts_search(ctx.w(), me, &r.q, r.limit))
        }),
        f::contacts::GetContacts::CONSTRUCTOR_ID => {
            on!(ctx, body, f::contacts::GetContacts, |_r| {
                let me = ctx.me()?;
                let w = ctx.w();
                let ids = w
                    .accounts
                    .get(&me)
                    .map(|a| a.contacts.clone())
                    .unwrap_or_default();
                Ok(
                    tl::enums::contacts::Contacts::Contacts(tl::types::contacts::Contacts {
                        contacts: ids
                            .iter()
                            .map(|id| {
                                tl::types::Contact {
                                    user_id: *id,
                                    mutual: w
                                        .accounts
                                        .get(id)
                                        .is_some_and(|a| a.contacts.contains(&me)),
                                }
                                .into()
                            })
                            .collect(),
                        saved_count: 0,
                        users: ids.iter().map(|id| user_tl(w, Some(me), *id)).collect(),
                    })
                    .to_bytes(),
                )
            })
        }
        f::contacts::ImportContacts::CONSTRUCTOR_ID => {
            on!(ctx, body, f::contacts::ImportContacts, |r| {
                let me = ctx.me()?;
                let mut imported = Vec::new();
                for c in &r.contacts {
                    let tl::enums::InputContact::InputPhoneContact(c) = c;
                    if let Some(uid) = user_by_phone(ctx.w(), &c.phone) {
                        ctx.st.world.add_contact(me, uid);
                        imported.push((uid, c.client_id));
                    }
                }
                let w = ctx.w();
                Ok(tl::enums::contacts::ImportedContacts::Contacts(
                    tl::types::contacts::ImportedContacts {
                        imported: imported
                            .iter()
                            .map(|(u, c)| {
                                tl::types::ImportedContact {
                                    user_id: *u,
                                    client_id: *c,
                                }
                                .into()
                            })
                            .collect(),
                        popular_invites: vec![],
                        retry_contacts: vec![],
                        users: imported
                            .iter()
                            .map(|(u, _)| user_tl(w, Some(me), *u))
                            .collect(),
                    },
                )
                .to_bytes())
            })
        }
        f::contacts::DeleteContacts::CONSTRUCTOR_ID => {
            on!(ctx, body, f::contacts::DeleteContacts, |r| {
                let me = ctx.me()?;
                let mut ids = Vec::new();
                for u in &r.id {
                    ids.push(input_user(ctx.w(), me, u)?);
                }
                if let Some(a) = ctx.st.world.accounts.get_mut(&me) {
                    a.contacts.retain(|c| !ids.contains(c));
                }
                let w = ctx.w();
                Ok(updates_tl(
                    vec![],
                    ids.iter().map(|u| user_tl(w, Some(me), *u)).collect(),
                    vec![],
                )
                .to_bytes())
            })
        }
        // ---- chats ----
        f::messages::GetChats::CONSTRUCTOR_ID => on!(ctx, body, f::messages::GetChats, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let chats =
                r.id.iter()
                    .filter_map(|id| chat_tl(w, me, PeerKey::Chat(*id)))
                    .collect();
            Ok(tl::enums::messages::Chats::Chats(tl::types::messages::Chats { chats }).to_bytes())
        }),
        f::channels::GetChannels::CONSTRUCTOR_ID => on!(ctx, body, f::channels::GetChannels, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let mut chats = Vec::new();
            for c in &r.id {
                let id = input_channel(w, c)?;
                chats.extend(chat_tl(w, me, PeerKey::Channel(id)));
            }
            Ok(tl::enums::messages::Chats::Chats(tl::types::messages::Chats { chats }).to_bytes())
        }),
        f::messages::GetFullChat::CONSTRUCTOR_ID => on!(ctx, body, f::messages::GetFullChat, |r| {
            let me = ctx.me()?;
            full_chat(ctx.w(), me, r.chat_id)
        }),
        f::channels::GetFullChannel::CONSTRUCTOR_ID => {
            on!(ctx, body, f::channels::GetFullChannel, |r| {
                let me = ctx.me()?;
                let id = input_channel(ctx.w(), &r.channel)?;
                full_channel(ctx.w(), me, id)
            })
        }
        f::messages::GetDialogFilters::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::GetDialogFilters, |_r| {
                let me = ctx.me()?;
                Ok(dialog_filters(ctx.w(), me))
            })
        }
        f::messages::GetForumTopics::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::GetForumTopics, |r| {
                let me = ctx.me()?;
                let peer = input_peer(ctx.w(), me, &r.peer)?;
                forum_topics(
                    ctx.w(),
                    me,
                    peer,
                    r.q.as_deref(),
                    r.offset_topic,
                    r.limit,
                    None,
                )
            })
        }
        f::messages::GetForumTopicsById::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::GetForumTopicsById, |r| {
                let me = ctx.me()?;
                let peer = input_peer(ctx.w(), me, &r.peer)?;
                forum_topics(ctx.w(), me, peer, None, 0, 100, Some(&r.topics))
            })
        }
        // ---- reading ----
        f::messages::GetDialogs::CONSTRUCTOR_ID => on!(ctx, body, f::messages::GetDialogs, |r| {
            let me = ctx.me()?;
            get_dialogs(ctx.w(), me, &r)
        }),
        f::messages::GetPeerDialogs::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::GetPeerDialogs, |r| {
                let me = ctx.me()?;
                let w = ctx.w();
                let mut peers = Vec::new();
                for p in &r.peers {
                    if let tl::enums::InputDialogPeer::Peer(p) = p {
                        peers.push(input_peer(w, me, &p.peer)?);
                    }
                }
                let (dialogs, messages, refs) = dialogs_for(w, me, &peers);
                Ok(
                    tl::enums::messages::PeerDialogs::Dialogs(tl::types::messages::PeerDialogs {
                        dialogs,
                        messages,
                        chats: refs.chats_tl(w, me),
                        users: refs.users_tl(w, me),
                        state: state_tl(w, me),
                    })
                    .to_bytes(),
                )
            })
        }
        f::messages::GetHistory::CONSTRUCTOR_ID => on!(ctx, body, f::messages::GetHistory, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let peer = readable_peer(w, me, &r.peer)?;
            let all = w.history(me, peer);
            let total = all.len();
            let page = paginate(
                all,
                r.offset_id,
                r.offset_date,
                r.add_offset,
                r.limit,
                r.max_id,
                r.min_id,
            );
            let complete = r.offset_id == 0
                && r.offset_date == 0
                && r.add_offset == 0
                && r.max_id == 0
                && r.min_id == 0
                && page.len() == total;
            Ok(messages_tl(w, me, Some(peer), page, total, complete, None))
        }),
        f::messages::Search::CONSTRUCTOR_ID => on!(ctx, body, f::messages::Search, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let peer = readable_peer(w, me, &r.peer)?;
            let from = match &r.from_id {
                Some(p) => Some(input_peer(w, me, p)?),
                None => None,
            };
            let matches: Vec<&Message> = w
                .history(me, peer)
                .into_iter()
                .filter(|m| m.topic_created.is_none())
                .filter(|m| text_matches(m, &r.q))
                .filter(|m| from.is_none_or(|f| m.from == Some(f)))
                .filter(|m| r.top_msg_id.is_none_or(|t| m.thread == Some(t)))
                .filter(|m| filter_matches(w, m, &r.filter))
                .filter(|m| {
                    (r.min_date == 0 || m.date >= r.min_date)
                        && (r.max_date == 0 || m.date <= r.max_date)
                })
                .collect();
            let total = matches.len();
            let page = paginate(
                matches,
                r.offset_id,
                0,
                r.add_offset,
                r.limit,
                r.max_id,
                r.min_id,
            );
            let complete = r.offset_id == 0
                && r.add_offset == 0
                && r.max_id == 0
                && r.min_id == 0
                && page.len() == total;
            Ok(messages_tl(w, me, Some(peer), page, total, complete, None))
        }),
        f::messages::SearchGlobal::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::SearchGlobal, |r| {
                let me = ctx.me()?;
                search_global(ctx.w(), me, &r)
            })
        }
        f::messages::GetMessages::CONSTRUCTOR_ID => on!(ctx, body, f::messages::GetMessages, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let pool: Vec<&Message> = w
                .accounts
                .get(&me)
                .map(|a| a.messages.iter().collect())
                .unwrap_or_default();
            Ok(get_messages(w, me, &pool, &r.id, None))
        }),
        f::channels::GetMessages::CONSTRUCTOR_ID => on!(ctx, body, f::channels::GetMessages, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let ch = input_channel(w, &r.channel)?;
            if !w.can_read(me, PeerKey::Channel(ch)) {
                return Err(bad("CHANNEL_PRIVATE"));
            }
            let pool = w.history(me, PeerKey::Channel(ch));
            Ok(get_messages(
                w,
                me,
                &pool,
                &r.id,
                Some(PeerKey::Channel(ch)),
            ))
        }),
        f::messages::GetReplies::CONSTRUCTOR_ID => on!(ctx, body, f::messages::GetReplies, |r| {
            let me = ctx.me()?;
            let w = ctx.w();
            let peer = readable_peer(w, me, &r.peer)?;
            let (tpeer, root) = thread_target(w, me, peer, r.msg_id)?;
            let all: Vec<&Message> = w
                .history(me, tpeer)
                .into_iter()
                .filter(|m| m.id != root && (m.thread == Some(root) || m.reply_to == Some(root)))
                .collect();
            let total = all.len();
            let page = paginate(
                all,
                r.offset_id,
                r.offset_date,
                r.add_offset,
                r.limit,
                r.max_id,
                r.min_id,
            );
            Ok(messages_tl(w, me, Some(tpeer), page, total, false, None))
        }),
        f::messages::GetDiscussionMessage::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::GetDiscussionMessage, |r| {
                let me = ctx.me()?;
                let w = ctx.w();
                let peer = readable_peer(w, me, &r.peer)?;
                let (tpeer, root) = thread_target(w, me, peer, r.msg_id)?;
                let root_msg = w
                    .message(me, tpeer, root)
                    .ok_or_else(|| bad("MSG_ID_INVALID"))?;
                let replies: Vec<&Message> = w
                    .history(me, tpeer)
                    .into_iter()
                    .filter(|m| m.id != root && m.thread == Some(root))
                    .collect();
                let mut refs = Refs::default();
                refs.message(w, root_msg);
                refs.peer(peer);
                Ok(tl::enums::messages::DiscussionMessage::Message(
                    tl::types::messages::DiscussionMessage {
                        messages: vec![message_tl(w, me, root_msg)],
                        max_id: replies.last().map(|m| m.id),
                        read_inbox_max_id: replies.last().map(|m| m.id),
                        read_outbox_max_id: replies.last().map(|m| m.id),
                        unread_count: 0,
                        chats: refs.chats_tl(w, me),
                        users: refs.users_tl(w, me),
                    },
                )
                .to_bytes())
            })
        }
        f::messages::GetSearchCounters::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::GetSearchCounters, |r| {
                let me = ctx.me()?;
                let w = ctx.w();
                let peer = readable_peer(w, me, &r.peer)?;
                let msgs: Vec<&Message> = w
                    .history(me, peer)
                    .into_iter()
                    .filter(|m| m.topic_created.is_none())
                    .filter(|m| r.top_msg_id.is_none_or(|t| m.thread == Some(t)))
                    .collect();
                let out: Vec<tl::enums::messages::SearchCounter> = r
                    .filters
                    .iter()
                    .map(|f| {
                        tl::types::messages::SearchCounter {
                            inexact: false,
                            filter: f.clone(),
                            count: msgs.iter().filter(|m| filter_matches(w, m, f)).count() as i32,
                        }
                        .into()
                    })
                    .collect();
                Ok(out.to_bytes())
            })
        }
        f::upload::GetFile::CONSTRUCTOR_ID => on!(ctx, body, f::upload::GetFile, |r| {
            ctx.me()?;
            let id = match &r.location {
                tl::enums::InputFileLocation::InputDocumentFileLocation(l) => l.id,
                tl::enums::InputFileLocation::InputPhotoFileLocation(l) => l.id,
                _ => return Err(bad("LOCATION_INVALID")),
            };
            let file = ctx
                .w()
                .files
                .get(&id)
                .ok_or_else(|| bad("FILE_ID_INVALID"))?;
            // core.telegram.org/api/files: 4 KiB-aligned offset and limit (1 KiB when
            // `precise`), 1 MiB divisible by limit, and no chunk across a 1 MiB boundary.
            let align = if r.precise { 1024 } else { 4096 };
            if r.limit <= 0 || r.limit % align != 0 || (1 << 20) % r.limit != 0 {
                return Err(bad("LIMIT_INVALID"));
            }
            if r.offset < 0 || r.offset % align as i64 != 0 {
                return Err(bad("OFFSET_INVALID"));
            }
            if !r.precise && r.offset >> 20 != (r.offset + r.limit as i64 - 1) >> 20 {
                return Err(bad("LIMIT_INVALID"));
            }
            let start = (r.offset as usize).min(file.bytes.len());
            let end = (start + r.limit as usize).min(file.bytes.len());
            Ok(tl::enums::upload::File::File(tl::types::upload::File {
                r#type: tl::enums::storage::FileType::FileUnknown,
                mtime: file.date,
                bytes: file.bytes[start..end].to_vec(),
            })
            .to_bytes())
        }),
        // ---- writing ----
        f::upload::SaveFilePart::CONSTRUCTOR_ID => {
            let r = f::upload::SaveFilePart::from_bytes(&body[4..])
                .map_err(|_| bad("INPUT_REQUEST_INVALID"))?;
            ctx.begin(format!(
                "SaveFilePart {{ file_id: {}, file_part: {}, len: {} }}",
                r.file_id,
                r.file_part,
                r.bytes.len()
            ))?;
            ctx.me()?;
            ctx.st
                .world
                .uploads
                .entry(r.file_id)
                .or_default()
                .insert(r.file_part, r.bytes);
            Ok(true.to_bytes())
        }
        f::upload::SaveBigFilePart::CONSTRUCTOR_ID => {
            let r = f::upload::SaveBigFilePart::from_bytes(&body[4..])
                .map_err(|_| bad("INPUT_REQUEST_INVALID"))?;
            ctx.begin(format!(
                "SaveBigFilePart {{ file_id: {}, file_part: {}, file_total_parts: {}, len: {} }}",
                r.file_id,
                r.file_part,
                r.file_total_parts,
                r.bytes.len()
            ))?;
            ctx.me()?;
            ctx.st
                .world
                .uploads
                .entry(r.file_id)
                .or_default()
                .insert(r.file_part, r.bytes);
            Ok(true.to_bytes())
        }
        f::messages::SendMessage::CONSTRUCTOR_ID => on!(ctx, body, f::messages::SendMessage, |r| {
            let me = ctx.me()?;
            let peer = writable_peer(ctx.w(), me, &r.peer)?;
            if r.message.trim().is_empty() {
                return Err(bad("MESSAGE_EMPTY"));
            }
            let draft = Draft {
                text: r.message.clone(),
                entities: r.entities.clone().unwrap_or_default(),
                random_id: Some(r.random_id),
                date: Some(next_date(ctx.w())),
                ..Default::default()
            };
            let draft = apply_reply(ctx.w(), me, peer, draft, r.reply_to.as_ref())?;
            let d = ctx.st.world.deliver(me, peer, draft);
            push_delivery(ctx, me, peer, &d);
            if matches!(peer, PeerKey::Channel(_)) {
                Ok(sent_updates(ctx, me, peer, &[(d.id, r.random_id)]))
            } else {
                let w = ctx.w();
                let m = w
                    .message(me, peer, d.id)
                    .ok_or_else(|| err(500, "INTERNAL"))?;
                let pts = w.accounts.get(&me).map(|a| a.pts).unwrap_or(1);
                Ok(
                    tl::enums::Updates::UpdateShortSentMessage(tl::types::UpdateShortSentMessage {
                        out: true,
                        id: m.id,
                        pts,
                        pts_count: 1,
                        date: m.date,
                        media: None,
                        entities: if m.entities.is_empty() {
                            None
                        } else {
                            Some(m.entities.clone())
                        },
                        ttl_period: None,
                    })
                    .to_bytes(),
                )
            }
        }),
        f::messages::SendMedia::CONSTRUCTOR_ID => on!(ctx, body, f::messages::SendMedia, |r| {
            let me = ctx.me()?;
            let peer = writable_peer(ctx.w(), me, &r.peer)?;
            let media = input_media(&mut ctx.st.world, &r.media)?;
            let draft = Draft {
                text: r.message.clone(),
                entities: r.entities.clone().unwrap_or_default(),
                media: Some(media),
                random_id: Some(r.random_id),
                date: Some(next_date(ctx.w())),
                ..Default::default()
            };
            let draft = apply_reply(ctx.w(), me, peer, draft, r.reply_to.as_ref())?;
            let d = ctx.st.world.deliver(me, peer, draft);
            push_delivery(ctx, me, peer, &d);
            Ok(sent_updates(ctx, me, peer, &[(d.id, r.random_id)]))
        }),
        f::messages::UploadMedia::CONSTRUCTOR_ID => on!(ctx, body, f::messages::UploadMedia, |r| {
            let me = ctx.me()?;
            writable_peer(ctx.w(), me, &r.peer)?;
            let media = input_media(&mut ctx.st.world, &r.media)?;
            crate::tlconv::media_tl(ctx.w(), &media)
                .map(|m| m.to_bytes())
                .ok_or_else(|| bad("MEDIA_INVALID"))
        }),
        f::messages::SendMultiMedia::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::SendMultiMedia, |r| {
                let me = ctx.me()?;
                let peer = writable_peer(ctx.w(), me, &r.peer)?;
                let grouped = (r.multi_media.len() > 1).then(|| rand::random::<i64>().abs());
                let mut sent = Vec::new();
                for (i, sm) in r.multi_media.iter().enumerate() {
                    let tl::enums::InputSingleMedia::Media(sm) = sm;
                    let media = input_media(&mut ctx.st.world, &sm.media)?;
                    let draft = Draft {
                        text: sm.message.clone(),
                        entities: sm.entities.clone().unwrap_or_default(),
                        media: Some(media),
                        random_id: Some(sm.random_id),
                        grouped_id: grouped,
                        date: Some(next_date(ctx.w())),
                        ..Default::default()
                    };
                    let draft = if i == 0 {
                        apply_reply(ctx.w(), me, peer, draft, r.reply_to.as_ref())?
                    } else {
                        draft
                    };
                    let d = ctx.st.world.deliver(me, peer, draft);
                    push_delivery(ctx, me, peer, &d);
                    sent.push((d.id, sm.random_id));
                }
                Ok(sent_updates(ctx, me, peer, &sent))
            })
        }
        f::messages::EditMessage::CONSTRUCTOR_ID => on!(ctx, body, f::messages::EditMessage, |r| {
            let me = ctx.me()?;
            let peer = writable_peer(ctx.w(), me, &r.peer)?;
            let new_media = match &r.media {
                Some(m) => Some(input_media(&mut ctx.st.world, m)?),
                None => None,
            };
            let date = next_date(ctx.w());
            let m = ctx
                .st
                .world
                .message_mut(me, peer, r.id)
                .ok_or_else(|| bad("MESSAGE_ID_INVALID"))?;
            if m.from != Some(PeerKey::User(me)) && !m.post {
                return Err(err(403, "MESSAGE_AUTHOR_REQUIRED"));
            }
            let new_text = r.message.clone().unwrap_or_else(|| m.text.clone());
            let new_entities = r.entities.clone().unwrap_or_default();
            if new_text == m.text && new_entities == m.entities && new_media.is_none() {
                return Err(bad("MESSAGE_NOT_MODIFIED"));
            }
            m.text = new_text;
            m.entities = new_entities;
            if new_media.is_some() {
                m.media = new_media;
            }
            m.edit_date = Some(date);
            let pts = bump_pts(&mut ctx.st.world, me, peer);
            let w = ctx.w();
            let m = w
                .message(me, peer, r.id)
                .ok_or_else(|| err(500, "INTERNAL"))?;
            let msg = message_tl(w, me, m);
            let update: tl::enums::Update = match peer {
                PeerKey::Channel(_) => tl::types::UpdateEditChannelMessage {
                    message: msg,
                    pts,
                    pts_count: 1,
                }
                .into(),
                _ => tl::types::UpdateEditMessage {
                    message: msg,
                    pts,
                    pts_count: 1,
                }
                .into(),
            };
            let mut refs = Refs::default();
            refs.message(w, m);
            Ok(updates_tl(vec![update], refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes())
        }),
        f::messages::DeleteMessages::CONSTRUCTOR_ID => {
            on!(ctx, body, f::messages::DeleteMessages, |r| {
                let me = ctx.me()?;
                let acc = ctx
                    .st
                    .world
                    .accounts
                    .get_mut(&me)
                    .ok_or_else(|| err(500, "INTERNAL"))?;
                let before = acc.messages.len();
                acc.messages.retain(|m| !r.id.contains(&m.id));
                let n = (before - acc.messages.len()) as i32;
                acc.pts += n;
                Ok(tl::enums::messages::AffectedMessages::Messages(
                    tl::types::messages::AffectedMessages {
                        pts: acc.pts,
                        pts_count: n,
                    },
                )
                .to_bytes())
            })
        }
        f::channels::DeleteMessages::CONSTRUCTOR_ID => {
            on!(ctx, body, f::channels::DeleteMessages, |r| {
                let me = ctx.me()?;
                let id = input_channel(ctx.w(), &r.channel)?;
                let ch = ctx
                    .st
                    .world
                    .channels
                    .get_mut(&id)
                    .ok_or_else(|| bad("CHANNEL_INVALID"))?;
                let admin = ch.creator == me;
                let before = ch.messages.len();
                ch.messages.retain(|m| {
                    !(r.id.contains(&m.id) && (admin || m.from == Some(PeerKey::User(me))))
                });
                let n = (before - ch.messages.len()) as i32;
                ch.pts += n;
                Ok(tl::enums::messages::AffectedMessages::Messages(
                    tl::types::messages::AffectedMessages {
                        pts: ch.pts,
                        pts_count: n,
                    },
                )
                .to_bytes())
            })
        }
        f::messages::ReadHistory::CONSTRUCTOR_ID => on!(ctx, body, f::messages::ReadHistory, |r| {
            let me = ctx.me()?;
            let peer = readable_peer(ctx.w(), me, &r.peer)?;
            let top = ctx.w().last_message(me, peer).map(|m| m.id).unwrap_or(0);
            let max = if r.max_id == 0 {
                top
            } else {
                r.max_id.min(top)
            };
            let acc = ctx
                .st
                .world
                .accounts
                .get_mut(&me)
                .ok_or_else(|| err(500, "INTERNAL"))?;
            acc.read_inbox.insert(peer, max);
            Ok(tl::enums::messages::AffectedMessages::Messages(
                tl::types::messages::AffectedMessages {
                    pts: acc.pts,
                    pts_count: 0,
                },
            )
            .to_bytes())
        }),
        f::channels::ReadHistory::CONSTRUCTOR_ID => on!(ctx, body, f::channels::ReadHistory, |r| {
            let me = ctx.me()?;
            let id = input_channel(ctx.w(), &r.channel)?;
            let peer = PeerKey::Channel(id);
            let top = ctx.w().last_message(me, peer).map(|m| m.id).unwrap_or(0);
            let max = if r.max_id == 0 {
                top
            } else {
                r.max_id.min(top)
            };
            if let Some(acc) = ctx.st.world.accounts.get_mut(&me) {
                acc.read_inbox.insert(peer, max);
            }
            Ok(true.to_bytes())
        }),
        _ => {
            ctx.record(format!("<{} bytes>", body.len()));
            if let Some(pos) = ctx.st.injected.iter().position(|(m, _, _)| m == ctx.name) {
                let (_, code, message) = ctx.st.injected.remove(pos);
                return Err(RpcErr { code, message });
            }
            Err(bad(&format!(
                "FAKE_DC_UNHANDLED_{}",
                ctx.name.replace('.', "_").to_uppercase()
            )))
        }
    }
}

// ---------------------------------------------------------------- helpers: peers

fn user_by_phone(w: &World, phone: &str) -> Option<i64> {
    let norm = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let want = norm(phone);
    if want.is_empty() {
        return None;
    }
    w.users
        .values()
        .find(|u| u.phone.as_deref().map(norm).as_deref() == Some(want.as_str()))
        .map(|u| u.id)
}

fn input_user(w: &World, me: i64, u: &tl::enums::InputUser) -> Result<i64, RpcErr> {
    match u {
        tl::enums::InputUser::UserSelf => Ok(me),
        tl::enums::InputUser::User(u) => match w.users.get(&u.user_id) {
            Some(x) if x.access_hash == u.access_hash || u.user_id == me => Ok(u.user_id),
            _ => Err(bad("USER_ID_INVALID")),
        },
        tl::enums::InputUser::FromMessage(u) => w
            .users
            .contains_key(&u.user_id)
            .then_some(u.user_id)
            .ok_or_else(|| bad("USER_ID_INVALID")),
        tl::enums::InputUser::Empty => Err(bad("USER_ID_INVALID")),
    }
}

fn input_channel(w: &World, c: &tl::enums::InputChannel) -> Result<i64, RpcErr> {
    match c {
        tl::enums::InputChannel::Channel(c) => match w.channels.get(&c.channel_id) {
            Some(x) if x.access_hash == c.access_hash => Ok(c.channel_id),
            _ => Err(bad("CHANNEL_INVALID")),
        },
        tl::enums::InputChannel::FromMessage(c) => w
            .channels
            .contains_key(&c.channel_id)
            .then_some(c.channel_id)
            .ok_or_else(|| bad("CHANNEL_INVALID")),
        tl::enums::InputChannel::Empty => Err(bad("CHANNEL_INVALID")),
    }
}

fn input_peer(w: &World, me: i64, p: &tl::enums::InputPeer) -> Result<PeerKey, RpcErr> {
    use tl::enums::InputPeer as P;
    match p {
        P::PeerSelf => Ok(PeerKey::User(me)),
        P::User(u) => match w.users.get(&u.user_id) {
            Some(x) if x.access_hash == u.access_hash || u.user_id == me => {
                Ok(PeerKey::User(u.user_id))
            }
            _ => Err(bad("PEER_ID_INVALID")),
        },
        P::Chat(c) => w
            .groups
            .contains_key(&c.chat_id)
            .then_some(PeerKey::Chat(c.chat_id))
            .ok_or_else(|| bad("PEER_ID_INVALID")),
        P::Channel(c) => match w.channels.get(&c.channel_id) {
            Some(x) if x.access_hash == c.access_hash => Ok(PeerKey::Channel(c.channel_id)),
            _ => Err(bad("CHANNEL_INVALID")),
        },
        P::UserFromMessage(u) => w
            .users
            .contains_key(&u.user_id)
            .then_some(PeerKey::User(u.user_id))
            .ok_or_else(|| bad("PEER_ID_INVALID")),
        P::ChannelFromMessage(c) => w
            .channels
            .contains_key(&c.channel_id)
            .then_some(PeerKey::Channel(c.channel_id))
            .ok_or_else(|| bad("CHANNEL_INVALID")),
        P::Empty => Err(bad("PEER_ID_INVALID")),
    }
}

fn readable_peer(w: &World, me: i64, p: &tl::enums::InputPeer) -> Result<PeerKey, RpcErr> {
    let peer = input_peer(w, me, p)?;
    if !w.can_read(me, peer) {
        return Err(bad(if matches!(peer, PeerKey::Channel(_)) {
            "CHANNEL_PRIVATE"
        } else {
            "PEER_ID_INVALID"
        }));
    }
    Ok(peer)
}

fn writable_peer(w: &World, me: i64, p: &tl::enums::InputPeer) -> Result<PeerKey, RpcErr> {
    let peer = input_peer(w, me, p)?;
    match peer {
        PeerKey::User(_) => Ok(peer),
        PeerKey::Chat(id) if w.groups.get(&id).is_some_and(|g| g.members.contains(&me)) => Ok(peer),
        PeerKey::Channel(id) => match w.channels.get(&id) {
            Some(c) if c.broadcast && c.creator != me => Err(err(403, "CHAT_WRITE_FORBIDDEN")),
            Some(c) if c.members.contains(&me) => Ok(peer),
            _ => Err(bad("CHANNEL_PRIVATE")),
        },
        PeerKey::Chat(_) => Err(err(403, "CHAT_WRITE_FORBIDDEN")),
    }
}

/// For a broadcast post: its discussion group and root copy; otherwise the same chat and id.
fn thread_target(w: &World, me: i64, peer: PeerKey, msg_id: i32) -> Result<(PeerKey, i32), RpcErr> {
    let m = w.message(me, peer, msg_id);
    if let PeerKey::Channel(c) = peer
        && w.channels.get(&c).is_some_and(|c| c.broadcast)
    {
        let m = m.ok_or_else(|| bad("MSG_ID_INVALID"))?;
        let (g, root) = m.discussion.ok_or_else(|| bad("MSG_ID_INVALID"))?;
        return Ok((PeerKey::Channel(g), root));
    }
    if let PeerKey::Channel(c) = peer
        && w.channels
            .get(&c)
            .is_some_and(|c| c.forum && c.topics.iter().any(|t| t.id == msg_id))
    {
        return Ok((peer, msg_id));
    }
    let m = m.ok_or_else(|| bad("MSG_ID_INVALID"))?;
    Ok((
        peer,
        m.thread.filter(|_| m.reply_to.is_none()).unwrap_or(msg_id),
    ))
}

// ---------------------------------------------------------------- helpers: messages

fn text_matches(m: &Message, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty() || m.text.to_lowercase().contains(&q)
}

fn filter_matches(w: &World, m: &Message, f: &tl::enums::MessagesFilter) -> bool {
    use tl::enums::MessagesFilter as F;
    let kind = match &m.media {
        Some(Media::Photo(_)) => "photo",
        Some(Media::Document(id)) => match w.files.get(id).map(|f| &f.kind) {
            Some(FileKind::Voice { .. }) => "voice",
            _ => "document",
        },
        Some(Media::Poll { .. }) => "poll",
        None => "text",
    };
    match f {
        F::InputMessagesFilterEmpty => true,
        F::InputMessagesFilterPhotos | F::InputMessagesFilterPhotoVideo => kind == "photo",
        F::InputMessagesFilterDocument => kind == "document",
        F::InputMessagesFilterVoice | F::InputMessagesFilterRoundVoice => kind == "voice",
        F::InputMessagesFilterPoll => kind == "poll",
        F::InputMessagesFilterUrl => m.entities.iter().any(|e| {
            matches!(
                e,
                tl::enums::MessageEntity::Url(_) | tl::enums::MessageEntity::TextUrl(_)
            )
        }),
        _ => false,
    }
}

/// Telegram-style paging over an ascending list; returns newest first.
fn paginate(
    asc: Vec<&Message>,
    offset_id: i32,
    offset_date: i32,
    add_offset: i32,
    limit: i32,
    max_id: i32,
    min_id: i32,
) -> Vec<&Message> {
    let desc: Vec<&Message> = asc
        .into_iter()
        .rev()
        .filter(|m| (max_id == 0 || m.id < max_id) && (min_id == 0 || m.id > min_id))
        .collect();
    let start = if offset_id != 0 {
        desc.iter()
            .position(|m| m.id < offset_id)
            .unwrap_or(desc.len())
    } else if offset_date != 0 {
        desc.iter()
            .position(|m| m.date < offset_date)
            .unwrap_or(desc.len())
    } else {
        0
    } as i64;
    let limit = limit.clamp(0, 100) as i64;
    let s = (start + add_offset as i64).clamp(0, desc.len() as i64) as usize;
    let e = (start + add_offset as i64 + limit).clamp(0, desc.len() as i64) as usize;
    if s >= e {
        Vec::new()
    } else {
        desc[s..e].to_vec()
    }
}

fn messages_tl(
    w: &World,
    me: i64,
    peer: Option<PeerKey>,
    page: Vec<&Message>,
    count: usize,
    complete: bool,
    next_rate: Option<i32>,
) -> Vec<u8> {
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    if let Some(p) = peer {
        refs.peer(p);
    }
    for m in &page {
        refs.message(w, m);
    }
    let messages: Vec<tl::enums::Message> = page.iter().map(|m| message_tl(w, me, m)).collect();
    let users = refs.users_tl(w, me);
    let chats = refs.chats_tl(w, me);
    let out: tl::enums::messages::Messages = match peer {
        Some(PeerKey::Channel(c)) => tl::types::messages::ChannelMessages {
            inexact: false,
            pts: w.channels.get(&c).map(|c| c.pts).unwrap_or(1),
            count: count as i32,
            offset_id_offset: None,
            messages,
            topics: vec![],
            chats,
            users,
        }
        .into(),
        _ if complete => tl::types::messages::Messages {
            messages,
            topics: vec![],
            chats,
            users,
        }
        .into(),
        _ => tl::types::messages::MessagesSlice {
            inexact: false,
            count: count as i32,
            next_rate,
            offset_id_offset: None,
            search_flood: None,
            messages,
            topics: vec![],
            chats,
            users,
        }
        .into(),
    };
    out.to_bytes()
}

fn get_messages(
    w: &World,
    me: i64,
    pool: &[&Message],
    ids: &[tl::enums::InputMessage],
    peer: Option<PeerKey>,
) -> Vec<u8> {
    let mut found: Vec<tl::enums::Message> = Vec::new();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    if let Some(p) = peer {
        refs.peer(p);
    }
    for id in ids {
        let target = match id {
            tl::enums::InputMessage::Id(i) => Some(i.id),
            tl::enums::InputMessage::ReplyTo(i) => {
                pool.iter().find(|m| m.id == i.id).and_then(|m| m.reply_to)
            }
            _ => None,
        };
        match target.and_then(|t| pool.iter().find(|m| m.id == t)) {
            Some(m) => {
                refs.message(w, m);
                found.push(message_tl(w, me, m));
            }
            None => found.push(
                tl::types::MessageEmpty {
                    id: target.unwrap_or(0),
                    peer_id: None,
                }
                .into(),
            ),
        }
    }
    let users = refs.users_tl(w, me);
    let chats = refs.chats_tl(w, me);
    let out: tl::enums::messages::Messages = match peer {
        Some(PeerKey::Channel(c)) => tl::types::messages::ChannelMessages {
            inexact: false,
            pts: w.channels.get(&c).map(|c| c.pts).unwrap_or(1),
            count: found.len() as i32,
            offset_id_offset: None,
            messages: found,
            topics: vec![],
            chats,
            users,
        }
        .into(),
        _ => tl::types::messages::Messages {
            messages: found,
            topics: vec![],
            chats,
            users,
        }
        .into(),
    };
    out.to_bytes()
}

fn search_global(w: &World, me: i64, r: &tl::functions::messages::SearchGlobal) -> Res {
    let mut peers = w.dialog_peers(me);
    peers.retain(|p| match p {
        PeerKey::User(_) => !r.broadcasts_only && !r.groups_only,
        PeerKey::Chat(_) => !r.broadcasts_only && !r.users_only,
        PeerKey::Channel(c) => {
            let bc = w.channels.get(c).is_some_and(|c| c.broadcast);
            !r.users_only
                && if bc {
                    !r.groups_only
                } else {
                    !r.broadcasts_only
                }
        }
    });
    let mut all: Vec<&Message> = peers
        .iter()
        .flat_map(|p| w.history(me, *p))
        .filter(|m| m.topic_created.is_none())
        .filter(|m| text_matches(m, &r.q))
        .filter(|m| filter_matches(w, m, &r.filter))
        .filter(|m| {
            (r.min_date == 0 || m.date >= r.min_date) && (r.max_date == 0 || m.date <= r.max_date)
        })
        .collect();
    // Newest first; ties by peer then id, all descending.
    all.sort_by_key(|m| std::cmp::Reverse((m.date, m.peer, m.id)));
    let total = all.len();
    let offset_peer = match &r.offset_peer {
        tl::enums::InputPeer::Empty => None,
        p => Some(input_peer(w, me, p)?),
    };
    let start = match offset_peer {
        Some(op) if r.offset_id != 0 => {
            match all.iter().position(|m| m.peer == op && m.id == r.offset_id) {
                Some(i) => i + 1,
                None if r.offset_rate != 0 => all
                    .iter()
                    .position(|m| (m.date, m.peer, m.id) < (r.offset_rate, op, r.offset_id))
                    .unwrap_or(total),
                None => total,
            }
        }
        _ if r.offset_rate != 0 => all
            .iter()
            .position(|m| m.date < r.offset_rate)
            .unwrap_or(total),
        _ => 0,
    };
    let limit = r.limit.clamp(0, 100) as usize;
    let end = (start + limit).min(total);
    let page: Vec<&Message> = all[start.min(end)..end].to_vec();
    let more = end < total;
    let first_page = start == 0;
    let next_rate = if more {
        page.last().map(|m| m.date)
    } else {
        None
    };
    Ok(messages_tl(
        w,
        me,
        None,
        page,
        total,
        first_page && !more,
        next_rate,
    ))
}

fn next_date(w: &World) -> i32 {
    let newest = w
        .accounts
        .values()
        .flat_map(|a| a.messages.last())
        .chain(w.channels.values().flat_map(|c| c.messages.last()))
        .map(|m| m.date)
        .max()
        .unwrap_or(0);
    now().max(newest + 1)
}

fn apply_reply(
    w: &World,
    me: i64,
    peer: PeerKey,
    mut draft: Draft,
    reply: Option<&tl::enums::InputReplyTo>,
) -> Result<Draft, RpcErr> {
    let Some(tl::enums::InputReplyTo::Message(r)) = reply else {
        return Ok(draft);
    };
    let forum_topic = |id: i32| match peer {
        PeerKey::Channel(c) => w
            .channels
            .get(&c)
            .is_some_and(|c| c.forum && c.topics.iter().any(|t| t.id == id)),
        _ => false,
    };
    let target = w.message(me, peer, r.reply_to_msg_id);
    if target.is_none() && !forum_topic(r.reply_to_msg_id) {
        return Err(bad("REPLY_TO_INVALID"));
    }
    draft.reply_to = Some(r.reply_to_msg_id);
    draft.thread = r.top_msg_id.or_else(|| {
        if forum_topic(r.reply_to_msg_id) {
            Some(r.reply_to_msg_id)
        } else {
            target.and_then(|t| {
                t.thread.or(t
                    .discussion
                    .filter(|_| matches!(peer, PeerKey::Channel(_)))
                    .map(|_| t.id))
            })
        }
    });
    Ok(draft)
}

fn bump_pts(w: &mut World, me: i64, peer: PeerKey) -> i32 {
    match peer {
        PeerKey::Channel(c) => w.channels.get_mut(&c).map(|c| {
            c.pts += 1;
            c.pts
        }),
        _ => w.accounts.get_mut(&me).map(|a| {
            a.pts += 1;
            a.pts
        }),
    }
    .unwrap_or(1)
}

fn updates_tl(
    updates: Vec<tl::enums::Update>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
) -> tl::enums::Updates {
    tl::types::Updates {
        updates,
        users,
        chats,
        date: now(),
        seq: 0,
    }
    .into()
}

fn new_message_update(w: &World, owner: i64, m: &Message) -> tl::enums::Update {
    match m.peer {
        PeerKey::Channel(c) => tl::types::UpdateNewChannelMessage {
            message: message_tl(w, owner, m),
            pts: w.channels.get(&c).map(|c| c.pts).unwrap_or(1),
            pts_count: 1,
        }
        .into(),
        _ => tl::types::UpdateNewMessage {
            message: message_tl(w, owner, m),
            pts: w.accounts.get(&owner).map(|a| a.pts).unwrap_or(1),
            pts_count: 1,
        }
        .into(),
    }
}

/// `updates` answer for sends: `updateMessageID` + new-message updates.
fn sent_updates(ctx: &Ctx, me: i64, peer: PeerKey, sent: &[(i32, i64)]) -> Vec<u8> {
    let w = ctx.w();
    let mut ups: Vec<tl::enums::Update> = Vec::new();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    refs.peer(peer);
    for (id, random_id) in sent {
        ups.push(
            tl::types::UpdateMessageId {
                id: *id,
                random_id: *random_id,
            }
            .into(),
        );
    }
    for (id, _) in sent {
        if let Some(m) = w.message(me, peer, *id) {
            refs.message(w, m);
            ups.push(new_message_update(w, me, m));
        }
    }
    updates_tl(ups, refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes()
}

/// Pushes the new message to every other logged-in session that can see it.
fn push_delivery(ctx: &Ctx, me: i64, peer: PeerKey, d: &Delivery) {
    let w = ctx.w();
    let mut targets: Vec<(i64, PeerKey, i32)> = Vec::new();
    for (owner, id) in &d.boxes {
        let p = match peer {
            PeerKey::User(to) if *owner != me => {
                let _ = to;
                PeerKey::User(me)
            }
            other => other,
        };
        targets.push((*owner, p, *id));
    }
    if let Some((c, id)) = d.channel {
        for member in w
            .channels
            .get(&c)
            .map(|c| c.members.clone())
            .unwrap_or_default()
        {
            if w.accounts.contains_key(&member) {
                targets.push((member, PeerKey::Channel(c), id));
            }
        }
    }
    for (owner, p, id) in targets {
        let Some(m) = w.message(owner, p, id) else {
            continue;
        };
        let mut refs = Refs::default();
        refs.peer(PeerKey::User(owner));
        refs.message(w, m);
        let body = updates_tl(
            vec![new_message_update(w, owner, m)],
            refs.users_tl(w, owner),
            refs.chats_tl(w, owner),
        )
        .to_bytes();
        let except = if owner == me { Some(&ctx.key_id) } else { None };
        if owner == me && except.is_none() {
            continue;
        }
        ctx.st.push_to_user(owner, except, &body);
    }
}

fn input_media(w: &mut World, m: &tl::enums::InputMedia) -> Result<Media, RpcErr> {
    use tl::enums::InputMedia as M;
    let uploaded = |w: &World, f: &tl::enums::InputFile| -> Result<(Vec<u8>, String), RpcErr> {
        let (id, parts, name) = match f {
            tl::enums::InputFile::File(f) => (f.id, f.parts, f.name.clone()),
            tl::enums::InputFile::Big(f) => (f.id, f.parts, f.name.clone()),
            _ => return Err(bad("FILE_PARTS_INVALID")),
        };
        let stored = w
            .uploads
            .get(&id)
            .ok_or_else(|| bad("FILE_PARTS_INVALID"))?;
        if stored.len() != parts as usize || stored.keys().copied().ne(0..parts) {
            return Err(bad("FILE_PART_MISSING"));
        }
        Ok((stored.values().flatten().copied().collect(), name))
    };
    match m {
        M::UploadedDocument(d) => {
            let (bytes, fname) = uploaded(w, &d.file)?;
            let mut name = Some(fname);
            let mut kind = FileKind::Document;
            for a in &d.attributes {
                match a {
                    tl::enums::DocumentAttribute::Filename(f) => name = Some(f.file_name.clone()),
                    tl::enums::DocumentAttribute::Audio(a) if a.voice => {
                        kind = FileKind::Voice {
                            duration: a.duration,
                        }
                    }
                    _ => {}
                }
            }
            Ok(Media::Document(w.add_file(
                kind,
                name.as_deref(),
                &d.mime_type,
                bytes,
            )))
        }
        M::UploadedPhoto(p) => {
            let (bytes, _) = uploaded(w, &p.file)?;
            Ok(Media::Photo(w.add_file(
                FileKind::Photo { w: 800, h: 600 },
                None,
                "image/jpeg",
                bytes,
            )))
        }
        M::Document(d) => match &d.id {
            tl::enums::InputDocument::Document(d) if w.files.contains_key(&d.id) => {
                Ok(Media::Document(d.id))
            }
            _ => Err(bad("MEDIA_INVALID")),
        },
        M::Photo(p) => match &p.id {
            tl::enums::InputPhoto::Photo(p) if w.files.contains_key(&p.id) => {
                Ok(Media::Photo(p.id))
            }
            _ => Err(bad("MEDIA_INVALID")),
        },
        M::Poll(p) => {
            let tl::enums::Poll::Poll(poll) = &p.poll;
            let text = |t: &tl::enums::TextWithEntities| match t {
                tl::enums::TextWithEntities::Entities(t) => t.text.clone(),
            };
            Ok(Media::Poll {
                id: rand::random::<i64>().abs(),
                question: text(&poll.question),
                answers: poll
                    .answers
                    .iter()
                    .map(|a| match a {
                        tl::enums::PollAnswer::Answer(a) => text(&a.text),
                        tl::enums::PollAnswer::InputPollAnswer(a) => text(&a.text),
                    })
                    .collect(),
            })
        }
        _ => Err(bad("MEDIA_INVALID")),
    }
}

// ---------------------------------------------------------------- helpers: dialogs etc.

fn state_tl(w: &World, me: i64) -> tl::enums::updates::State {
    tl::types::updates::State {
        pts: w.accounts.get(&me).map(|a| a.pts).unwrap_or(1),
        qts: 0,
        date: now(),
        seq: 0,
        unread_count: 0,
    }
    .into()
}

fn unread(w: &World, me: i64, peer: PeerKey) -> (i32, i32) {
    let hist = w.history(me, peer);
    let top = hist.last().map(|m| m.id).unwrap_or(0);
    let read = w
        .accounts
        .get(&me)
        .and_then(|a| a.read_inbox.get(&peer).copied())
        .unwrap_or(top);
    let n = hist
        .iter()
        .filter(|m| m.id > read && m.from != Some(PeerKey::User(me)) && m.topic_created.is_none())
        .count();
    (read, n as i32)
}

fn dialogs_for(
    w: &World,
    me: i64,
    peers: &[PeerKey],
) -> (Vec<tl::enums::Dialog>, Vec<tl::enums::Message>, Refs) {
    let acc = w.accounts.get(&me);
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    let mut dialogs = Vec::new();
    let mut messages = Vec::new();
    for p in peers {
        refs.peer(*p);
        let top = w.last_message(me, *p);
        if let Some(m) = top {
            refs.message(w, m);
            messages.push(message_tl(w, me, m));
        }
        let (read, unread_count) = unread(w, me, *p);
        dialogs.push(
            tl::types::Dialog {
                pinned: acc.is_some_and(|a| a.pinned.contains(p)),
                unread_mark: false,
                view_forum_as_messages: false,
                peer: peer_tl(*p),
                top_message: top.map(|m| m.id).unwrap_or(0),
                read_inbox_max_id: read,
                read_outbox_max_id: top.map(|m| m.id).unwrap_or(0),
                unread_count,
                unread_mentions_count: 0,
                unread_reactions_count: 0,
                unread_poll_votes_count: 0,
                notify_settings: notify_settings(acc.is_some_and(|a| a.muted.contains(p))),
                pts: match p {
                    PeerKey::Channel(c) => w.channels.get(c).map(|c| c.pts),
                    _ => None,
                },
                draft: None,
                folder_id: acc.is_some_and(|a| a.archived.contains(p)).then_some(1),
                ttl_period: None,
            }
            .into(),
        );
    }
    (dialogs, messages, refs)
}

fn top_key(w: &World, me: i64, p: PeerKey) -> (i32, i32) {
    w.last_message(me, p)
        .map(|m| (m.date, m.id))
        .unwrap_or((0, 0))
}

fn get_dialogs(w: &World, me: i64, r: &tl::functions::messages::GetDialogs) -> Res {
    let acc = w.accounts.get(&me).ok_or_else(|| err(500, "INTERNAL"))?;
    // No folder_id: every dialog, archived ones included; 0: the main list; 1: the archive.
    let all: Vec<PeerKey> = w
        .dialog_peers(me)
        .into_iter()
        .filter(|p| match r.folder_id {
            None => true,
            Some(f) => acc.archived.contains(p) == (f == 1),
        })
        .collect();
    let pinned: Vec<PeerKey> = acc
        .pinned
        .iter()
        .copied()
        .filter(|p| all.contains(p))
        .collect();
    let rest: Vec<PeerKey> = all
        .iter()
        .copied()
        .filter(|p| !pinned.contains(p))
        .collect();
    let total = all.len();
    let offset_peer = match &r.offset_peer {
        tl::enums::InputPeer::Empty => None,
        p => input_peer(w, me, p).ok(),
    };
    let has_offset = offset_peer.is_some() || r.offset_date != 0 || r.offset_id != 0;
    let mut list: Vec<PeerKey> = Vec::new();
    if !has_offset && !r.exclude_pinned {
        list.extend(pinned.iter().copied());
    }
    let start = if let Some(op) = offset_peer.filter(|op| rest.contains(op)) {
        rest.iter()
            .position(|p| *p == op)
            .map(|i| i + 1)
            .unwrap_or(rest.len())
    } else if r.offset_date != 0 {
        rest.iter()
            .position(|p| top_key(w, me, *p) < (r.offset_date, r.offset_id.max(1)))
            .unwrap_or(rest.len())
    } else {
        0
    };
    list.extend(rest[start..].iter().copied());
    let limit = r.limit.clamp(0, 100) as usize;
    list.truncate(limit);
    let complete = !has_offset && list.len() == total;
    let (dialogs, messages, refs) = dialogs_for(w, me, &list);
    let users = refs.users_tl(w, me);
    let chats = refs.chats_tl(w, me);
    let out: tl::enums::messages::Dialogs = if complete {
        tl::types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        }
        .into()
    } else {
        tl::types::messages::DialogsSlice {
            count: total as i32,
            dialogs,
            messages,
            chats,
            users,
        }
        .into()
    };
    Ok(out.to_bytes())
}

fn resolved(w: &World, me: i64, peer: PeerKey) -> Vec<u8> {
    let mut refs = Refs::default();
    refs.peer(peer);
    tl::enums::contacts::ResolvedPeer::Peer(tl::types::contacts::ResolvedPeer {
        peer: peer_tl(peer),
        chats: refs.chats_tl(w, me),
        users: refs.users_tl(w, me),
    })
    .to_bytes()
}

fn contacts_search(w: &World, me: i64, q: &str, limit: i32) -> Vec<u8> {
    let q = q.trim().trim_start_matches('@').to_lowercase();
    let limit = limit.clamp(0, 100) as usize;
    let mine: Vec<PeerKey> = {
        let mut v: Vec<PeerKey> = w
            .accounts
            .get(&me)
            .map(|a| a.contacts.iter().map(|c| PeerKey::User(*c)).collect())
            .unwrap_or_default();
        for p in w.dialog_peers(me) {
            if !v.contains(&p) && p != PeerKey::User(me) {
                v.push(p);
            }
        }
        v
    };
    let name_match = |p: PeerKey| {
        let uname = match p {
            PeerKey::User(id) => w.users.get(&id).and_then(|u| u.username.clone()),
            PeerKey::Channel(id) => w.channels.get(&id).and_then(|c| c.username.clone()),
            PeerKey::Chat(_) => None,
        };
        !q.is_empty()
            && (w.peer_name(p).to_lowercase().contains(&q)
                || uname.is_some_and(|u| u.to_lowercase().contains(&q)))
    };
    let my_results: Vec<PeerKey> = mine
        .iter()
        .copied()
        .filter(|p| name_match(*p))
        .take(limit)
        .collect();
    let mut results: Vec<PeerKey> = Vec::new();
    for u in w.users.values() {
        if u.id != me
            && u.username.is_some()
            && name_match(PeerKey::User(u.id))
            && !my_results.contains(&PeerKey::User(u.id))
        {
            results.push(PeerKey::User(u.id));
        }
    }
    for c in w.channels.values() {
        let p = PeerKey::Channel(c.id);
        if c.username.is_some() && name_match(p) && !my_results.contains(&p) {
            results.push(p);
        }
    }
    results.truncate(limit);
    let mut refs = Refs::default();
    for p in my_results.iter().chain(results.iter()) {
        refs.peer(*p);
    }
    tl::enums::contacts::Found::Found(tl::types::contacts::Found {
        my_results: my_results.iter().map(|p| peer_tl(*p)).collect(),
        results: results.iter().map(|p| peer_tl(*p)).collect(),
        chats: refs.chats_tl(w, me),
        users: refs.users_tl(w, me),
    })
    .to_bytes()
}

fn peer_settings() -> tl::enums::PeerSettings {
    tl::types::PeerSettings {
        report_spam: false,
        add_contact: false,
        block_contact: false,
        share_contact: false,
        need_contacts_exception: false,
        report_geo: false,
        autoarchived: false,
        invite_members: false,
        request_chat_broadcast: false,
        business_bot_paused: false,
        business_bot_can_reply: false,
        geo_distance: None,
        request_chat_title: None,
        request_chat_date: None,
        business_bot_id: None,
        business_bot_manage_url: None,
        charge_paid_message_stars: None,
        registration_month: None,
        phone_country: None,
        name_change_date: None,
        photo_change_date: None,
    }
    .into()
}

fn full_user(w: &World, me: i64, uid: i64) -> tl::enums::users::UserFull {
    let u = w.users.get(&uid);
    let common = w
        .groups
        .values()
        .filter(|g| g.members.contains(&me) && g.members.contains(&uid))
        .count()
        + w.channels
            .values()
            .filter(|c| !c.broadcast && c.members.contains(&me) && c.members.contains(&uid))
            .count();
    tl::types::users::UserFull {
        full_user: tl::types::UserFull {
            blocked: false,
            phone_calls_available: false,
            phone_calls_private: false,
            can_pin_message: true,
            has_scheduled: false,
            video_calls_available: false,
            voice_messages_forbidden: false,
            translations_disabled: false,
            stories_pinned_available: false,
            blocked_my_stories_from: false,
            wallpaper_overridden: false,
            contact_require_premium: false,
            read_dates_private: false,
            sponsored_enabled: false,
            can_view_revenue: false,
            bot_can_manage_emoji_status: false,
            display_gifts_button: false,
            noforwards_my_enabled: false,
            noforwards_peer_enabled: false,
            unofficial_security_risk: false,
            id: uid,
            about: u.and_then(|u| u.about.clone()),
            settings: peer_settings(),
            personal_photo: None,
            profile_photo: None,
            fallback_photo: None,
            notify_settings: notify_settings(false),
            bot_info: None,
            pinned_msg_id: None,
            common_chats_count: common as i32,
            folder_id: None,
            ttl_period: None,
            theme: None,
            private_forward_name: None,
            bot_group_admin_rights: None,
            bot_broadcast_admin_rights: None,
            wallpaper: None,
            stories: None,
            business_work_hours: None,
            business_location: None,
            business_greeting_message: None,
            business_away_message: None,
            business_intro: None,
            birthday: None,
            personal_channel_id: None,
            personal_channel_message: None,
            stargifts_count: None,
            starref_program: None,
            bot_verification: None,
            send_paid_messages_stars: None,
            disallowed_gifts: None,
            stars_rating: None,
            stars_my_pending_rating: None,
            stars_my_pending_rating_date: None,
            main_tab: None,
            saved_music: None,
            note: None,
            bot_manager_id: None,
        }
        .into(),
        chats: vec![],
        users: vec![user_tl(w, Some(me), uid)],
    }
    .into()
}

fn full_chat(w: &World, me: i64, chat_id: i64) -> Res {
    let g = w
        .groups
        .get(&chat_id)
        .ok_or_else(|| bad("CHAT_ID_INVALID"))?;
    let full = tl::types::ChatFull {
        can_set_username: false,
        has_scheduled: false,
        translations_disabled: false,
        has_welcome_messages: false,
        id: chat_id,
        about: g.about.clone(),
        participants: tl::types::ChatParticipants {
            chat_id,
            participants: g
                .members
                .iter()
                .map(|u| {
                    tl::types::ChatParticipant {
                        user_id: *u,
                        inviter_id: g.creator,
                        date: g.date,
                        rank: None,
                    }
                    .into()
                })
                .collect(),
            version: 1,
        }
        .into(),
        chat_photo: None,
        notify_settings: notify_settings(
            w.accounts
                .get(&me)
                .is_some_and(|a| a.muted.contains(&PeerKey::Chat(chat_id))),
        ),
        exported_invite: None,
        bot_info: None,
        pinned_msg_id: None,
        folder_id: None,
        call: None,
        ttl_period: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        available_reactions: None,
        reactions_limit: None,
    };
    let mut refs = Refs::default();
    refs.peer(PeerKey::Chat(chat_id));
    for m in &g.members {
        refs.peer(PeerKey::User(*m));
    }
    Ok(
        tl::enums::messages::ChatFull::Full(tl::types::messages::ChatFull {
            full_chat: full.into(),
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
        })
        .to_bytes(),
    )
}

fn full_channel(w: &World, me: i64, id: i64) -> Res {
    let c = w.channels.get(&id).ok_or_else(|| bad("CHANNEL_INVALID"))?;
    if !w.can_read(me, PeerKey::Channel(id)) {
        return Err(bad("CHANNEL_PRIVATE"));
    }
    let (read, unread_count) = unread(w, me, PeerKey::Channel(id));
    let full = tl::types::ChannelFull {
        can_view_participants: !c.broadcast,
        can_set_username: false,
        can_set_stickers: false,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: false,
        blocked: false,
        can_delete_channel: c.creator == me,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: false,
        paid_messages_available: false,
        has_welcome_messages: false,
        id,
        about: c.about.clone(),
        participants_count: Some(c.members.len() as i32),
        admins_count: Some(1),
        kicked_count: None,
        banned_count: None,
        online_count: None,
        read_inbox_max_id: read,
        read_outbox_max_id: c.last_id,
        unread_count,
        chat_photo: tl::types::PhotoEmpty { id: 0 }.into(),
        notify_settings: notify_settings(false),
        exported_invite: None,
        bot_info: vec![],
        migrated_from_chat_id: None,
        migrated_from_max_id: None,
        pinned_msg_id: None,
        stickerset: None,
        available_min_id: None,
        folder_id: None,
        linked_chat_id: c.linked,
        location: None,
        slowmode_seconds: None,
        slowmode_next_send_date: None,
        stats_dc: None,
        pts: c.pts,
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: None,
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    };
    let mut refs = Refs::default();
    refs.peer(PeerKey::Channel(id));
    if let Some(l) = c.linked {
        refs.peer(PeerKey::Channel(l));
    }
    Ok(
        tl::enums::messages::ChatFull::Full(tl::types::messages::ChatFull {
            full_chat: full.into(),
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
        })
        .to_bytes(),
    )
}

fn dialog_filters(w: &World, me: i64) -> Vec<u8> {
    let folders = w
        .accounts
        .get(&me)
        .map(|a| a.folders.clone())
        .unwrap_or_default();
    let mut filters: Vec<tl::enums::DialogFilter> = vec![tl::enums::DialogFilter::Default];
    for f in folders {
        let ip = |v: &Vec<PeerKey>| v.iter().map(|p| input_peer_tl(w, *p)).collect::<Vec<_>>();
        filters.push(
            tl::types::DialogFilter {
                contacts: f.contacts,
                non_contacts: f.non_contacts,
                groups: f.groups,
                broadcasts: f.broadcasts,
                bots: f.bots,
                exclude_muted: f.exclude_muted,
                exclude_read: f.exclude_read,
                exclude_archived: f.exclude_archived,
                title_noanimate: false,
                id: f.id,
                title: tl::types::TextWithEntities {
                    text: f.title.clone(),
                    entities: vec![],
                }
                .into(),
                emoticon: f.emoticon.clone(),
                color: None,
                pinned_peers: ip(&f.pinned),
                include_peers: ip(&f.include),
                exclude_peers: ip(&f.exclude),
            }
            .into(),
        );
    }
    tl::enums::messages::DialogFilters::Filters(tl::types::messages::DialogFilters {
        tags_enabled: false,
        filters,
    })
    .to_bytes()
}

fn forum_topics(
    w: &World,
    me: i64,
    peer: PeerKey,
    q: Option<&str>,
    offset_topic: i32,
    limit: i32,
    only: Option<&[i32]>,
) -> Res {
    let PeerKey::Channel(cid) = peer else {
        return Err(bad("CHANNEL_INVALID"));
    };
    let c = w.channels.get(&cid).ok_or_else(|| bad("CHANNEL_INVALID"))?;
    if !c.forum {
        return Err(bad("CHANNEL_FORUM_MISSING"));
    }
    if !w.can_read(me, peer) {
        return Err(bad("CHANNEL_PRIVATE"));
    }
    let top_of = |t: i32| {
        c.messages
            .iter()
            .rfind(|m| m.thread == Some(t) || m.id == t)
    };
    let mut topics: Vec<_> = c
        .topics
        .iter()
        .filter(|t| only.is_none_or(|o| o.contains(&t.id)))
        .filter(|t| q.is_none_or(|q| t.title.to_lowercase().contains(&q.to_lowercase())))
        .collect();
    topics.sort_by_key(|t| std::cmp::Reverse(top_of(t.id).map(|m| (m.date, m.id))));
    let count = topics.len();
    if offset_topic != 0
        && let Some(i) = topics.iter().position(|t| t.id == offset_topic)
    {
        topics.drain(..=i);
    }
    topics.truncate(limit.clamp(0, 100) as usize);
    let mut refs = Refs::default();
    refs.peer(peer);
    let mut messages = Vec::new();
    let mut out = Vec::new();
    for t in topics {
        let top = top_of(t.id);
        if let Some(m) = top {
            refs.message(w, m);
            messages.push(message_tl(w, me, m));
        }
        refs.peer(PeerKey::User(t.creator));
        out.push(
            tl::types::ForumTopic {
                my: t.creator == me,
                closed: false,
                pinned: false,
                short: false,
                hidden: false,
                title_missing: false,
                id: t.id,
                date: t.date,
                peer: peer_tl(peer),
                title: t.title.clone(),
                icon_color: 0x6FB9F0,
                icon_emoji_id: None,
                top_message: top.map(|m| m.id).unwrap_or(t.id),
                read_inbox_max_id: top.map(|m| m.id).unwrap_or(t.id),
                read_outbox_max_id: top.map(|m| m.id).unwrap_or(t.id),
                unread_count: 0,
                unread_mentions_count: 0,
                unread_reactions_count: 0,
                unread_poll_votes_count: 0,
                from_id: peer_tl(PeerKey::User(t.creator)),
                notify_settings: notify_settings(false),
                draft: None,
            }
            .into(),
        );
    }
    Ok(
        tl::enums::messages::ForumTopics::Topics(tl::types::messages::ForumTopics {
            order_by_create_date: false,
            count: count as i32,
            topics: out,
            messages,
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
            pts: c.pts,
        })
        .to_bytes(),
    )
}

fn config() -> tl::enums::Config {
    let now = now();
    tl::types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: now,
        expires: now + 3600,
        test_mode: false,
        this_dc: 2,
        dc_options: vec![],
        dc_txt_domain_name: "fake.dc.invalid".into(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".into(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: 2,
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    }
    .into()
}

// ---------------------------------------------------------------- login

fn authorization(w: &World, uid: i64) -> tl::enums::auth::Authorization {
    tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: user_tl(w, Some(uid), uid),
    }
    .into()
}

fn send_code(ctx: &mut Ctx, phone: &str) -> Res {
    let uid = ctx
        .w()
        .account_by_phone(phone)
        .ok_or_else(|| bad("PHONE_NUMBER_INVALID"))?;
    let len = ctx
        .w()
        .accounts
        .get(&uid)
        .map(|a| a.code.len())
        .unwrap_or(5) as i32;
    let hash = format!("{:016x}", rand::random::<u64>());
    ctx.st.code_hashes.insert(hash.clone(), phone.to_string());
    Ok(tl::enums::auth::SentCode::Code(tl::types::auth::SentCode {
        r#type: tl::types::auth::SentCodeTypeApp { length: len }.into(),
        phone_code_hash: hash,
        next_type: None,
        timeout: None,
    })
    .to_bytes())
}

fn sign_in(ctx: &mut Ctx, r: tl::functions::auth::SignIn) -> Res {
    let uid = ctx
        .w()
        .account_by_phone(&r.phone_number)
        .ok_or_else(|| bad("PHONE_NUMBER_INVALID"))?;
    match ctx.st.code_hashes.get(&r.phone_code_hash) {
        Some(p) if ctx.st.world.account_by_phone(p) == Some(uid) => {}
        _ => return Err(bad("PHONE_CODE_EXPIRED")),
    }
    let code = r.phone_code.ok_or_else(|| bad("PHONE_CODE_EMPTY"))?;
    let acc = ctx
        .w()
        .accounts
        .get(&uid)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    if acc.code != code {
        return Err(bad("PHONE_CODE_INVALID"));
    }
    let has_pw = acc.password.is_some();
    ctx.st.code_hashes.remove(&r.phone_code_hash);
    let key = ctx
        .st
        .keys
        .get_mut(&ctx.key_id)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    if has_pw {
        key.pending_2fa = Some(uid);
        return Err(err(401, "SESSION_PASSWORD_NEEDED"));
    }
    key.user = Some(uid);
    key.pending_2fa = None;
    Ok(authorization(ctx.w(), uid).to_bytes())
}

/// Challenges kept per auth key: a client may retry an older `srp_id` (grammers reuses its
/// token after PASSWORD_HASH_INVALID) until it succeeds or asks for many newer ones.
const SRP_CHALLENGES_PER_KEY: usize = 8;

fn get_password(ctx: &mut Ctx) -> Res {
    let key = ctx.st.keys.get(&ctx.key_id);
    let uid = key.and_then(|k| k.pending_2fa.or(k.user));
    let Some(acc) = uid.and_then(|u| ctx.w().accounts.get(&u)) else {
        return Ok(srp::password_tl(0, None, None).to_bytes());
    };
    let (uid, hint) = (acc.user_id, acc.hint.clone());
    let current = acc.password.clone();
    let challenge = current.map(|pw| {
        let v = match ctx.verifier.take() {
            Some((vu, vp, v)) if vu == uid && vp == pw => v,
            // Only if the world changed since `call` looked: slow, but rare and correct.
            _ => srp::verifier(uid, &pw),
        };
        let c = srp::Challenge::new(ctx.key_id, uid, &pw, v);
        let srp_id = rand::random::<i64>();
        let srp_b = c.srp_b.clone();
        let key_id = ctx.key_id;
        let srp = &mut ctx.st.srp;
        srp.push((srp_id, c));
        let mine = srp.iter().filter(|(_, c)| c.key_id == key_id).count();
        let mut surplus = mine.saturating_sub(SRP_CHALLENGES_PER_KEY);
        srp.retain(|(_, c)| {
            let old = c.key_id == key_id && surplus > 0;
            surplus -= usize::from(old);
            !old
        });
        (srp_id, srp_b)
    });
    Ok(srp::password_tl(uid, hint.as_deref(), challenge).to_bytes())
}

fn check_password(ctx: &mut Ctx, r: tl::functions::auth::CheckPassword) -> Res {
    let tl::enums::InputCheckPasswordSrp::Srp(srp_in) = r.password else {
        return Err(bad("PASSWORD_HASH_INVALID"));
    };
    let key_id = ctx.key_id;
    let pending = ctx.st.keys.get(&key_id).and_then(|k| k.pending_2fa);
    let Some((_, c)) = ctx
        .st
        .srp
        .iter()
        .find(|(id, c)| *id == srp_in.srp_id && c.key_id == key_id)
    else {
        return Err(bad("SRP_ID_INVALID"));
    };
    let uid = c.user_id;
    let still_same =
        ctx.w().accounts.get(&uid).and_then(|a| a.password.as_ref()) == Some(&c.password);
    if pending != Some(uid) || !still_same {
        return Err(bad("SRP_ID_INVALID"));
    }
    if !c.verify(&srp_in.a, &srp_in.m1) {
        return Err(bad("PASSWORD_HASH_INVALID"));
    }
    ctx.st.srp.retain(|(_, c)| c.key_id != key_id);
    let key = ctx
        .st
        .keys
        .get_mut(&key_id)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    key.user = Some(uid);
    key.pending_2fa = None;
    Ok(authorization(ctx.w(), uid).to_bytes())
}

fn export_login_token(ctx: &mut Ctx, import: Option<Vec<u8>>) -> Res {
    let now = now();
    let key_id = ctx.key_id;
    let accepted = match &import {
        Some(token) => match ctx.st.qr.get(token) {
            Some(t) if t.accepted_by.is_some() => Some((token.clone(), t.accepted_by)),
            Some(t) if t.expires >= now => {
                return Ok(
                    tl::enums::auth::LoginToken::Token(tl::types::auth::LoginToken {
                        expires: t.expires,
                        token: token.clone(),
                    })
                    .to_bytes(),
                );
            }
            _ => return Err(bad("AUTH_TOKEN_INVALID")),
        },
        None => ctx
            .st
            .qr
            .iter()
            .find(|(_, t)| t.key_id == key_id && t.accepted_by.is_some())
            .map(|(k, t)| (k.clone(), t.accepted_by)),
    };
    if let Some((token, Some(uid))) = accepted {
        ctx.st.qr.remove(&token);
        let has_pw = ctx
            .w()
            .accounts
            .get(&uid)
            .is_some_and(|a| a.password.is_some());
        let key = ctx
            .st
            .keys
            .get_mut(&key_id)
            .ok_or_else(|| err(500, "INTERNAL"))?;
        if has_pw {
            key.pending_2fa = Some(uid);
            return Err(err(401, "SESSION_PASSWORD_NEEDED"));
        }
        key.user = Some(uid);
        key.pending_2fa = None;
        return Ok(
            tl::enums::auth::LoginToken::Success(tl::types::auth::LoginTokenSuccess {
                authorization: authorization(ctx.w(), uid),
            })
            .to_bytes(),
        );
    }
    let token: Vec<u8> = (0..24).map(|_| rand::random::<u8>()).collect();
    let expires = now + ctx.st.qr_lifetime;
    ctx.st
        .qr
        .retain(|_, t| !(t.key_id == key_id && t.accepted_by.is_none()));
    ctx.st.qr.insert(
        token.clone(),
        crate::QrToken {
            key_id,
            expires,
            accepted_by: None,
        },
    );
    Ok(
        tl::enums::auth::LoginToken::Token(tl::types::auth::LoginToken { expires, token })
            .to_bytes(),
    )
}
