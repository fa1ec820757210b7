//! `invoke_mtproto`: call any Telegram API method by name with JSON parameters, and the
//! HTTP-MTProto bridge (`POST /mtproto-api/{method}`, see [`bridge_routes`]) that runs the
//! very same code path.
//!
//! Pipeline: find the method in the runtime layer-230 schema (any common spelling, with
//! suggestions when unknown) → refuse [`DANGEROUS_METHODS`] unless the user unlocked them →
//! validate and encode the JSON against the schema while collecting peer specs → resolve
//! the specs through [`TgClient::resolve`](crate::telegram::TgClient::resolve) → encode again
//! with the resolved peers → send the raw bytes through grammers → decode the answer
//! generically by constructor id → `{"method", "result"}`.
//!
//! Unlike the reference implementation: peers are resolved by the declared TL type of a field
//! (not by its key name), nothing is silently truncated or dropped, unknown fields and
//! constructors are errors, the denylist covers account, session and security methods and
//! cannot be lifted by any tool or request parameter, and wrappers such as
//! `invokeWithoutUpdates` cannot smuggle a blocked method past the check.

mod bridge;
mod decode;
mod encode;
mod schema;

pub use bridge::bridge_routes;

use super::{ToolCtx, ToolError, ToolOutput, params::InvokeMtprotoParams};
use crate::telegram::TgClient;
use encode::{Collect, Resolved, encode_call};
use grammers_tl_types as tl;
use serde_json::json;
use std::collections::HashMap;

/// `ToolError::action` of a refusal of a [`DANGEROUS_METHODS`] entry (the bridge maps it to 403).
pub const ACTION_UNLOCK_DANGEROUS: &str = "ask_user_to_allow_dangerous_mtproto";

/// Methods `invoke_mtproto` refuses unless the user set `allow_dangerous_mtproto`
/// (`ALLOW_DANGEROUS_MTPROTO=true` in the environment or settings.json, or the tray app's
/// settings). The criterion: the call cannot be undone by another API call, or it hands
/// control of the account or its assets to someone else. Grouped by what is at stake:
///
/// - **The account and its login**: deleting it or arming self-destruction
///   (`account.deleteAccount`, `account.setAccountTTL`); changing the phone, the 2FA
///   password, the login email or passkeys (`account.changePhone`,
///   `account.updatePasswordSettings`, `account.resetPassword`, `auth.recoverPassword`,
///   `account.verifyEmail`, `account.deletePasskey`); approving another device's QR login or
///   exporting an authorization that logs in elsewhere (`auth.acceptLoginToken`,
///   `auth.exportAuthorization`) — both are account takeover; logging in to websites and
///   sharing Passport data as the user (`messages.acceptUrlAuth`, `account.acceptAuthorization`);
///   exposing the phone number, last seen, calls and so on (`account.setPrivacy`).
/// - **Sessions**: logging this server out or terminating other devices and web logins
///   (`auth.logOut`, `auth.resetAuthorizations`, `account.resetAuthorization`,
///   `account.resetWebAuthorization`, `account.resetWebAuthorizations`,
///   `account.setAuthorizationTTL`, `auth.dropTempAuthKeys`).
/// - **Destroying data** (Telegram keeps no copy): messages, histories and chats
///   (`messages.deleteMessages`, `messages.deleteHistory`, `messages.deleteChat`,
///   `messages.deleteScheduledMessages`, `messages.deleteSavedHistory`,
///   `messages.deletePhoneCallHistory`, `messages.deleteTopicHistory`,
///   `channels.deleteMessages`, `channels.deleteHistory`, `channels.deleteChannel`,
///   `channels.deleteParticipantHistory`); auto-delete timers that destroy them later
///   (`messages.setHistoryTTL`, `messages.setDefaultHistoryTTL`); leaving or removing
///   members, which for private chats needs a new invite to undo
///   (`messages.deleteChatUser`, `channels.leaveChannel`, `chatlists.leaveChatlist`);
///   contacts (`contacts.deleteContacts`, `contacts.deleteByPhones`, `contacts.resetSaved`);
///   profile photos, stories and sticker sets (`photos.deletePhotos`, `stories.deleteStories`,
///   `stickers.deleteStickerSet`).
/// - **Ownership and money**: transferring a group or channel (`messages.editChatCreator`);
///   paying, spending Stars or giving away/converting gifts (`payments.sendPaymentForm`,
///   `payments.sendStarsForm`, `payments.transferStarGift`, `payments.convertStarGift`,
///   `payments.upgradeStarGift`, `payments.craftStarGift`); the TON wallet's transfers,
///   secret phrase and backups (`wallet.sendTransfer`, `wallet.exportSecretPhrase`,
///   `wallet.fetchEncryptedSecretPhrasePart`, `wallet.replaceWallet`, `wallet.disableBackup`).
///
/// Deliberately not listed, because another call undoes them: blocking
/// (`contacts.block`), profile and username edits, admin rights and bans, sending and
/// editing messages (the regular tools do that anyway).
pub const DANGEROUS_METHODS: &[&str] = &[
    // Account and login security.
    "account.deleteAccount",
    "account.setAccountTTL",
    "account.changePhone",
    "account.updatePasswordSettings",
    "account.resetPassword",
    "auth.recoverPassword",
    "account.verifyEmail",
    "account.deletePasskey",
    "auth.acceptLoginToken",
    "auth.exportAuthorization",
    "messages.acceptUrlAuth",
    "account.acceptAuthorization",
    "account.setPrivacy",
    // Sessions.
    "auth.logOut",
    "auth.resetAuthorizations",
    "account.resetAuthorization",
    "account.resetWebAuthorization",
    "account.resetWebAuthorizations",
    "account.setAuthorizationTTL",
    "auth.dropTempAuthKeys",
    // Destroying data.
    "messages.deleteMessages",
    "messages.deleteHistory",
    "messages.deleteChat",
    "messages.deleteChatUser",
    "messages.deleteScheduledMessages",
    "messages.deleteSavedHistory",
    "messages.deletePhoneCallHistory",
    "messages.deleteTopicHistory",
    "messages.setHistoryTTL",
    "messages.setDefaultHistoryTTL",
    "channels.deleteMessages",
    "channels.deleteHistory",
    "channels.deleteChannel",
    "channels.deleteParticipantHistory",
    "channels.leaveChannel",
    "chatlists.leaveChatlist",
    "contacts.deleteContacts",
    "contacts.deleteByPhones",
    "contacts.resetSaved",
    "photos.deletePhotos",
    "stories.deleteStories",
    "stickers.deleteStickerSet",
    // Ownership and money.
    "messages.editChatCreator",
    "payments.sendPaymentForm",
    "payments.sendStarsForm",
    "payments.transferStarGift",
    "payments.convertStarGift",
    "payments.upgradeStarGift",
    "payments.craftStarGift",
    "wallet.sendTransfer",
    "wallet.exportSecretPhrase",
    "wallet.fetchEncryptedSecretPhrasePart",
    "wallet.replaceWallet",
    "wallet.disableBackup",
];

/// Connection-level wrappers that grammers manages itself; calling them would change the
/// layer or client identity of the live connection and break decoding of later answers.
/// Always refused (call the inner method directly).
pub const CONNECTION_METHODS: &[&str] = &["initConnection", "invokeWithLayer"];

/// Whether `method` (exact TL name) is in [`DANGEROUS_METHODS`].
pub fn is_dangerous(method: &str) -> bool {
    DANGEROUS_METHODS.contains(&method)
}

fn check_allowed(method: &str, allow_dangerous: bool) -> Result<(), ToolError> {
    if CONNECTION_METHODS.contains(&method) {
        return Err(ToolError::invalid(format!(
            "{method} is managed by the MTProto connection itself and cannot be called; call the inner method directly"
        )));
    }
    if is_dangerous(method) && !allow_dangerous {
        let mut e = ToolError::invalid(format!(
            "{method} is blocked: it can irreversibly destroy data, end sessions, or weaken the security of the account. \
             Only the user can allow such methods: set ALLOW_DANGEROUS_MTPROTO=true (environment or settings.json) \
             or switch on dangerous MTProto methods in the app's settings, then retry. \
             No parameter of this tool or request can lift the block."
        ));
        e.action = Some(ACTION_UNLOCK_DANGEROUS);
        return Err(e);
    }
    Ok(())
}

/// Pre-encoded request bytes sent as is.
struct RawCall(Vec<u8>);

impl tl::Serializable for RawCall {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        buf.extend(self.0.iter().copied());
    }
}

impl tl::RemoteCall for RawCall {
    type Return = RawAnswer;
}

/// The undecoded body of an `rpc_result` (the sender already unpacked top-level gzip).
struct RawAnswer(Vec<u8>);

impl tl::Deserializable for RawAnswer {
    fn deserialize(buf: &mut tl::Cursor<'_>) -> tl::deserialize::Result<Self> {
        let mut v = Vec::new();
        buf.read_to_end(&mut v)?;
        Ok(RawAnswer(v))
    }
}

/// Invokes the TL method `p.method` with JSON parameters `p.params`; returns
/// `{"method": <canonical name>, "result": <decoded answer>}`.
pub async fn invoke(ctx: ToolCtx, p: InvokeMtprotoParams) -> Result<ToolOutput, ToolError> {
    let schema = schema::schema();
    let def = schema.method(&p.method).map_err(ToolError::invalid)?;
    let allow_dangerous = ctx.app.settings().allow_dangerous_mtproto;
    check_allowed(&def.name, allow_dangerous)?;
    let bad = |e: String| ToolError::invalid(format!("{}: {e}", def.name));

    // Validate everything and collect peer specs before any network traffic.
    let mut collect = Collect::default();
    let plan = encode_call(schema, def, &p.params, &mut collect).map_err(bad)?;
    for m in &plan.methods {
        check_allowed(m, allow_dangerous)?;
    }
    let keys: Vec<&str> = p.params.keys().map(String::as_str).collect();
    tracing::info!(method = %def.name, ?keys, dangerous = is_dangerous(&def.name), "invoke_mtproto");

    let client = ctx.client().await?;
    let mut peers = HashMap::new();
    for (spec, path) in collect.specs {
        let peer = client.resolve(&spec).await.map_err(|e| {
            let mut t = ToolError::from(e);
            t.message = format!("{}: cannot resolve `{path}` = {spec:?}: {}", def.name, t.message);
            t
        })?;
        peers.insert(spec, tl::enums::InputPeer::from(&peer));
    }
    let call = encode_call(schema, def, &p.params, &mut Resolved(peers)).map_err(bad)?;
    let answer = client.invoke(&RawCall(call.bytes)).await?;
    let decoded = decode::decode(schema, &call.returns, &answer.0)
        .map_err(|e| ToolError::internal(format!("{}: could not decode Telegram's answer: {e}", def.name)))?;
    remember(&client, &decoded).await;
    Ok(ToolOutput::json(json!({ "method": def.name, "result": decoded.value })))
}

/// Caches the access hashes of the users and chats in an answer, so later calls can name them by id.
async fn remember(client: &TgClient, d: &decode::Decoded) {
    use tl::Deserializable;
    let users: Vec<tl::enums::User> = d.users.iter().filter_map(|b| tl::enums::User::from_bytes(b).ok()).collect();
    let chats: Vec<tl::enums::Chat> = d.chats.iter().filter_map(|b| tl::enums::Chat::from_bytes(b).ok()).collect();
    client.remember(&users, &chats).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_listed_method_exists_in_the_schema() {
        let s = schema::schema();
        for m in DANGEROUS_METHODS.iter().chain(CONNECTION_METHODS) {
            let d = s.method(m).unwrap_or_else(|e| panic!("{m}: {e}"));
            assert_eq!(d.name, *m, "listed names are canonical");
        }
    }

    #[test]
    fn refusals_and_unlock() {
        let e = check_allowed("account.deleteAccount", false).unwrap_err();
        assert_eq!(e.action, Some(ACTION_UNLOCK_DANGEROUS));
        assert!(e.message.contains("ALLOW_DANGEROUS_MTPROTO=true"), "{}", e.message);
        assert!(check_allowed("account.deleteAccount", true).is_ok());
        assert!(check_allowed("messages.getHistory", false).is_ok());
        // Connection wrappers stay refused even when unlocked.
        assert!(check_allowed("invokeWithLayer", true).is_err());
    }

    #[test]
    fn wrapped_dangerous_methods_are_seen() {
        let s = schema::schema();
        let params = json!({"query": {"_": "messages.DeleteHistory", "peer": "me", "max_id": 0}});
        let def = s.method("invokeWithoutUpdates").unwrap();
        let mut c = Collect::default();
        let plan = encode_call(s, def, params.as_object().unwrap(), &mut c).unwrap();
        assert_eq!(plan.methods, vec!["invokeWithoutUpdates", "messages.deleteHistory"]);
        assert!(plan.methods.iter().any(|m| check_allowed(m, false).is_err()));
        let v: Value = json!(plan.returns.to_string());
        assert_eq!(v, "messages.AffectedHistory");
    }

    #[test]
    fn raw_call_writes_bytes_and_reads_everything() {
        use tl::{Deserializable, Serializable};
        assert_eq!(RawCall(vec![1, 2, 3]).to_bytes(), vec![1, 2, 3]);
        assert_eq!(RawAnswer::from_bytes(&[9, 8, 7, 6, 5]).unwrap().0, vec![9, 8, 7, 6, 5]);
        assert!(RawAnswer::from_bytes(&[]).unwrap().0.is_empty());
    }
}
