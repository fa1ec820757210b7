//! Chat references and chat-type filters as tools accept them: ids as numbers or strings, types as an enum.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

/// A chat or user: `me`, a @username, a t.me link, a +phone, or a numeric id (as a JSON number or a string).
///
/// Results carry ids as JSON numbers; passing one back unchanged works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRef(String);

impl ChatRef {
    /// The reference as text (a number becomes its decimal form).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ChatRef {
    fn from(s: &str) -> Self {
        ChatRef(s.to_string())
    }
}

impl<'de> Deserialize<'de> for ChatRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Int(n)) => Ok(ChatRef(n.to_string())),
            Ok(Raw::Text(s)) => Ok(ChatRef(s)),
            Err(_) => Err(serde::de::Error::custom(
                "a chat must be `me`, a @username, a t.me link, a +phone or a numeric id (number or string)",
            )),
        }
    }
}

impl JsonSchema for ChatRef {
    fn schema_name() -> Cow<'static, str> {
        "ChatRef".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["integer", "string"],
            "description": "`me`, a @username, a t.me link, a +phone, or a numeric id as results return it \
                            (users positive, groups negative, channels -100…); a number or a string."
        })
    }
}

/// One kind of chat, as results report it in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    /// A person.
    Private,
    /// A bot account.
    Bot,
    /// A basic group or a supergroup.
    Group,
    /// A broadcast channel.
    Channel,
}

impl ChatKind {
    /// The name results use in `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Bot => "bot",
            ChatKind::Group => "group",
            ChatKind::Channel => "channel",
        }
    }

    /// Parses a name or a common alias (`user`, `supergroup`, `broadcast`…), any case.
    pub fn parse(s: &str) -> Option<ChatKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "user" | "users" | "private" => ChatKind::Private,
            "bot" | "bots" => ChatKind::Bot,
            "group" | "groups" | "supergroup" | "megagroup" => ChatKind::Group,
            "channel" | "channels" | "broadcast" => ChatKind::Channel,
            _ => return None,
        })
    }
}

/// The `chat_type` filter: one kind or a list of kinds.
///
/// Also accepted, for older clients: a comma-separated string and aliases (`user`, `supergroup`…). Names are checked
/// by the tool (an unknown one is a tool error listing the valid names), so this keeps the raw names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatTypeFilter(pub Vec<String>);

impl<'de> Deserialize<'de> for ChatTypeFilter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let names = match Raw::deserialize(d) {
            Ok(Raw::One(s)) => s.split(',').map(str::to_string).collect(),
            Ok(Raw::Many(v)) => v,
            Err(_) => return Err(serde::de::Error::custom("chat_type must be a chat kind or a list of them")),
        };
        Ok(ChatTypeFilter(names))
    }
}

impl JsonSchema for ChatTypeFilter {
    fn schema_name() -> Cow<'static, str> {
        "ChatTypeFilter".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let kind = generator.subschema_for::<ChatKind>();
        json_schema!({
            "anyOf": [kind.clone(), {"type": "array", "items": kind, "minItems": 1, "uniqueItems": true}],
            "description": "Keep only these kinds of chat: one of private, bot, group, channel, or a list of them."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_refs_accept_numbers_and_strings() {
        let n: ChatRef = serde_json::from_value(json!(-1001234567890i64)).unwrap();
        assert_eq!(n.as_str(), "-1001234567890");
        let s: ChatRef = serde_json::from_value(json!("@carol")).unwrap();
        assert_eq!(s.as_str(), "@carol");
        let e = serde_json::from_value::<ChatRef>(json!(1.5)).unwrap_err().to_string();
        assert!(e.contains("numeric id"), "{e}");
    }

    #[test]
    fn chat_type_filters_accept_a_kind_a_list_or_a_comma_string() {
        let one: ChatTypeFilter = serde_json::from_value(json!("channel")).unwrap();
        assert_eq!(one.0, vec!["channel"]);
        let many: ChatTypeFilter = serde_json::from_value(json!(["group", "bot"])).unwrap();
        assert_eq!(many.0, vec!["group", "bot"]);
        let legacy: ChatTypeFilter = serde_json::from_value(json!("group, Channel")).unwrap();
        assert_eq!(legacy.0, vec!["group", " Channel"]);
        assert_eq!(ChatKind::parse(" Channel"), Some(ChatKind::Channel));
        assert_eq!(ChatKind::parse("supergroup"), Some(ChatKind::Group));
    }

    #[test]
    fn schemas_name_the_number_or_string_and_the_kinds() {
        let s = serde_json::to_value(schemars::schema_for!(ChatRef)).unwrap();
        assert_eq!(s["type"], json!(["integer", "string"]));
        let s = serde_json::to_value(schemars::SchemaGenerator::default().into_root_schema_for::<ChatTypeFilter>())
            .unwrap();
        let text = s.to_string();
        assert!(text.contains("\"private\"") && text.contains("\"channel\""), "{text}");
    }
}
