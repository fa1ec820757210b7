//! JSON → TL bytes, driven by the runtime schema.
//!
//! - Objects name their constructor with `"_"` (`{"_": "inputPeerSelf"}`, case-insensitive);
//!   it may be left out when the expected type has a single constructor.
//! - Fields whose declared TL type is `InputPeer`, `InputUser`, `InputChannel`,
//!   `InputDialogPeer` or `InputNotifyPeer` (also inside vectors) also accept a peer spec
//!   string or number (`me`, `@username`, a t.me link, `+phone`, a Bot-API id), resolved by
//!   the caller's [`PeerLookup`]. Resolution follows the TYPE, never the field name.
//! - `#` flags are computed from the optional fields that are present; a `flags.N?true`
//!   field is set by `true`. Omitted (or `null`) optional fields are absent.
//! - `int`/`long` accept numbers or numeric strings (`int` also 2^31..2^32-1, wrapped);
//!   `bytes` accept padded standard base64 (what results use), else the string's UTF-8
//!   bytes; `{"base64": …}`, `{"text": …}`, `{"hex": …}` or a byte array are explicit.

use super::schema::{BOOL_FALSE_ID, BOOL_TRUE_ID, Def, Schema, Ty, VECTOR_ID};
use base64::Engine;
use grammers_tl_types as tl;
use serde_json::{Map, Value};
use std::collections::HashMap;
use tl::Serializable;

/// The boxed types whose fields accept peer specs.
pub(crate) const PEER_TYPES: [&str; 5] =
    ["InputPeer", "InputUser", "InputChannel", "InputDialogPeer", "InputNotifyPeer"];

/// Turns peer specs into input peers.
pub(crate) trait PeerLookup {
    /// The input peer named by `spec` (at field `path`). `Ok(None)` means "not known yet":
    /// the encoder then only validates (a collecting pass).
    fn lookup(&mut self, spec: &str, path: &str) -> Result<Option<tl::enums::InputPeer>, String>;
}

/// A lookup that records every spec and resolves none (first, validating pass).
#[derive(Default)]
pub(crate) struct Collect {
    /// `(spec, field path)` in order of appearance, without repeats of a spec.
    pub specs: Vec<(String, String)>,
}

impl PeerLookup for Collect {
    fn lookup(&mut self, spec: &str, path: &str) -> Result<Option<tl::enums::InputPeer>, String> {
        if !self.specs.iter().any(|(s, _)| s == spec) {
            self.specs.push((spec.to_string(), path.to_string()));
        }
        Ok(None)
    }
}

/// A lookup over already resolved specs.
pub(crate) struct Resolved(pub HashMap<String, tl::enums::InputPeer>);

impl PeerLookup for Resolved {
    fn lookup(&mut self, spec: &str, path: &str) -> Result<Option<tl::enums::InputPeer>, String> {
        self.0.get(spec).cloned().map(Some).ok_or_else(|| format!("{path}: peer {spec:?} was not resolved"))
    }
}

/// A chat a request names without a peer spec: an explicit constructor
/// (`{"_": "inputPeerUser", "user_id": …}`) or a bare id parameter (`messages.getFullChat`'s
/// `chat_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedChat {
    /// Its Bot API id (users positive, basic groups negative, channels `-100…`).
    pub id: i64,
    /// The field that names it.
    pub path: String,
}

/// An encoded method call.
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The serialized request (constructor id first).
    pub bytes: Vec<u8>,
    /// Every method in the request, outermost first (wrappers like `invokeWithLayer` nest others).
    pub methods: Vec<String>,
    /// The chats it names other than by peer spec (peer specs go to the [`PeerLookup`]).
    pub named: Vec<NamedChat>,
    /// The type of the result (for wrappers, the innermost method's result type).
    pub returns: Ty,
}

/// Encodes a call of method `def` with JSON `params`.
pub(crate) fn encode_call(
    schema: &Schema,
    def: &Def,
    params: &Map<String, Value>,
    lookup: &mut dyn PeerLookup,
) -> Result<Encoded, String> {
    let mut enc = Encoder { schema, lookup, methods: Vec::new(), named: Vec::new() };
    let mut bytes = Vec::new();
    let returns = enc.function(def, params, "", &mut bytes)?;
    Ok(Encoded { bytes, methods: enc.methods, named: enc.named, returns })
}

struct Encoder<'a> {
    schema: &'a Schema,
    lookup: &'a mut dyn PeerLookup,
    methods: Vec<String>,
    named: Vec<NamedChat>,
}

/// The chat an explicit constructor of one of the [`PEER_TYPES`] names, from its id field
/// (`…FromMessage` constructors also name the chat of the message, in their `peer` field, which
/// is checked as a field of its own).
fn chat_of_constructor(ctor: &str, obj: &Map<String, Value>, path: &str) -> Result<Option<i64>, String> {
    let field = match ctor {
        "inputPeerUser" | "inputPeerUserFromMessage" | "inputUser" | "inputUserFromMessage" => "user_id",
        "inputPeerChat" => "chat_id",
        "inputPeerChannel" | "inputPeerChannelFromMessage" | "inputChannel" | "inputChannelFromMessage" => "channel_id",
        _ => return Ok(None),
    };
    let Some(v) = obj.get(field) else { return Ok(None) };
    Ok(super::dialog_id(field, int64(v, &join(path, field))?))
}

/// The chat a method's bare id parameter names (`chat_id:long` is a basic group).
fn chat_of_bare_param(name: &str, v: &Value, path: &str) -> Result<Option<i64>, String> {
    match name {
        "chat_id" | "user_id" | "bot_id" | "channel_id" => Ok(super::dialog_id(name, int64(v, path)?)),
        _ => Ok(None),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

fn at(path: &str) -> String {
    if path.is_empty() { "params".into() } else { format!("`{path}`") }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn ctor_names(defs: &[&Def]) -> String {
    let mut names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    if names.len() > 12 {
        names.truncate(12);
        names.push("…");
    }
    names.join(", ")
}

impl Encoder<'_> {
    /// Writes a method call; returns its effective result type.
    fn function(&mut self, def: &Def, obj: &Map<String, Value>, path: &str, out: &mut Vec<u8>) -> Result<Ty, String> {
        self.methods.push(def.name.clone());
        for p in &def.params {
            if matches!(p.ty, Some(Ty::Long))
                && let Some(v) = obj.get(&p.name).filter(|v| !v.is_null())
            {
                let field = join(path, &p.name);
                if let Some(id) = chat_of_bare_param(&p.name, v, &field)? {
                    self.named.push(NamedChat { id, path: field });
                }
            }
        }
        def.id.serialize(out);
        let nested = self.fields(def, obj, path, out)?;
        Ok(match (&def.ty, nested) {
            (Ty::Generic(_), Some(inner)) => inner,
            (t, _) => t.clone(),
        })
    }

    /// Writes the fields of `def` (no constructor id). Returns the result type of a nested
    /// generic query, if the definition has one.
    fn fields(
        &mut self,
        def: &Def,
        obj: &Map<String, Value>,
        path: &str,
        out: &mut Vec<u8>,
    ) -> Result<Option<Ty>, String> {
        for key in obj.keys() {
            if key != "_" && def.param(key).is_none() {
                return Err(format!(
                    "unknown field `{}` for {}; valid fields: {}",
                    join(path, key),
                    def.name,
                    def.field_list()
                ));
            }
        }
        // Flags from the optional fields that are present.
        let mut flags: HashMap<&str, u32> = HashMap::new();
        for p in &def.params {
            let (Some(ty), Some((fname, bit))) = (&p.ty, &p.flag) else {
                continue;
            };
            let present = match (ty, obj.get(&p.name)) {
                (_, None | Some(Value::Null)) => false,
                (Ty::True, Some(Value::Bool(b))) => *b,
                (Ty::True, Some(other)) => {
                    return Err(format!(
                        "`{}` ({}) must be true or false, not {}",
                        join(path, &p.name),
                        p.tl_type(),
                        kind_of(other)
                    ));
                }
                _ => true,
            };
            if present {
                *flags.entry(fname.as_str()).or_default() |= 1 << bit;
            }
        }
        let mut nested = None;
        for p in &def.params {
            let Some(ty) = &p.ty else {
                flags.get(p.name.as_str()).copied().unwrap_or(0).serialize(out);
                continue;
            };
            let field = join(path, &p.name);
            let value = obj.get(&p.name).filter(|v| !v.is_null());
            if let Some((fname, bit)) = &p.flag {
                if flags.get(fname.as_str()).copied().unwrap_or(0) & (1 << bit) == 0 || *ty == Ty::True {
                    continue;
                }
                let Some(v) = value else {
                    return Err(format!(
                        "`{field}` ({}) of {} must be given too: it shares {fname}.{bit} with another field you set",
                        p.tl_type(),
                        def.name
                    ));
                };
                self.value(ty, v, &field, out)?;
                continue;
            }
            let Some(v) = value else {
                return Err(format!("missing required field `{field}` ({}) of {}", p.tl_type(), def.name));
            };
            if let Ty::Generic(_) = ty {
                nested = Some(self.generic(v, &field, out)?);
            } else {
                self.value(ty, v, &field, out)?;
            }
        }
        Ok(nested)
    }

    /// A nested query (`!X`): an object naming a method.
    fn generic(&mut self, v: &Value, path: &str, out: &mut Vec<u8>) -> Result<Ty, String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("`{path}` must be a method call object like {{\"_\": \"help.getConfig\"}}"))?;
        let name =
            obj.get("_").and_then(Value::as_str).ok_or_else(|| format!("`{path}` needs \"_\" naming a method"))?;
        let def = self.schema.method(name).map_err(|e| format!("`{path}`: {e}"))?;
        self.function(def, obj, path, out)
    }

    fn value(&mut self, ty: &Ty, v: &Value, path: &str, out: &mut Vec<u8>) -> Result<(), String> {
        match ty {
            Ty::Int => int32(v, path)?.serialize(out),
            Ty::Long => int64(v, path)?.serialize(out),
            Ty::Double => double(v, path)?.serialize(out),
            Ty::String => match v {
                Value::String(s) => s.serialize(out),
                Value::Number(n) => n.to_string().serialize(out),
                other => {
                    return Err(format!("{} (string) must be a string, not {}", at(path), kind_of(other)));
                }
            },
            Ty::Bytes => bytes(v, path)?.serialize(out),
            Ty::Int128 => out.extend(fixed(v, path, 16)?),
            Ty::Int256 => out.extend(fixed(v, path, 32)?),
            Ty::Bool => {
                let b = match v {
                    Value::Bool(b) => *b,
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    other => {
                        return Err(format!("{} (Bool) must be true or false, not {}", at(path), kind_of(other)));
                    }
                };
                if b { BOOL_TRUE_ID } else { BOOL_FALSE_ID }.serialize(out);
            }
            Ty::True => {}
            Ty::Vector { boxed, inner } => {
                let items =
                    v.as_array().ok_or_else(|| format!("{} ({ty}) must be an array, not {}", at(path), kind_of(v)))?;
                if *boxed {
                    VECTOR_ID.serialize(out);
                }
                (items.len() as i32).serialize(out);
                for (i, item) in items.iter().enumerate() {
                    self.value(inner, item, &format!("{path}[{i}]"), out)?;
                }
            }
            Ty::Boxed(name) => {
                if PEER_TYPES.contains(&name.as_str()) && matches!(v, Value::String(_) | Value::Number(_)) {
                    return self.peer(name, v, path, out);
                }
                let ctors = self.schema.ctors_of(name);
                let hint =
                    if PEER_TYPES.contains(&name.as_str()) { " or a peer (`me`, @username, id, +phone)" } else { "" };
                let obj = v.as_object().ok_or_else(|| {
                    format!(
                        "{} ({name}) must be an object like {{\"_\": \"{}\"}}{hint}, not {}; constructors: {}",
                        at(path),
                        ctors.first().map(|d| d.name.as_str()).unwrap_or("?"),
                        kind_of(v),
                        ctor_names(&ctors)
                    )
                })?;
                let def = match obj.get("_") {
                    Some(Value::String(n)) => {
                        let def = self.schema.ctor_by_name(n).ok_or_else(|| {
                            format!(
                                "{}: unknown constructor {n:?} for {name}; constructors: {}",
                                at(path),
                                ctor_names(&ctors)
                            )
                        })?;
                        if def.ty != Ty::Boxed(name.clone()) {
                            return Err(format!(
                                "{}: {} is a {}, but this field needs {name}; constructors: {}",
                                at(path),
                                def.name,
                                def.ty,
                                ctor_names(&ctors)
                            ));
                        }
                        def
                    }
                    Some(other) => {
                        return Err(format!("{}: \"_\" must be a constructor name, not {}", at(path), kind_of(other)));
                    }
                    None => match ctors.as_slice() {
                        [only] => *only,
                        _ => {
                            return Err(format!(
                                "{} ({name}) needs \"_\" naming its constructor: {}",
                                at(path),
                                ctor_names(&ctors)
                            ));
                        }
                    },
                };
                if PEER_TYPES.contains(&name.as_str())
                    && let Some(id) = chat_of_constructor(&def.name, obj, path)?
                {
                    self.named.push(NamedChat { id, path: path.to_string() });
                }
                def.id.serialize(out);
                self.fields(def, obj, path, out)?;
            }
            Ty::Bare(name) => {
                let def =
                    self.schema.ctor_by_name(name).ok_or_else(|| format!("{}: unknown bare type {name}", at(path)))?;
                let obj = v
                    .as_object()
                    .ok_or_else(|| format!("{} ({name}) must be an object, not {}", at(path), kind_of(v)))?;
                self.fields(def, obj, path, out)?;
            }
            Ty::Generic(_) => {
                self.generic(v, path, out)?;
            }
        }
        Ok(())
    }

    /// A peer spec in a field of one of the [`PEER_TYPES`].
    fn peer(&mut self, ty: &str, v: &Value, path: &str, out: &mut Vec<u8>) -> Result<(), String> {
        let spec = match v {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        if spec.is_empty() {
            return Err(format!("{} ({ty}) must not be empty", at(path)));
        }
        let Some(peer) = self.lookup.lookup(&spec, path)? else {
            return Ok(());
        };
        match ty {
            "InputPeer" => peer.serialize(out),
            "InputUser" => input_user(peer)
                .ok_or_else(|| format!("{} needs a user (InputUser), but {spec:?} is a group or channel", at(path)))?
                .serialize(out),
            "InputChannel" => input_channel(peer)
                .ok_or_else(|| {
                    format!("{} needs a channel or supergroup (InputChannel), but {spec:?} is not one", at(path))
                })?
                .serialize(out),
            "InputDialogPeer" => tl::enums::InputDialogPeer::Peer(tl::types::InputDialogPeer { peer }).serialize(out),
            "InputNotifyPeer" => tl::enums::InputNotifyPeer::Peer(tl::types::InputNotifyPeer { peer }).serialize(out),
            other => return Err(format!("{}: {other} does not take peer specs", at(path))),
        }
        Ok(())
    }
}

/// The `InputUser` of a user peer.
fn input_user(p: tl::enums::InputPeer) -> Option<tl::enums::InputUser> {
    use tl::enums::InputPeer as P;
    Some(match p {
        P::PeerSelf => tl::enums::InputUser::UserSelf,
        P::User(u) => tl::types::InputUser { user_id: u.user_id, access_hash: u.access_hash }.into(),
        P::UserFromMessage(u) => {
            tl::types::InputUserFromMessage { peer: u.peer, msg_id: u.msg_id, user_id: u.user_id }.into()
        }
        _ => return None,
    })
}

/// The `InputChannel` of a channel or supergroup peer.
fn input_channel(p: tl::enums::InputPeer) -> Option<tl::enums::InputChannel> {
    use tl::enums::InputPeer as P;
    Some(match p {
        P::Channel(c) => tl::types::InputChannel { channel_id: c.channel_id, access_hash: c.access_hash }.into(),
        P::ChannelFromMessage(c) => {
            tl::types::InputChannelFromMessage { peer: c.peer, msg_id: c.msg_id, channel_id: c.channel_id }.into()
        }
        _ => return None,
    })
}

/// An integer from a JSON number (or integral float) or numeric string, as i128 to check ranges.
fn integer(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)).or_else(|| {
            n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 9.007_199_254_740_992e15).map(|f| f as i128)
        }),
        Value::String(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    }
}

fn int32(v: &Value, path: &str) -> Result<i32, String> {
    match integer(v) {
        Some(n) if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&n) => Ok(n as i32),
        Some(n) => Err(format!("{} (int) is out of the 32-bit range: {n}", at(path))),
        None => Err(format!("{} (int) must be an integer, not {}", at(path), kind_of(v))),
    }
}

fn int64(v: &Value, path: &str) -> Result<i64, String> {
    match integer(v) {
        Some(n) if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&n) => Ok(n as i64),
        Some(n) => Err(format!("{} (long) is out of the 64-bit range: {n}", at(path))),
        None => Err(format!("{} (long) must be an integer or a numeric string, not {}", at(path), kind_of(v))),
    }
}

fn double(v: &Value, path: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{} (double) must be a number, not {}", at(path), kind_of(v)))
}

/// Padded standard base64 of a bare string (what decoded results contain).
fn strict_base64(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(4) {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

fn lenient_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let s = s.trim();
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD].iter().find_map(|e| e.decode(s).ok())
}

fn bytes(v: &Value, path: &str) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(strict_base64(s).unwrap_or_else(|| s.as_bytes().to_vec())),
        Value::Array(items) => items
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| format!("{} (bytes): an array must hold numbers 0-255", at(path))),
        Value::Object(o) if o.len() == 1 => {
            let (k, val) = o.iter().next().expect("one entry");
            let s = val.as_str().ok_or_else(|| format!("{} (bytes): {k} must be a string", at(path)))?;
            match k.as_str() {
                "base64" => lenient_base64(s).ok_or_else(|| format!("{} (bytes): invalid base64", at(path))),
                "text" => Ok(s.as_bytes().to_vec()),
                "hex" => hex::decode(s.trim()).map_err(|_| format!("{} (bytes): invalid hex", at(path))),
                _ => Err(format!("{} (bytes): use {{\"base64\": …}}, {{\"text\": …}} or {{\"hex\": …}}", at(path))),
            }
        }
        other => Err(format!(
            "{} (bytes) must be a base64 string, plain text, a byte array or {{\"text\"|\"base64\"|\"hex\": …}}, not {}",
            at(path),
            kind_of(other)
        )),
    }
}

fn fixed(v: &Value, path: &str, len: usize) -> Result<Vec<u8>, String> {
    let b = match v {
        Value::String(s) => {
            hex::decode(s.trim()).ok().filter(|b| b.len() == len).or_else(|| lenient_base64(s)).unwrap_or_default()
        }
        other => bytes(other, path)?,
    };
    if b.len() == len { Ok(b) } else { Err(format!("{} must be exactly {len} bytes (hex or base64)", at(path))) }
}

#[cfg(test)]
mod tests {
    use super::super::schema::schema;
    use super::*;
    use serde_json::json;
    use tl::functions as f;

    struct Fixed;
    impl PeerLookup for Fixed {
        fn lookup(&mut self, spec: &str, _path: &str) -> Result<Option<tl::enums::InputPeer>, String> {
            Ok(Some(match spec {
                "me" => tl::enums::InputPeer::PeerSelf,
                "@carol" => tl::types::InputPeerUser { user_id: 100_003, access_hash: -77 }.into(),
                "-1001234" => tl::types::InputPeerChannel { channel_id: 1234, access_hash: 99 }.into(),
                other => return Err(format!("unknown {other}")),
            }))
        }
    }

    fn enc(method: &str, params: Value) -> Result<Encoded, String> {
        let s = schema();
        encode_call(s, s.method(method)?, params.as_object().unwrap(), &mut Fixed)
    }

    #[test]
    fn get_history_matches_grammers() {
        let e = enc(
            "messages.getHistory",
            json!({"peer": "@carol", "offset_id": 0, "offset_date": 0, "add_offset": 0,
            "limit": 5, "max_id": 0, "min_id": 0, "hash": "0"}),
        )
        .unwrap();
        let want = f::messages::GetHistory {
            peer: tl::types::InputPeerUser { user_id: 100_003, access_hash: -77 }.into(),
            offset_id: 0,
            offset_date: 0,
            add_offset: 0,
            limit: 5,
            max_id: 0,
            min_id: 0,
            hash: 0,
        };
        assert_eq!(e.bytes, want.to_bytes());
        assert_eq!(e.methods, vec!["messages.getHistory"]);
        assert_eq!(e.returns, Ty::Boxed("messages.Messages".into()));
        // The explicit constructor form gives the same bytes.
        let e2 = enc(
            "messages.GetHistoryRequest",
            json!({"peer": {"_": "inputPeerUser", "user_id": 100003, "access_hash": -77},
            "offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": 5, "max_id": 0, "min_id": 0, "hash": 0}),
        )
        .unwrap();
        assert_eq!(e2.bytes, e.bytes);
    }

    #[test]
    fn flags_optional_fields_and_nested_objects_match_grammers() {
        let e = enc(
            "messages.search",
            json!({"peer": "me", "q": "zebra", "from_id": "@carol", "top_msg_id": 7,
            "filter": {"_": "inputMessagesFilterPhotos"}, "min_date": 0, "max_date": 0, "offset_id": 0, "add_offset": 0,
            "limit": 10, "max_id": 0, "min_id": 0, "hash": 0, "saved_peer_id": null}),
        )
        .unwrap();
        let want = f::messages::Search {
            peer: tl::enums::InputPeer::PeerSelf,
            q: "zebra".into(),
            from_id: Some(tl::types::InputPeerUser { user_id: 100_003, access_hash: -77 }.into()),
            saved_peer_id: None,
            saved_reaction: None,
            top_msg_id: Some(7),
            filter: tl::enums::MessagesFilter::InputMessagesFilterPhotos,
            min_date: 0,
            max_date: 0,
            offset_id: 0,
            add_offset: 0,
            limit: 10,
            max_id: 0,
            min_id: 0,
            hash: 0,
        };
        assert_eq!(e.bytes, want.to_bytes());
    }

    #[test]
    fn true_flags_vectors_bool_and_bytes_match_grammers() {
        // `true` flags, Vector<int>.
        let e = enc("messages.deleteMessages", json!({"revoke": true, "id": [1, 2, 3]})).unwrap();
        assert_eq!(e.bytes, f::messages::DeleteMessages { revoke: true, id: vec![1, 2, 3] }.to_bytes());
        let e = enc("messages.deleteMessages", json!({"revoke": false, "id": []})).unwrap();
        assert_eq!(e.bytes, f::messages::DeleteMessages { revoke: false, id: vec![] }.to_bytes());
        // Vector<InputUser> from specs; user kinds checked.
        let e = enc("users.getUsers", json!({"id": ["me", "@carol"]})).unwrap();
        let want = f::users::GetUsers {
            id: vec![
                tl::enums::InputUser::UserSelf,
                tl::types::InputUser { user_id: 100_003, access_hash: -77 }.into(),
            ],
        };
        assert_eq!(e.bytes, want.to_bytes());
        let err = enc("users.getUsers", json!({"id": ["-1001234"]})).unwrap_err();
        assert!(err.contains("id[0]") && err.contains("InputUser"), "{err}");
        // InputChannel by type.
        let e = enc("channels.getFullChannel", json!({"channel": -1001234})).unwrap();
        let want = f::channels::GetFullChannel {
            channel: tl::types::InputChannel { channel_id: 1234, access_hash: 99 }.into(),
        };
        assert_eq!(e.bytes, want.to_bytes());
        // InputDialogPeer by type.
        let e = enc("messages.getPeerDialogs", json!({"peers": ["@carol"]})).unwrap();
        let want = f::messages::GetPeerDialogs {
            peers: vec![
                tl::types::InputDialogPeer {
                    peer: tl::types::InputPeerUser { user_id: 100_003, access_hash: -77 }.into(),
                }
                .into(),
            ],
        };
        assert_eq!(e.bytes, want.to_bytes());
        // Bool and bytes (base64, text, hex), and a long above 2^53 given as a string.
        let e = enc("account.updateStatus", json!({"offline": true})).unwrap();
        assert_eq!(e.bytes, f::account::UpdateStatus { offline: true }.to_bytes());
        let data = vec![0u8, 1, 2, 250];
        for v in [json!("AAEC+g=="), json!({"base64": "AAEC-g"}), json!({"hex": "000102fa"}), json!([0, 1, 2, 250])] {
            let e = enc("messages.getBotCallbackAnswer", json!({"peer": "me", "msg_id": 4, "data": v})).unwrap();
            let want = f::messages::GetBotCallbackAnswer {
                game: false,
                peer: tl::enums::InputPeer::PeerSelf,
                msg_id: 4,
                data: Some(data.clone()),
                password: None,
            };
            assert_eq!(e.bytes, want.to_bytes(), "{v}");
        }
        let e = enc("messages.getBotCallbackAnswer", json!({"peer": "me", "msg_id": 4, "data": "btn_1"})).unwrap();
        let want = f::messages::GetBotCallbackAnswer {
            game: false,
            peer: tl::enums::InputPeer::PeerSelf,
            msg_id: 4,
            data: Some(b"btn_1".to_vec()),
            password: None,
        };
        assert_eq!(e.bytes, want.to_bytes());
        let e = enc("contacts.getContacts", json!({"hash": "18446744073709551615"})).unwrap();
        assert_eq!(e.bytes, f::contacts::GetContacts { hash: -1 }.to_bytes());
    }

    #[test]
    fn single_constructor_types_need_no_underscore_and_wrappers_nest() {
        let e = enc("help.getConfig", json!({})).unwrap();
        assert_eq!(e.bytes, f::help::GetConfig {}.to_bytes());
        let e = enc("invokeWithoutUpdates", json!({"query": {"_": "users.getFullUser", "id": "me"}})).unwrap();
        let want = f::InvokeWithoutUpdates { query: f::users::GetFullUser { id: tl::enums::InputUser::UserSelf } };
        assert_eq!(e.bytes, want.to_bytes());
        assert_eq!(e.methods, vec!["invokeWithoutUpdates", "users.getFullUser"]);
        assert_eq!(e.returns, Ty::Boxed("users.UserFull".into()));
        // codeSettings is the only CodeSettings constructor.
        let e = enc(
            "auth.sendCode",
            json!({"phone_number": "+1", "api_id": 1, "api_hash": "h", "settings": {"allow_flashcall": true}}),
        )
        .unwrap();
        let want = f::auth::SendCode {
            phone_number: "+1".into(),
            api_id: 1,
            api_hash: "h".into(),
            settings: tl::types::CodeSettings {
                allow_flashcall: true,
                current_number: false,
                allow_app_hash: false,
                allow_missed_call: false,
                allow_firebase: false,
                unknown_number: false,
                logout_tokens: None,
                token: None,
                app_sandbox: None,
            }
            .into(),
        };
        assert_eq!(e.bytes, want.to_bytes());
    }

    #[test]
    fn errors_name_fields_and_types() {
        let e = enc("messages.getHistory", json!({"peer": "me"})).unwrap_err();
        assert!(e.contains("missing required field `offset_id` (int)"), "{e}");
        let e = enc("users.getFullUser", json!({"id": "me", "user": 1})).unwrap_err();
        assert!(e.contains("unknown field `user`") && e.contains("id (InputUser)"), "{e}");
        let e = enc("messages.search", json!({"peer": "me", "q": "", "filter": {"_": "inputPeerSelf"}})).unwrap_err();
        assert!(e.contains("`filter`") && e.contains("MessagesFilter"), "{e}");
        let e = enc("messages.search", json!({"peer": "me", "q": "", "filter": {"_": "inputMessagesFilterNope"}}))
            .unwrap_err();
        assert!(e.contains("unknown constructor"), "{e}");
        let e = enc("messages.search", json!({"peer": "me", "q": "", "filter": {}})).unwrap_err();
        assert!(e.contains("needs \"_\""), "{e}");
        let e = enc("messages.getHistory", json!({"peer": "me", "offset_id": "x"})).unwrap_err();
        assert!(e.contains("`offset_id` (int) must be an integer"), "{e}");
        let e = enc("messages.getHistory", json!({"peer": "me", "offset_id": 1u64 << 40})).unwrap_err();
        assert!(e.contains("32-bit"), "{e}");
        let e = enc("messages.deleteMessages", json!({"revoke": "yes", "id": []})).unwrap_err();
        assert!(e.contains("`revoke`"), "{e}");
        let e = enc("messages.getHistory", json!({"peer": ["me"]})).unwrap_err();
        assert!(e.contains("`peer` (InputPeer) must be an object"), "{e}");
        // Collect pass gathers specs once, without bytes for them.
        let s = schema();
        let mut c = Collect::default();
        encode_call(
            s,
            s.method("users.getUsers").unwrap(),
            json!({"id": ["me", "@x", "me"]}).as_object().unwrap(),
            &mut c,
        )
        .unwrap();
        assert_eq!(c.specs, vec![("me".to_string(), "id[0]".to_string()), ("@x".to_string(), "id[1]".to_string())]);
    }
}
