//! Takes the messages of the sensitive chats (login codes, @BotFather, @SpamBot) out of a decoded
//! raw answer, wherever they sit in it (histories, searches, dialogs' top messages, updates).

use crate::policy::SENSITIVE_CHATS;
use serde_json::{Value, json};

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

fn is_sensitive_peer(peer: &Value) -> bool {
    peer.get("_").and_then(Value::as_str) == Some("peerUser") && peer.get("user_id").is_some_and(is_sensitive_id)
}

fn is_sensitive_id(id: &Value) -> bool {
    let id = match id {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    id.is_some_and(|id| SENSITIVE_CHATS.iter().any(|(s, _)| *s == id))
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
}
