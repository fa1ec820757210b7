//! `invoke_mtproto`: call any Telegram API method by name with JSON parameters; the
//! HTTP-MTProto bridge (`POST /mtproto-api/{method}`, in `transport::http::bridge`) runs the
//! very same code path.
//!
//! Pipeline: find the method in the runtime layer-230 schema (any common spelling, with
//! suggestions when unknown) → refuse it unless [`classify`] knows it, and dangerous ones
//! unless the user unlocked them → validate and encode the JSON against the schema while
//! collecting peer specs → resolve the specs through
//! [`TgClient::resolve`](crate::telegram::TgClient::resolve) → encode again with the resolved
//! peers → send the raw bytes through grammers → decode the answer generically by
//! constructor id → `{"method", "result"}`.
//!
//! Unlike the reference implementation: peers are resolved by the declared TL type of a field
//! (not by its key name), nothing is silently truncated or dropped, unknown fields and
//! constructors are errors, every method of the schema is classified (read, write, dangerous)
//! and an unclassified one never runs, dangerous calls (including ordinary ones with a
//! Stars-spending parameter) cannot be unlocked by any tool or request parameter, and
//! wrappers such as `invokeWithoutUpdates` cannot smuggle a blocked method past the check.
//! The token's policy holds too: every chat named is in scope ([`scope`] for the calls that
//! name none), writes wait for approval and are paced, answers are confined to the scope.

mod classification;
mod decode;
mod encode;
mod schema;
mod scope;
mod scrub;

pub use classification::{MethodClass, classify};

use super::{ToolCtx, ToolError, ToolOutput, params::InvokeMtprotoParams};
use crate::telegram::TgClient;
use encode::{Collect, Resolved, encode_call};
use grammers_tl_types as tl;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// `action` of a refusal of a dangerous method (the bridge maps it to 403).
pub const ACTION_UNLOCK_DANGEROUS: &str = "ask_user_to_allow_dangerous_mtproto";

/// `action` of a refusal of a method no rule classifies (the bridge maps it to 403).
pub const ACTION_UNCLASSIFIED: &str = "method_not_classified";

/// Whether `method` (any spelling) is known and has a parameter called `field`.
pub(crate) fn method_has_param(method: &str, field: &str) -> bool {
    schema::schema().method(method).is_ok_and(|d| d.param(field).is_some())
}

/// Connection-level wrappers that grammers manages itself; calling them would change the
/// layer or client identity of the live connection and break decoding of later answers.
/// Always refused (call the inner method directly).
pub const CONNECTION_METHODS: &[&str] = &["initConnection", "invokeWithLayer"];

/// Parameters that make an otherwise ordinary call dangerous: spending Stars (sending to a user
/// who charges for messages, paid search, paid broadcasts) or sharing the user's phone number
/// with a new contact. A call that sets one anywhere (also inside a wrapped query) is dangerous.
const DANGEROUS_PARAMS: &[&str] = &["allow_paid_stars", "allow_paid_floodskip", "add_phone_privacy_exception"];

/// Refuses `method` (exact TL name) unless it is classified, and dangerous only when unlocked.
fn check_allowed(method: &str, allow_dangerous: bool) -> Result<(), ToolError> {
    if CONNECTION_METHODS.contains(&method) {
        return Err(ToolError::invalid(format!(
            "{method} is managed by the MTProto connection itself and cannot be called; call the inner method directly"
        )));
    }
    match classify(method) {
        None => Err(ToolError::forbidden(
            format!(
                "{method} is refused: it is not classified as read, write or dangerous, and unreviewed methods never run"
            ),
            ACTION_UNCLASSIFIED,
        )),
        Some(MethodClass::Dangerous) if !allow_dangerous => Err(dangerous_refusal(&format!(
            "{method} is blocked: it can spend money or Stars, irreversibly destroy data, end sessions, hand over control, \
             or weaken the security of the account."
        ))),
        Some(_) => Ok(()),
    }
}

/// Refuses [`DANGEROUS_PARAMS`] (at any depth) unless unlocked.
fn check_params(method: &str, params: &Map<String, Value>, allow_dangerous: bool) -> Result<(), ToolError> {
    fn first_set(m: &Map<String, Value>) -> Option<&'static str> {
        m.iter().find_map(|(k, v)| {
            let set = !(v.is_null() || v == &json!(false) || v == &json!(0) || v == &json!("0"));
            DANGEROUS_PARAMS.iter().find(|p| **p == k && set).copied().or_else(|| nested(v))
        })
    }
    fn nested(v: &Value) -> Option<&'static str> {
        match v {
            Value::Object(m) => first_set(m),
            Value::Array(a) => a.iter().find_map(nested),
            _ => None,
        }
    }
    match first_set(params) {
        Some(p) if !allow_dangerous => Err(dangerous_refusal(&format!(
            "{method} with `{p}` is blocked: it spends Stars or shares the phone number."
        ))),
        _ => Ok(()),
    }
}

fn dangerous_refusal(what: &str) -> ToolError {
    ToolError::forbidden(
        format!(
            "{what} Only the user can allow such calls: set ALLOW_DANGEROUS_MTPROTO=true (environment or settings.json) \
             or switch on dangerous MTProto methods in the app's settings, then retry. \
             No parameter of this tool or request can lift the block."
        ),
        ACTION_UNLOCK_DANGEROUS,
    )
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
    check_params(&def.name, &p.params, allow_dangerous)?;
    let keys: Vec<&str> = p.params.keys().map(String::as_str).collect();
    let class = plan.methods.iter().filter_map(|m| classify(m)).max();
    tracing::info!(method = %def.name, ?keys, ?class, "invoke_mtproto");
    ctx.note_method(&def.name);
    // Every chat the call names is checked before Telegram is asked anything: by id now, by
    // name once resolved. A token limited to some chats makes no call that names none.
    let scoped = ctx.policy.limited_to_some_chats();
    if scoped {
        scope::check_unnamed(&plan.methods, class, !collect.specs.is_empty() || !plan.named.is_empty())?;
    }
    let named_in = |path: &str| format!("{}: `{path}` names ", def.name);
    for n in &plan.named {
        ctx.check_chat(n.id).map_err(|e| e.context(&named_in(&n.path)))?;
        ctx.note_chat(n.id);
    }
    for (spec, _) in &collect.specs {
        ctx.precheck_spec(spec)?;
    }

    let client = ctx.client().await?;
    let mut peers = HashMap::new();
    let mut chats: Vec<(i64, String)> = plan.named.iter().map(|n| (n.id, n.id.to_string())).collect();
    for (spec, path) in collect.specs {
        let peer = client
            .resolve(&spec)
            .await
            .map_err(|e| ToolError::from(e).context(&format!("{}: cannot resolve `{path}` = {spec:?}: ", def.name)))?;
        ctx.check_peer(&peer)?;
        chats.push((peer.id.bot_api_dialog_id_unchecked(), spec.clone()));
        peers.insert(spec, tl::enums::InputPeer::from(&peer));
    }
    if class.is_some_and(|c| c >= MethodClass::Write) {
        authorize(&ctx, &def.name, &p.params, &chats).await?;
    }
    let call = encode_call(schema, def, &p.params, &mut Resolved(peers)).map_err(bad)?;
    let answer = client.invoke(&RawCall(call.bytes)).await?;
    let decoded = decode::decode(schema, &call.returns, &answer.0)
        .map_err(|e| ToolError::internal(format!("{}: could not decode Telegram's answer: {e}", def.name)))?;
    remember(&client, &decoded).await;
    let mut result = decoded.value;
    if !ctx.policy.allow_sensitive {
        scrub::sensitive_messages(&mut result);
    }
    if scoped {
        scrub::out_of_scope(&mut result, &|id| ctx.permits(id));
    }
    Ok(ToolOutput::json(json!({ "method": def.name, "result": result })))
}

/// Clears a raw write with the token's approvals and limits, like any write tool: once per chat it
/// names, or once for the account when it names none.
async fn authorize(
    ctx: &ToolCtx,
    method: &str,
    params: &Map<String, Value>,
    chats: &[(i64, String)],
) -> Result<(), ToolError> {
    let tool = format!("invoke_mtproto: {method}");
    let preview = format!("{method} {}", Value::Object(params.clone()));
    let mut seen = std::collections::HashSet::new();
    for (id, name) in chats {
        if seen.insert(*id) {
            ctx.authorize_write_to(*id, &tool, name, &preview).await?;
        }
    }
    if chats.is_empty() {
        ctx.authorize_write_to(0, &tool, "your account", &preview).await?;
    }
    Ok(())
}

/// The Bot API id of the chat a TL id field names: `user_id` / `bot_id` a user, `chat_id` a basic
/// group, `channel_id` a channel or supergroup (as `peerUser`, `peerChat`, `peerChannel` and the
/// input peers name them); `None` for any other field.
fn dialog_id(field: &str, id: i64) -> Option<i64> {
    use grammers_session::types::PeerId;
    let peer = match field {
        "user_id" | "bot_id" => PeerId::user_unchecked(id),
        "chat_id" => PeerId::chat_unchecked(id),
        "channel_id" => PeerId::channel_unchecked(id),
        _ => return None,
    };
    Some(peer.bot_api_dialog_id_unchecked())
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

    #[test]
    fn connection_methods_exist_in_the_schema() {
        let s = schema::schema();
        for m in CONNECTION_METHODS {
            let d = s.method(m).unwrap_or_else(|e| panic!("{m}: {e}"));
            assert_eq!(d.name, *m, "listed names are canonical");
        }
    }

    #[test]
    fn refusals_and_unlock() {
        let e = check_allowed("account.deleteAccount", false).unwrap_err();
        assert_eq!(e.action(), Some(ACTION_UNLOCK_DANGEROUS));
        assert!(e.to_string().contains("ALLOW_DANGEROUS_MTPROTO=true"), "{e}");
        assert!(check_allowed("account.deleteAccount", true).is_ok());
        assert!(check_allowed("messages.getHistory", false).is_ok());
        // Connection wrappers stay refused even when unlocked.
        assert!(check_allowed("invokeWithLayer", true).is_err());
        // Whatever no rule covers is refused, unlocked or not.
        let e = check_allowed("messages.frobnicate", true).unwrap_err();
        assert_eq!(e.action(), Some(ACTION_UNCLASSIFIED));
    }

    #[test]
    fn dangerous_parameters_make_a_call_dangerous() {
        let p = |v: Value| v.as_object().unwrap().clone();
        let e = check_params(
            "messages.sendMessage",
            &p(json!({"peer": "@x", "message": "hi", "allow_paid_stars": 10})),
            false,
        )
        .unwrap_err();
        assert_eq!(e.action(), Some(ACTION_UNLOCK_DANGEROUS));
        assert!(e.to_string().contains("allow_paid_stars"), "{e}");
        // Nested inside a wrapper's query, too.
        let nested = p(json!({"query": {"_": "channels.searchPosts", "allow_paid_stars": "5"}}));
        assert!(check_params("invokeWithoutUpdates", &nested, false).is_err());
        assert!(check_params("invokeWithoutUpdates", &nested, true).is_ok());
        assert!(
            check_params(
                "messages.sendMessage",
                &p(json!({"message": "hi", "allow_paid_stars": 0, "allow_paid_floodskip": false})),
                false
            )
            .is_ok()
        );
        assert!(
            check_params("contacts.addContact", &p(json!({"id": "@x", "add_phone_privacy_exception": true})), false)
                .is_err()
        );
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
