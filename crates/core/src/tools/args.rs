//! Parsing and validation shared by the tools: dates, limits, terms, chat-type
//! filters and opaque pagination cursors.

use super::ToolError;
use super::chat_ref::{ChatKind, ChatTypeFilter};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// Clamps an optional limit into `1..=max`, defaulting to `default`.
pub fn limit(v: Option<u32>, default: u32, max: u32) -> Result<usize, ToolError> {
    match v {
        None => Ok(default as usize),
        Some(0) => Err(ToolError::invalid("limit must be at least 1")),
        Some(n) => Ok(n.min(max) as usize),
    }
}

/// Comma-separated search terms, trimmed, without empties or duplicates.
pub fn terms(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in q.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_string());
        }
    }
    out
}

/// Which end of a day a bare date stands for.
#[derive(Clone, Copy)]
pub enum DayEdge {
    /// 00:00:00 UTC (for lower bounds).
    Start,
    /// 23:59:59 UTC (for upper bounds, so "max_date=2026-01-31" includes that day).
    End,
}

/// Parses an ISO 8601 date or date-time (with offset → converted to UTC; without → UTC) to Unix seconds.
pub fn date(name: &str, v: Option<&str>, edge: DayEdge) -> Result<Option<i32>, ToolError> {
    let Some(s) = v.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ToolError::invalid(format!("{name}: {s:?} is not an ISO 8601 date (e.g. 2026-01-31 or 2026-01-31T18:00:00Z)"))
    };
    let ts: i64 = if let Ok(t) = s.parse::<jiff::Timestamp>() {
        t.as_second()
    } else if let (false, Ok(dt)) = (s.len() == 10, s.parse::<jiff::civil::DateTime>()) {
        dt.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| bad())?.timestamp().as_second()
    } else if let Ok(d) = s.parse::<jiff::civil::Date>() {
        let t = match edge {
            DayEdge::Start => d.to_datetime(jiff::civil::Time::midnight()),
            DayEdge::End => d.to_datetime(jiff::civil::time(23, 59, 59, 0)),
        };
        t.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| bad())?.timestamp().as_second()
    } else {
        return Err(bad());
    };
    Ok(Some(ts.clamp(0, i32::MAX as i64) as i32))
}

/// Checks `min <= max` when both are given.
pub fn date_window(min: Option<i32>, max: Option<i32>) -> Result<(), ToolError> {
    match (min, max) {
        (Some(a), Some(b)) if a > b => Err(ToolError::invalid("min_date is after max_date")),
        _ => Ok(()),
    }
}

/// A validated chat-type filter (see [`ChatTypeFilter`] for what callers may pass).
#[derive(Debug, Clone, Default)]
pub struct ChatTypes(Option<Vec<ChatKind>>);

impl ChatTypes {
    /// Checks the filter's names; an unknown one is an error that lists the valid ones.
    pub fn parse(v: Option<&ChatTypeFilter>) -> Result<Self, ToolError> {
        let names: Vec<&str> =
            v.map(|f| f.0.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
        if names.is_empty() {
            return Ok(ChatTypes(None));
        }
        let mut out = Vec::new();
        for name in names {
            let kind = ChatKind::parse(name).ok_or_else(|| {
                ToolError::invalid(format!(
                    "chat_type {:?} is unknown; use private, bot, group or channel",
                    name.to_ascii_lowercase()
                ))
            })?;
            if !out.contains(&kind) {
                out.push(kind);
            }
        }
        Ok(ChatTypes(Some(out)))
    }

    /// Whether an entity passes the type filter and the `public` filter (public = has a username; never applied to users/bots).
    pub fn accepts(&self, entity: &Value, public: Option<bool>) -> bool {
        let kind = entity["type"].as_str().unwrap_or("");
        if let Some(list) = &self.0
            && !list.iter().any(|t| t.as_str() == kind)
        {
            return false;
        }
        match public {
            Some(p) if kind == "group" || kind == "channel" => entity.get("username").is_some() == p,
            _ => true,
        }
    }

    /// The single kind, if exactly one was asked for (lets the server filter too).
    pub fn single(&self) -> Option<&str> {
        match &self.0 {
            Some(v) if v.len() == 1 => Some(v[0].as_str()),
            _ => None,
        }
    }
}

/// Encodes a pagination cursor (opaque to the model).
pub fn encode_cursor<T: Serialize>(v: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("cursor serializes"))
}

/// Decodes a cursor made by [`encode_cursor`]; a damaged cursor is a clear error.
pub fn decode_cursor<T: DeserializeOwned>(s: &str) -> Result<T, ToolError> {
    URL_SAFE_NO_PAD
        .decode(s.trim())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ToolError::invalid("cursor is invalid; pass the next_cursor of a previous result unchanged"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_offsets_and_cover_whole_days() {
        assert_eq!(date("d", Some("2026-01-31"), DayEdge::Start).unwrap(), Some(1_769_817_600));
        assert_eq!(date("d", Some("2026-01-31"), DayEdge::End).unwrap(), Some(1_769_817_600 + 86_399));
        assert_eq!(date("d", Some("2026-01-31T02:00:00+02:00"), DayEdge::Start).unwrap(), Some(1_769_817_600));
        assert_eq!(date("d", Some("2026-01-31T00:00:00"), DayEdge::Start).unwrap(), Some(1_769_817_600));
        let e = date("min_date", Some("yesterday"), DayEdge::Start).unwrap_err();
        assert!(e.to_string().contains("min_date"));
        assert_eq!(date("d", None, DayEdge::Start).unwrap(), None);
    }

    #[test]
    fn chat_types_and_public_filter() {
        let g = serde_json::json!({"type": "group", "username": "pub"});
        let u = serde_json::json!({"type": "private"});
        let filter = |v: serde_json::Value| serde_json::from_value::<ChatTypeFilter>(v).unwrap();
        let t = ChatTypes::parse(Some(&filter(serde_json::json!("group, Channel")))).unwrap();
        assert!(t.accepts(&g, None));
        assert!(!t.accepts(&u, None));
        assert!(!t.accepts(&g, Some(false)));
        assert!(ChatTypes::default().accepts(&u, Some(true)), "public never filters users");
        assert!(
            ChatTypes::parse(Some(&filter(serde_json::json!(["group", "martian"]))))
                .unwrap_err()
                .to_string()
                .contains("private, bot, group or channel")
        );
    }

    #[test]
    fn terms_and_cursors() {
        assert_eq!(terms(" a, b ,,A, c"), vec!["a", "b", "c"]);
        let c = encode_cursor(&vec![1, 2]);
        assert_eq!(decode_cursor::<Vec<i32>>(&c).unwrap(), vec![1, 2]);
        assert!(decode_cursor::<Vec<i32>>("!!!").is_err());
        assert!(limit(Some(0), 5, 10).is_err());
        assert_eq!(limit(None, 5, 10).unwrap(), 5);
        assert_eq!(limit(Some(500), 5, 100).unwrap(), 100);
    }
}
