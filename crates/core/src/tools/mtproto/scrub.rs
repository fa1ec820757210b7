//! Takes out of a decoded raw answer, wherever they sit in it (histories, searches, dialogs' top
//! messages, updates): the messages of the sensitive chats (login codes, @BotFather, @SpamBot),
//! and for a token limited to some chats everything about the chats outside its scope.

use super::dialog_id;
use crate::policy::SENSITIVE_CHATS;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Replaces every message of a sensitive chat in `v` by `messageEmpty` (keeping its id and peer),
/// and empties the text of short updates from them.
pub fn sensitive_messages(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(sensitive_messages),
        Value::Object(obj) => {
            let kind = obj.get("_").and_then(Value::as_str).unwrap_or_default();
            match kind {
                "message" | "messageService" if obj.get("peer_id").is_some_and(is_sensitive_peer) => {
                    *v = json!({ "_": "messageEmpty", "id": obj.get("id").cloned().unwrap_or(Value::Null),
                                 "peer_id": obj.get("peer_id").cloned().unwrap_or(Value::Null) });
                }
                "updateShortMessage" if obj.get("user_id").is_some_and(is_sensitive_id) => {
                    obj.insert("message".into(), json!(""));
                    obj.remove("entities");
                }
                _ => obj.values_mut().for_each(sensitive_messages),
            }
        }
        _ => {}
    }
}

/// Removes from `v` every message, dialog, chat and update of a chat `permits` refuses, and every
/// user that is neither a chat in scope nor named by what is left (a sender, a member, a mention).
/// Removed array items are dropped; a removed value elsewhere becomes an empty stub of its kind.
pub fn out_of_scope(v: &mut Value, permits: &dyn Fn(i64) -> bool) {
    if !chats_in_scope(v, permits) {
        *v = json!({ "_": "outOfScope" });
    }
    let mut referenced = HashSet::new();
    referenced_users(v, false, &mut referenced);
    users_in_scope(v, permits, &referenced);
}

/// The chat `obj` belongs to, for the kinds of objects that belong to one chat.
fn chat_of(obj: &serde_json::Map<String, Value>) -> Option<i64> {
    let kind = obj.get("_").and_then(Value::as_str)?;
    match kind {
        "message" | "messageService" | "messageEmpty" => obj.get("peer_id").and_then(peer_id),
        "dialog" => obj.get("peer").and_then(peer_id),
        "chat" | "chatForbidden" | "chatEmpty" => dialog_id("chat_id", id_of(obj.get("id")?)?),
        "channel" | "channelForbidden" => dialog_id("channel_id", id_of(obj.get("id")?)?),
        "updateShortMessage" => dialog_id("user_id", id_of(obj.get("user_id")?)?),
        "updateShortChatMessage" => dialog_id("chat_id", id_of(obj.get("chat_id")?)?),
        k if k.starts_with("update") => {
            obj.get("peer").and_then(peer_id).or_else(|| dialog_id("channel_id", id_of(obj.get("channel_id")?)?))
        }
        _ => None,
    }
}

/// Scrubs chats out of `v`; `false` when `v` itself must go.
fn chats_in_scope(v: &mut Value, permits: &dyn Fn(i64) -> bool) -> bool {
    match v {
        Value::Array(items) => {
            items.retain_mut(|item| chats_in_scope(item, permits));
            true
        }
        Value::Object(obj) => {
            if chat_of(obj).is_some_and(|id| !permits(id)) {
                return false;
            }
            for (_, field) in obj.iter_mut() {
                if !chats_in_scope(field, permits) {
                    let kind = field.get("_").and_then(Value::as_str).unwrap_or("object");
                    *field = json!({ "_": format!("{kind} (outside this token's chat scope)") });
                }
            }
            true
        }
        _ => true,
    }
}

/// Every user id named outside the `users` lists (`inside_users`: walking one).
fn referenced_users(v: &Value, inside_users: bool, out: &mut HashSet<i64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| referenced_users(i, inside_users, out)),
        Value::Object(obj) => {
            if inside_users && matches!(obj.get("_").and_then(Value::as_str), Some("user" | "userEmpty")) {
                return;
            }
            for (key, field) in obj {
                let names_user = matches!(
                    key.as_str(),
                    "user_id" | "inviter_id" | "admin_id" | "kicked_by" | "promoted_by" | "via_bot_id" | "bot_id"
                );
                if names_user && let Some(id) = id_of(field) {
                    out.insert(id);
                }
                // A `users` list of plain ids (chat participants, reactions) names users too.
                if key == "users" && field.as_array().is_some_and(|a| a.iter().all(|i| id_of(i).is_some())) {
                    out.extend(field.as_array().into_iter().flatten().filter_map(id_of));
                    continue;
                }
                referenced_users(field, key == "users", out);
            }
        }
        _ => {}
    }
}

/// Drops the users of `users` lists that are out of scope and named nowhere else.
fn users_in_scope(v: &mut Value, permits: &dyn Fn(i64) -> bool, referenced: &HashSet<i64>) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| users_in_scope(i, permits, referenced)),
        Value::Object(obj) => {
            for (key, field) in obj.iter_mut() {
                if key == "users"
                    && let Value::Array(users) = field
                {
                    users.retain(|u| {
                        let is_user = matches!(u.get("_").and_then(Value::as_str), Some("user" | "userEmpty"));
                        let id = u.get("id").and_then(id_of);
                        !is_user || id.is_some_and(|id| permits(id) || referenced.contains(&id))
                    });
                } else {
                    users_in_scope(field, permits, referenced);
                }
            }
        }
        _ => {}
    }
}

/// The Bot API id of a `peerUser` / `peerChat` / `peerChannel`.
fn peer_id(peer: &Value) -> Option<i64> {
    let field = match peer.get("_").and_then(Value::as_str)? {
        "peerUser" => "user_id",
        "peerChat" => "chat_id",
        "peerChannel" => "channel_id",
        _ => return None,
    };
    dialog_id(field, id_of(peer.get(field)?)?)
}

/// A TL id as the decoder writes it (a number, or a string past 2^53).
fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn is_sensitive_peer(peer: &Value) -> bool {
    peer.get("_").and_then(Value::as_str) == Some("peerUser") && peer.get("user_id").is_some_and(is_sensitive_id)
}

fn is_sensitive_id(id: &Value) -> bool {
    id_of(id).is_some_and(|id| SENSITIVE_CHATS.iter().any(|(s, _)| *s == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_sensitive_chats_are_emptied_wherever_they_are() {
        let code = json!({"_": "message", "id": 7, "peer_id": {"_": "peerUser", "user_id": 777000}, "message": "Login code: 12345"});
        let other = json!({"_": "message", "id": 8, "peer_id": {"_": "peerUser", "user_id": 100003}, "message": "hi"});
        let mut answer = json!({"_": "messages.dialogs", "messages": [code, other],
            "updates": [{"_": "updateNewMessage", "message": code}],
            "short": {"_": "updateShortMessage", "user_id": "777000", "message": "Login code: 12345"}});
        sensitive_messages(&mut answer);
        let text = answer.to_string();
        assert!(!text.contains("12345"), "{text}");
        assert_eq!(
            answer["messages"][0],
            json!({"_": "messageEmpty", "id": 7, "peer_id": {"_": "peerUser", "user_id": 777000}})
        );
        assert_eq!(answer["messages"][1]["message"], "hi");
        assert_eq!(answer["updates"][0]["message"]["_"], "messageEmpty");
    }

    #[test]
    fn answers_are_confined_to_the_scope() {
        let carol = 100_003;
        let permits = |id: i64| id == carol;
        let mut answer = json!({
            "_": "messages.messagesSlice",
            "messages": [
                {"_": "message", "id": 1, "peer_id": {"_": "peerUser", "user_id": carol}, "message": "in scope",
                 "fwd_from": {"_": "messageFwdHeader", "from_id": {"_": "peerUser", "user_id": 100_009}}},
                {"_": "message", "id": 2, "peer_id": {"_": "peerChat", "chat_id": 200_008}, "message": "family"},
                {"_": "message", "id": 3, "peer_id": {"_": "peerChannel", "channel_id": 300_011}, "message": "news"}
            ],
            "chats": [{"_": "chat", "id": 200_008, "title": "Family"}, {"_": "channel", "id": "300011", "title": "News"}],
            "users": [{"_": "user", "id": carol}, {"_": "user", "id": 100_004, "first_name": "Dave"},
                      {"_": "user", "id": 100_009, "first_name": "Forwarded"}],
            "updates": [
                {"_": "updateShortChatMessage", "chat_id": 200_008, "message": "family"},
                {"_": "updateNewMessage", "message": {"_": "message", "id": 4,
                    "peer_id": {"_": "peerUser", "user_id": 100_004}, "message": "dave"}}
            ]
        });
        out_of_scope(&mut answer, &permits);
        let text = answer.to_string();
        for gone in ["family", "news", "Family", "News", "Dave", "dave"] {
            assert!(!text.contains(gone), "{gone}: {text}");
        }
        assert_eq!(answer["messages"].as_array().unwrap().len(), 1);
        assert_eq!(answer["messages"][0]["message"], "in scope");
        assert!(answer["chats"].as_array().unwrap().is_empty());
        // Carol stays (in scope), and so does the author of a message she forwarded (named by it).
        let users: Vec<i64> = answer["users"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
        assert_eq!(users, [carol, 100_009]);
        // An update outside an array becomes a stub instead of vanishing from its parent.
        assert_eq!(answer["updates"].as_array().unwrap().len(), 1);
        assert!(answer["updates"][0]["message"]["_"].as_str().unwrap().contains("outside this token's chat scope"));

        // An answer that is itself about another chat is replaced whole.
        let mut dialog = json!({"_": "dialog", "peer": {"_": "peerUser", "user_id": 100_004}});
        out_of_scope(&mut dialog, &permits);
        assert_eq!(dialog, json!({"_": "outOfScope"}));
    }
}
