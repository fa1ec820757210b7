//! RPC router: unwraps wrappers, records calls, applies injected faults and errors, and sends each method to its handler.
//!
//! [`METHODS`] is the one list of supported methods; each handler lives in the module of its
//! area, decodes its own request with [`decode`] (which records the call and applies an
//! injected error) and answers from the caller's point of view. Anything else is recorded and
//! answered `400 FAKE_DC_UNHANDLED_<METHOD>`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use grammers_tl_types as tl;
use tl::{Cursor, Deserializable, Identifiable};

use crate::world::World;
use crate::{Call, Shared, State};

mod actions;
mod auth;
mod common;
mod contacts;
mod dialogs;
mod drafts;
mod files;
mod help;
mod history;
mod peers;
mod scheduled;
mod updates;
mod voice;
mod writing;

pub(crate) use updates::push_new_message;

/// An `rpc_error`.
#[derive(Debug)]
pub(crate) struct RpcErr {
    pub code: i32,
    pub message: String,
}

fn err(code: i32, message: &str) -> RpcErr {
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

/// Answers one method: decodes the request from `body` (constructor id included).
type Handler = fn(&mut Ctx, &[u8]) -> Res;

/// `namespace::Method => module::handler`, as `(constructor id, handler)` pairs.
macro_rules! methods {
    ($($ns:ident::$ty:ident => $m:ident::$h:ident,)*) => {
        &[$((tl::functions::$ns::$ty::CONSTRUCTOR_ID, $m::$h as Handler),)*]
    };
}

/// Every supported method, by area: the one list of what the fake DC answers.
const METHODS: &[(u32, Handler)] = methods! {
    // config
    help::GetConfig => help::help_get_config,
    // updates
    updates::GetState => updates::updates_get_state,
    updates::GetDifference => updates::updates_get_difference,
    updates::GetChannelDifference => updates::updates_get_channel_difference,
    // login
    auth::SendCode => auth::auth_send_code,
    auth::SignIn => auth::auth_sign_in,
    account::GetPassword => auth::account_get_password,
    auth::CheckPassword => auth::auth_check_password,
    auth::LogOut => auth::auth_log_out,
    auth::ExportLoginToken => auth::auth_export_login_token,
    auth::ImportLoginToken => auth::auth_import_login_token,
    // contacts and usernames
    contacts::ResolveUsername => contacts::contacts_resolve_username,
    contacts::ResolvePhone => contacts::contacts_resolve_phone,
    contacts::Search => contacts::contacts_search,
    contacts::GetContacts => contacts::contacts_get_contacts,
    contacts::ImportContacts => contacts::contacts_import_contacts,
    contacts::DeleteContacts => contacts::contacts_delete_contacts,
    // users, chats, channels, forum topics
    users::GetUsers => peers::users_get_users,
    users::GetFullUser => peers::users_get_full_user,
    messages::GetChats => peers::messages_get_chats,
    channels::GetChannels => peers::channels_get_channels,
    messages::GetFullChat => peers::messages_get_full_chat,
    channels::GetFullChannel => peers::channels_get_full_channel,
    messages::GetForumTopics => peers::messages_get_forum_topics,
    messages::GetForumTopicsById => peers::messages_get_forum_topics_by_id,
    // dialogs and folders
    messages::GetDialogs => dialogs::messages_get_dialogs,
    messages::GetPeerDialogs => dialogs::messages_get_peer_dialogs,
    messages::GetDialogFilters => dialogs::messages_get_dialog_filters,
    messages::UpdateDialogFilter => dialogs::messages_update_dialog_filter,
    // reading messages
    messages::GetHistory => history::messages_get_history,
    messages::Search => history::messages_search,
    messages::SearchGlobal => history::messages_search_global,
    messages::GetMessages => history::messages_get_messages,
    channels::GetMessages => history::channels_get_messages,
    messages::GetReplies => history::messages_get_replies,
    messages::GetDiscussionMessage => history::messages_get_discussion_message,
    messages::GetSearchCounters => history::messages_get_search_counters,
    // files
    upload::GetFile => files::upload_get_file,
    upload::SaveFilePart => files::upload_save_file_part,
    upload::SaveBigFilePart => files::upload_save_big_file_part,
    // writing: send, edit, delete, mark read
    messages::SendMessage => writing::messages_send_message,
    messages::SendMedia => writing::messages_send_media,
    messages::UploadMedia => writing::messages_upload_media,
    messages::SendMultiMedia => writing::messages_send_multi_media,
    messages::EditMessage => writing::messages_edit_message,
    messages::DeleteMessages => writing::messages_delete_messages,
    channels::DeleteMessages => writing::channels_delete_messages,
    messages::ReadHistory => writing::messages_read_history,
    channels::ReadHistory => writing::channels_read_history,
    // actions on messages: forward, react, pin, read mentions
    messages::ForwardMessages => actions::messages_forward_messages,
    messages::SendReaction => actions::messages_send_reaction,
    messages::UpdatePinnedMessage => actions::messages_update_pinned_message,
    messages::ReadMentions => actions::messages_read_mentions,
    messages::ReadReactions => actions::messages_read_reactions,
    messages::ReadDiscussion => actions::messages_read_discussion,
    // voice messages
    messages::TranscribeAudio => voice::messages_transcribe_audio,
    // cloud drafts
    messages::SaveDraft => drafts::messages_save_draft,
    messages::GetAllDrafts => drafts::messages_get_all_drafts,
    // scheduled messages
    messages::GetScheduledHistory => scheduled::messages_get_scheduled_history,
    messages::GetScheduledMessages => scheduled::messages_get_scheduled_messages,
    messages::DeleteScheduledMessages => scheduled::messages_delete_scheduled_messages,
};

/// The handler for a constructor id, from [`METHODS`] indexed once.
fn handler(id: u32) -> Option<Handler> {
    static TABLE: OnceLock<HashMap<u32, Handler>> = OnceLock::new();
    TABLE
        .get_or_init(|| METHODS.iter().copied().collect())
        .get(&id)
        .copied()
}

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
    let verifier = if id == tl::functions::account::GetPassword::CONSTRUCTOR_ID {
        auth::precompute_verifier(shared, key_id).await?
    } else {
        None
    };
    let mut guard = shared.lock();
    // Scheduled messages whose time has come are sent before anything else is answered.
    guard.world.send_due(crate::world::now());
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
        name,
        verifier,
        recorded: false,
    };
    let result = match handler(id) {
        Some(h) => h(&mut ctx, body),
        None => unhandled(&mut ctx, body),
    };
    if !ctx.recorded {
        ctx.record(format!("<{} bytes>", body.len()));
    }
    result
}

/// An unsupported method: recorded, and answered with an injected error if one is pending.
fn unhandled(ctx: &mut Ctx, body: &[u8]) -> Res {
    ctx.begin(format!("<{} bytes>", body.len()))?;
    Err(bad(&format!(
        "FAKE_DC_UNHANDLED_{}",
        ctx.name.replace('.', "_").to_uppercase()
    )))
}

/// (account, password, verifier) for an account.getPassword of an account with 2FA.
type Verifier = (i64, String, num_bigint::BigUint);

/// One call being answered: the DC state (locked), the caller's auth key and the method.
struct Ctx<'a> {
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

    /// The account the caller's key is logged in to, else `401 AUTH_KEY_UNREGISTERED`.
    fn me(&self) -> Result<i64, RpcErr> {
        self.user().ok_or_else(|| err(401, "AUTH_KEY_UNREGISTERED"))
    }

    fn w(&self) -> &World {
        &self.st.world
    }
}

/// Decodes the request, records it (`Debug`, cut at 4 KiB) and applies an injected error.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_in_the_table_is_a_known_tl_function_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (id, _) in METHODS {
            assert!(seen.insert(*id), "{} listed twice", tl::name_for_id(*id));
            assert_ne!(tl::name_for_id(*id), "(unknown)", "{id:#x}");
        }
    }
}
