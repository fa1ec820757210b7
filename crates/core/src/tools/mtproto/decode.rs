//! TL bytes → JSON, driven by the runtime schema.
//!
//! Objects become `{"_": "<constructor>", field: value, …}`; `#` flags fields are left out,
//! unset optional fields are absent, set `true` flags are `true`. `bytes`/`int128`/`int256`
//! are base64; `long` is a JSON number when |v| ≤ 2^53 and a decimal string otherwise.
//! `gzip_packed` is unpacked wherever it appears (the sender already unpacks top-level
//! results; this covers nested ones).

use super::schema::{BOOL_FALSE_ID, BOOL_TRUE_ID, Def, GZIP_PACKED_ID, Schema, Ty, VECTOR_ID};
use base64::Engine;
use serde_json::{Map, Value, json};
use std::io::Read;

/// Largest accepted size of an unpacked `gzip_packed` payload.
const MAX_UNPACKED: u64 = 64 * 1024 * 1024;

/// A decoded result plus the raw bytes of every `User` and `Chat` object in it.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The JSON value.
    pub value: Value,
    /// Serialized `User` objects found anywhere in the result.
    pub users: Vec<Vec<u8>>,
    /// Serialized `Chat` objects found anywhere in the result.
    pub chats: Vec<Vec<u8>>,
}

/// Decodes `buf` as a value of type `ty`; the whole buffer must be consumed.
pub(crate) fn decode(schema: &Schema, ty: &Ty, buf: &[u8]) -> Result<Decoded, String> {
    let mut d = Decoder { schema, users: Vec::new(), chats: Vec::new() };
    let mut r = Reader { buf, pos: 0 };
    let value = d.value(ty, &mut r)?;
    if r.pos != buf.len() {
        return Err(format!("{} unexpected trailing bytes after the {ty} result", buf.len() - r.pos));
    }
    Ok(Decoded { value, users: d.users, chats: d.chats })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.buf.len() - self.pos < n {
            return Err("unexpected end of the Telegram response".into());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn peek_u32(&self) -> Option<u32> {
        self.buf.get(self.pos..self.pos + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    /// A TL `bytes`/`string` value (length prefix, data, padding to 4).
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let first = self.take(1)?[0];
        let (len, header) = if first < 254 {
            (first as usize, 1)
        } else {
            let b = self.take(3)?;
            (b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16, 4)
        };
        let data = self.take(len)?;
        self.take((4 - (header + len) % 4) % 4)?;
        Ok(data)
    }
}

struct Decoder<'s> {
    schema: &'s Schema,
    users: Vec<Vec<u8>>,
    chats: Vec<Vec<u8>>,
}

fn b64(b: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(b))
}

/// A `long` as JSON: a number when exactly representable in a double, else a string.
pub(crate) fn long_json(v: i64) -> Value {
    if v.unsigned_abs() <= 1 << 53 { json!(v) } else { Value::String(v.to_string()) }
}

fn ctor<'s>(schema: &'s Schema, id: u32, ty: &Ty) -> Result<&'s Def, String> {
    schema
        .ctor_by_id(id)
        .ok_or_else(|| format!("cannot decode constructor {id:08x} (expected {ty}); it is not in the layer-230 schema"))
}

impl Decoder<'_> {
    fn value(&mut self, ty: &Ty, r: &mut Reader) -> Result<Value, String> {
        // A boxed value may arrive compressed.
        if matches!(ty, Ty::Boxed(_) | Ty::Bool | Ty::Generic(_) | Ty::Vector { boxed: true, .. })
            && r.peek_u32() == Some(GZIP_PACKED_ID)
        {
            r.u32()?;
            let packed = r.bytes()?;
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(packed)
                .take(MAX_UNPACKED)
                .read_to_end(&mut unpacked)
                .map_err(|e| format!("cannot unpack gzip_packed: {e}"))?;
            let mut inner = Reader { buf: &unpacked, pos: 0 };
            return self.value(ty, &mut inner);
        }
        Ok(match ty {
            Ty::Int => json!(i32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"))),
            Ty::Long => long_json(r.i64()?),
            Ty::Double => {
                let f = f64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes"));
                serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
            }
            Ty::String => Value::String(String::from_utf8_lossy(r.bytes()?).into_owned()),
            Ty::Bytes => b64(r.bytes()?),
            Ty::Int128 => b64(r.take(16)?),
            Ty::Int256 => b64(r.take(32)?),
            Ty::Bool => match r.u32()? {
                BOOL_TRUE_ID => Value::Bool(true),
                BOOL_FALSE_ID => Value::Bool(false),
                other => return Err(format!("expected a Bool, got constructor {other:08x}")),
            },
            Ty::True => Value::Bool(true),
            Ty::Vector { boxed, inner } => {
                if *boxed {
                    let id = r.u32()?;
                    if id != VECTOR_ID {
                        return Err(format!("expected a vector, got constructor {id:08x}"));
                    }
                }
                let n = r.u32()? as usize;
                if n > r.buf.len() {
                    return Err("vector length exceeds the response".into());
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(inner, r)?);
                }
                Value::Array(items)
            }
            Ty::Boxed(name) => {
                let start = r.pos;
                let id = r.u32()?;
                let def = ctor(self.schema, id, ty)?;
                let v = self.object(def, r)?;
                match name.as_str() {
                    "User" => self.users.push(r.buf[start..r.pos].to_vec()),
                    "Chat" => self.chats.push(r.buf[start..r.pos].to_vec()),
                    _ => {}
                }
                v
            }
            Ty::Bare(name) => {
                let schema = self.schema;
                let def = schema.ctor_by_name(name).ok_or_else(|| format!("unknown bare type {name}"))?;
                self.object(def, r)?
            }
            Ty::Generic(_) => {
                let id = r.u32()?;
                let def = ctor(self.schema, id, ty)?;
                self.object(def, r)?
            }
        })
    }

    fn object(&mut self, def: &Def, r: &mut Reader) -> Result<Value, String> {
        let mut m = Map::new();
        m.insert("_".into(), Value::String(def.name.clone()));
        let mut flags: Vec<(&str, u32)> = Vec::new();
        for p in &def.params {
            let Some(ty) = &p.ty else {
                flags.push((p.name.as_str(), r.u32()?));
                continue;
            };
            if let Some((fname, bit)) = &p.flag {
                let set = flags.iter().find(|(n, _)| n == fname).is_some_and(|(_, v)| v & (1 << bit) != 0);
                if !set {
                    continue;
                }
            }
            let v = self.value(ty, r).map_err(|e| format!("{}.{}: {e}", def.name, p.name))?;
            m.insert(p.name.clone(), v);
        }
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::super::encode::{Resolved, encode_call};
    use super::super::schema::schema;
    use super::*;
    use grammers_tl_types as tl;
    use std::collections::HashMap;
    use tl::{Deserializable, Serializable};

    fn user(id: i64, username: &str) -> tl::enums::User {
        let u = tl::types::User {
            is_self: false,
            contact: true,
            mutual_contact: false,
            deleted: false,
            bot: false,
            bot_chat_history: false,
            bot_nochats: false,
            verified: false,
            restricted: false,
            min: false,
            bot_inline_geo: false,
            support: false,
            scam: false,
            apply_min_photo: false,
            fake: false,
            bot_attach_menu: false,
            premium: false,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: true,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id,
            access_hash: Some(-5_000_000_000_000_000_000),
            first_name: Some("Carol".into()),
            last_name: None,
            username: Some(username.into()),
            phone: None,
            photo: None,
            status: None,
            bot_info_version: None,
            restriction_reason: None,
            bot_inline_placeholder: None,
            lang_code: None,
            emoji_status: None,
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            bot_active_users: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_community_id: None,
        };
        u.into()
    }

    #[test]
    fn decodes_typed_grammers_objects() {
        let s = schema();
        let carol = user(100_003, "carol");
        let msgs = tl::enums::messages::Messages::Slice(tl::types::messages::MessagesSlice {
            inexact: false,
            count: 120,
            next_rate: None,
            offset_id_offset: Some(3),
            search_flood: None,
            messages: vec![
                tl::types::MessageEmpty { id: 9, peer_id: Some(tl::types::PeerUser { user_id: 100_003 }.into()) }
                    .into(),
            ],
            topics: vec![],
            chats: vec![],
            users: vec![carol.clone()],
        });
        let d = decode(s, &Ty::Boxed("messages.Messages".into()), &msgs.to_bytes()).unwrap();
        let v = &d.value;
        assert_eq!(v["_"], "messages.messagesSlice");
        assert_eq!(v["count"], 120);
        assert_eq!(v["offset_id_offset"], 3);
        assert!(v.get("flags").is_none() && v.get("inexact").is_none() && v.get("next_rate").is_none(), "{v}");
        assert_eq!(
            v["messages"][0],
            json!({"_": "messageEmpty", "id": 9, "peer_id": {"_": "peerUser", "user_id": 100003}})
        );
        let u = &v["users"][0];
        assert_eq!(u["_"], "user");
        assert_eq!(u["contact"], true);
        assert_eq!(u["stories_unavailable"], true);
        assert!(u.get("bot").is_none());
        assert_eq!(u["username"], "carol");
        assert_eq!(u["access_hash"], "-5000000000000000000", "longs beyond 2^53 are strings");
        // The raw User bytes are captured and parse back with grammers.
        assert_eq!(d.users.len(), 1);
        assert_eq!(tl::enums::User::from_bytes(&d.users[0]).unwrap(), carol);
    }

    #[test]
    fn vectors_bools_bytes_and_trailing_garbage() {
        let s = schema();
        let v = decode(s, &Ty::Vector { boxed: true, inner: Box::new(Ty::Long) }, &vec![1i64, -2, 1 << 60].to_bytes())
            .unwrap()
            .value;
        assert_eq!(v, json!([1, -2, (1i64 << 60).to_string()]));
        assert_eq!(decode(s, &Ty::Bool, &true.to_bytes()).unwrap().value, json!(true));
        let mut extra = false.to_bytes();
        extra.push(0);
        assert!(decode(s, &Ty::Bool, &extra).unwrap_err().contains("trailing"));
        assert!(decode(s, &Ty::Boxed("User".into()), &[1, 2, 3]).is_err());
        assert!(decode(s, &Ty::Boxed("User".into()), &0xdeadbeefu32.to_bytes()).unwrap_err().contains("deadbeef"));
        // bytes → base64 (long form with a 0xFE header too).
        let big = vec![7u8; 300];
        let file = tl::enums::upload::File::File(tl::types::upload::File {
            r#type: tl::enums::storage::FileType::FilePdf,
            mtime: 5,
            bytes: big.clone(),
        });
        let v = decode(s, &Ty::Boxed("upload.File".into()), &file.to_bytes()).unwrap().value;
        assert_eq!(v["_"], "upload.file");
        assert_eq!(v["type"], json!({"_": "storage.filePdf"}));
        assert_eq!(v["bytes"], b64(&big));
    }

    #[test]
    fn nested_gzip_packed_is_unpacked() {
        use std::io::Write;
        let s = schema();
        let inner = tl::enums::Peer::User(tl::types::PeerUser { user_id: 42 }).to_bytes();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&inner).unwrap();
        let packed = gz.finish().unwrap();
        let mut buf = GZIP_PACKED_ID.to_bytes();
        packed.serialize(&mut buf);
        let v = decode(s, &Ty::Boxed("Peer".into()), &buf).unwrap().value;
        assert_eq!(v, json!({"_": "peerUser", "user_id": 42}));
    }

    #[test]
    fn json_round_trips_through_tl() {
        // Encode a constructor from JSON, decode the bytes back: same JSON (flags dropped).
        let s = schema();
        let obj = json!({"_": "inputMediaUploadedDocument", "force_file": true, "file": {"_": "inputFile", "id": "9007199254740993",
            "parts": 2, "name": "a.pdf", "md5_checksum": ""}, "mime_type": "application/pdf",
            "attributes": [{"_": "documentAttributeFilename", "file_name": "a.pdf"}], "ttl_seconds": 30});
        // Wrap it in a method so encode_call can be used: messages.uploadMedia(peer, media).
        let def = s.method("messages.uploadMedia").unwrap();
        let params = json!({"peer": {"_": "inputPeerSelf"}, "media": obj});
        let e = encode_call(s, def, params.as_object().unwrap(), &mut Resolved(HashMap::new())).unwrap();
        // Skip the method id, the flags word, and the 4-byte inputPeerSelf.
        let media = &e.bytes[12..];
        let back = decode(s, &Ty::Boxed("InputMedia".into()), media).unwrap().value;
        assert_eq!(back, obj);
    }
}
