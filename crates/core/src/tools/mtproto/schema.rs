//! The runtime TL schema: Telegram's layer-230 `api.tl`, parsed once with
//! `grammers-tl-parser` and indexed for lookups by method name, constructor
//! name, constructor id and boxed type.

use grammers_tl_parser::tl::{Category, ParameterType, Type};
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

/// Telegram's public API schema for the layer grammers 0.11 speaks (vendored copy).
const API_TL: &str = include_str!("api.tl");

/// The boxed `Vector` constructor id (`vector#1cb5c415`).
pub(crate) const VECTOR_ID: u32 = 0x1cb5_c415;
/// `boolTrue#997275b5`.
pub(crate) const BOOL_TRUE_ID: u32 = 0x9972_75b5;
/// `boolFalse#bc799737`.
pub(crate) const BOOL_FALSE_ID: u32 = 0xbc79_9737;
/// `gzip_packed#3072cfa1 packed_data:bytes = Object` (MTProto service constructor).
pub(crate) const GZIP_PACKED_ID: u32 = 0x3072_cfa1;

/// The type of a parameter or of a method's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    /// 32-bit signed integer.
    Int,
    /// 64-bit signed integer.
    Long,
    /// 64-bit float.
    Double,
    /// UTF-8 text.
    String,
    /// Arbitrary bytes.
    Bytes,
    /// 16 raw bytes.
    Int128,
    /// 32 raw bytes.
    Int256,
    /// `Bool` (boolTrue / boolFalse).
    Bool,
    /// A `flags.N?true` flag: no bytes of its own.
    True,
    /// `Vector<T>` (boxed: with the vector constructor id) or `vector<T>` (bare).
    Vector {
        /// Whether the vector constructor id is written.
        boxed: bool,
        /// Element type.
        inner: Box<Ty>,
    },
    /// A boxed type by full name, e.g. `InputPeer` or `messages.Messages`.
    Boxed(String),
    /// A bare constructor by full name, e.g. `dataJSON` (no constructor id on the wire).
    Bare(String),
    /// A generic parameter (`!X` in `invokeWithLayer` and friends) or the result `X`.
    Generic(String),
}

impl Ty {
    fn from_tl(t: &Type, generics: &[String]) -> Ty {
        if t.generic_ref || (t.namespace.is_empty() && generics.contains(&t.name)) {
            return Ty::Generic(t.name.clone());
        }
        if t.namespace.is_empty() {
            match t.name.as_str() {
                "int" => return Ty::Int,
                "long" => return Ty::Long,
                "double" => return Ty::Double,
                "string" => return Ty::String,
                "bytes" => return Ty::Bytes,
                "int128" => return Ty::Int128,
                "int256" => return Ty::Int256,
                "Bool" => return Ty::Bool,
                "true" => return Ty::True,
                "Vector" | "vector" => {
                    if let Some(arg) = &t.generic_arg {
                        return Ty::Vector { boxed: t.name == "Vector", inner: Box::new(Ty::from_tl(arg, generics)) };
                    }
                }
                _ => {}
            }
        }
        let full = full_name(&t.namespace, &t.name);
        if t.bare { Ty::Bare(full) } else { Ty::Boxed(full) }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Int => f.write_str("int"),
            Ty::Long => f.write_str("long"),
            Ty::Double => f.write_str("double"),
            Ty::String => f.write_str("string"),
            Ty::Bytes => f.write_str("bytes"),
            Ty::Int128 => f.write_str("int128"),
            Ty::Int256 => f.write_str("int256"),
            Ty::Bool => f.write_str("Bool"),
            Ty::True => f.write_str("true"),
            Ty::Vector { boxed, inner } => write!(f, "{}<{inner}>", if *boxed { "Vector" } else { "vector" }),
            Ty::Boxed(n) | Ty::Bare(n) => f.write_str(n),
            Ty::Generic(n) => write!(f, "!{n}"),
        }
    }
}

/// One parameter of a constructor or method.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    /// Field name, e.g. `offset_id`.
    pub name: String,
    /// `None` for a `#` flags field; otherwise the value's type.
    pub ty: Option<Ty>,
    /// `(flags field name, bit)` if the field is optional.
    pub flag: Option<(String, u32)>,
}

impl Param {
    /// The TL spelling of this parameter's type, e.g. `flags.0?Vector<InputPeer>`.
    pub fn tl_type(&self) -> String {
        match (&self.ty, &self.flag) {
            (None, _) => "#".into(),
            (Some(t), Some((f, bit))) => format!("{f}.{bit}?{t}"),
            (Some(t), None) => t.to_string(),
        }
    }
}

/// A constructor or a method.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    /// Full TL name, e.g. `messages.getHistory` or `inputPeerSelf`.
    pub name: String,
    /// Constructor id.
    pub id: u32,
    /// Parameters in wire order.
    pub params: Vec<Param>,
    /// The boxed type a constructor belongs to, or a method's result type.
    pub ty: Ty,
    /// Whether this is a method (under `---functions---`).
    pub function: bool,
}

impl Def {
    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// `name (type), …` of the fields a caller may set (flags fields are computed).
    pub fn field_list(&self) -> String {
        let list: Vec<String> =
            self.params.iter().filter(|p| p.ty.is_some()).map(|p| format!("{} ({})", p.name, p.tl_type())).collect();
        if list.is_empty() { "none".into() } else { list.join(", ") }
    }
}

/// The parsed, indexed schema.
pub(crate) struct Schema {
    defs: Vec<Def>,
    ctor_by_id: HashMap<u32, usize>,
    ctor_by_lname: HashMap<String, usize>,
    ctors_of_type: HashMap<String, Vec<usize>>,
    method_by_lname: HashMap<String, usize>,
    methods_by_short: HashMap<String, Vec<usize>>,
}

/// The layer-230 schema, parsed on first use.
pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse(API_TL));
    &SCHEMA
}

fn full_name(namespace: &[String], name: &str) -> String {
    let mut s = String::new();
    for ns in namespace {
        s.push_str(ns);
        s.push('.');
    }
    s.push_str(name);
    s
}

impl Schema {
    /// Parses a `.tl` file; definitions the parser does not model (the builtin
    /// `vector` template) are skipped.
    pub fn parse(text: &str) -> Schema {
        let mut s = Schema {
            defs: Vec::new(),
            ctor_by_id: HashMap::new(),
            ctor_by_lname: HashMap::new(),
            ctors_of_type: HashMap::new(),
            method_by_lname: HashMap::new(),
            methods_by_short: HashMap::new(),
        };
        for d in grammers_tl_parser::parse_tl_file(text).flatten() {
            let generics: Vec<String> = d
                .params
                .iter()
                .filter_map(|p| match &p.ty {
                    ParameterType::Normal { ty, .. } if ty.generic_ref => Some(ty.name.clone()),
                    _ => None,
                })
                .collect();
            let params = d
                .params
                .iter()
                .map(|p| match &p.ty {
                    ParameterType::Flags => Param { name: p.name.clone(), ty: None, flag: None },
                    ParameterType::Normal { ty, flag } => Param {
                        name: p.name.clone(),
                        ty: Some(Ty::from_tl(ty, &generics)),
                        flag: flag.as_ref().map(|f| (f.name.clone(), f.index as u32)),
                    },
                })
                .collect();
            let def = Def {
                name: full_name(&d.namespace, &d.name),
                id: d.id,
                params,
                ty: Ty::from_tl(&d.ty, &generics),
                function: d.category == Category::Functions,
            };
            let i = s.defs.len();
            let lname = def.name.to_ascii_lowercase();
            if def.function {
                s.method_by_lname.insert(lname, i);
                s.methods_by_short.entry(d.name.to_ascii_lowercase()).or_default().push(i);
            } else {
                s.ctor_by_id.insert(def.id, i);
                s.ctor_by_lname.insert(lname, i);
                s.ctors_of_type.entry(full_name(&d.ty.namespace, &d.ty.name)).or_default().push(i);
            }
            s.defs.push(def);
        }
        s
    }

    /// All definitions (constructors and methods).
    #[cfg(test)]
    pub fn defs(&self) -> &[Def] {
        &self.defs
    }

    /// The constructor with this id.
    pub fn ctor_by_id(&self, id: u32) -> Option<&Def> {
        self.ctor_by_id.get(&id).map(|&i| &self.defs[i])
    }

    /// A constructor by name, case-insensitively (`inputPeerSelf`, `InputPeerSelf`).
    pub fn ctor_by_name(&self, name: &str) -> Option<&Def> {
        self.ctor_by_lname.get(&name.trim().to_ascii_lowercase()).map(|&i| &self.defs[i])
    }

    /// The constructors of a boxed type (e.g. `InputPeer`).
    pub fn ctors_of(&self, ty: &str) -> Vec<&Def> {
        self.ctors_of_type.get(ty).map(|v| v.iter().map(|&i| &self.defs[i]).collect()).unwrap_or_default()
    }

    /// Finds a method by any common spelling: `messages.getHistory`, `messages.GetHistory`,
    /// `messages.GetHistoryRequest`, `functions.messages.GetHistoryRequest`, or just
    /// `GetHistory` when the short name is unique. All case-insensitive.
    /// Errors explain what went wrong and suggest up to five close names.
    pub fn method(&self, name: &str) -> Result<&Def, String> {
        let raw = name.trim();
        if raw.is_empty() {
            return Err("method must not be empty; use a TL method name such as messages.getHistory".into());
        }
        let lower = raw.to_ascii_lowercase();
        let lower = lower.strip_prefix("functions.").unwrap_or(&lower).to_string();
        let mut candidates = vec![lower.clone()];
        if let Some(s) = lower.strip_suffix("request")
            && !s.is_empty()
            && !s.ends_with('.')
        {
            candidates.push(s.to_string());
        }
        for c in &candidates {
            if c.contains('.') {
                if let Some(&i) = self.method_by_lname.get(c) {
                    return Ok(&self.defs[i]);
                }
            } else if let Some(list) = self.methods_by_short.get(c) {
                if let [i] = list.as_slice() {
                    return Ok(&self.defs[*i]);
                }
                let names: Vec<&str> = list.iter().map(|&i| self.defs[i].name.as_str()).collect();
                return Err(format!("method {raw:?} is ambiguous; give its namespace: {}", names.join(", ")));
            }
        }
        if let Some(c) = candidates.iter().find_map(|c| self.ctor_by_lname.get(c)) {
            let d = &self.defs[*c];
            return Err(format!(
                "{} is a constructor of type {}, not a method; pass it as a parameter value {{\"_\": \"{}\"}}",
                d.name, d.ty, d.name
            ));
        }
        let sugg = self.suggest_methods(candidates.last().map(String::as_str).unwrap_or(&lower));
        if sugg.is_empty() {
            Err(format!(
                "unknown Telegram API method {raw:?} (layer 230); names look like messages.getHistory (see https://core.telegram.org/methods)"
            ))
        } else {
            Err(format!("unknown Telegram API method {raw:?} (layer 230); did you mean: {}?", sugg.join(", ")))
        }
    }

    /// Up to five method names close to `query` (lowercase): by edit distance of the full or
    /// the short name, or containing the short name; same namespace first, then closest length.
    fn suggest_methods(&self, query: &str) -> Vec<String> {
        let (ns_q, short_q) = match query.rsplit_once('.') {
            Some((ns, short)) => (Some(ns), short),
            None => (None, query),
        };
        let cutoff = (short_q.len() / 3).max(2);
        let mut scored: Vec<(usize, usize, &str)> = Vec::new();
        for (lname, &i) in &self.method_by_lname {
            let (ns, short) = match lname.rsplit_once('.') {
                Some((ns, short)) => (Some(ns), short),
                None => (None, lname.as_str()),
            };
            let other_ns = usize::from(ns_q.is_some() && ns_q != ns);
            let mut score = levenshtein(query, lname).min(levenshtein(short_q, short) + other_ns);
            if short_q.len() >= 4 && short.contains(short_q) {
                score = score.min(1 + other_ns);
            }
            if score <= cutoff {
                scored.push((score, short.len().abs_diff(short_q.len()), &self.defs[i].name));
            }
        }
        scored.sort();
        scored.into_iter().take(5).map(|(_, _, n)| n.to_string()).collect()
    }
}

/// Edit distance between two ASCII-ish strings (by chars).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_tl_types::Identifiable;

    #[test]
    fn vendored_schema_matches_the_compiled_layer() {
        let s = schema();
        assert!(s.defs().len() > 2000, "{} definitions", s.defs().len());
        assert_eq!(grammers_tl_types::LAYER, 230);
        assert!(API_TL.starts_with("// LAYER 230"));
        // Every definition's id and name agree with grammers' generated code.
        for d in s.defs() {
            assert_eq!(grammers_tl_types::name_for_id(d.id), d.name, "{:08x}", d.id);
        }
        let m = s.method("messages.getHistory").unwrap();
        assert_eq!(m.id, grammers_tl_types::functions::messages::GetHistory::CONSTRUCTOR_ID);
        assert_eq!(m.ty, Ty::Boxed("messages.Messages".into()));
        assert_eq!(s.ctor_by_id(BOOL_TRUE_ID).unwrap().name, "boolTrue");
        assert_eq!(s.ctor_by_id(BOOL_FALSE_ID).unwrap().name, "boolFalse");
        assert!(s.ctor_by_id(VECTOR_ID).is_none(), "vector is a builtin, not a constructor here");
        assert_eq!(s.ctors_of("InputPeer").len(), 7);
        let wl = s.method("invokeWithLayer").unwrap();
        assert_eq!(wl.ty, Ty::Generic("X".into()));
        assert_eq!(wl.param("query").unwrap().ty, Some(Ty::Generic("X".into())));
        let search = s.method("messages.search").unwrap();
        assert_eq!(search.param("from_id").unwrap().tl_type(), "flags.0?InputPeer");
        assert_eq!(search.param("filter").unwrap().tl_type(), "MessagesFilter");
    }

    #[test]
    fn method_spellings() {
        let s = schema();
        for n in [
            "messages.getHistory",
            "messages.GetHistory",
            "messages.GetHistoryRequest",
            "MESSAGES.GETHISTORY",
            " functions.messages.GetHistoryRequest ",
            "GetHistoryRequest",
            "getHistory",
        ] {
            assert_eq!(s.method(n).map(|d| d.name.as_str()), Ok("messages.getHistory"), "{n}");
        }
        // A real name ending in "Request" is found as is.
        assert_eq!(s.method("messages.hideChatJoinRequest").unwrap().name, "messages.hideChatJoinRequest");
        assert_eq!(s.method("messages.HideChatJoinRequestRequest").unwrap().name, "messages.hideChatJoinRequest");
    }

    #[test]
    fn unknown_methods_get_suggestions() {
        let s = schema();
        let e = s.method("messages.getHistroy").unwrap_err();
        assert!(e.contains("did you mean") && e.contains("messages.getHistory"), "{e}");
        let e = s.method("users.getFullUsr").unwrap_err();
        assert!(e.contains("users.getFullUser"), "{e}");
        let e = s.method("messages.getDialog").unwrap_err();
        assert!(e.contains("messages.getDialogs"), "{e}");
        assert!(e.matches(", ").count() <= 4, "at most five suggestions: {e}");
        let e = s.method("messages.history").unwrap_err();
        assert!(e.contains("did you mean: messages.getHistory, messages."), "same namespace first: {e}");
        let e = s.method("zzzzqqqq.xxxxyyyy").unwrap_err();
        assert!(e.contains("unknown") && !e.contains("did you mean"), "{e}");
        let e = s.method("inputPeerSelf").unwrap_err();
        assert!(e.contains("constructor"), "{e}");
        let e = s.method("deleteMessages").unwrap_err();
        assert!(
            e.contains("ambiguous") && e.contains("channels.deleteMessages") && e.contains("messages.deleteMessages"),
            "{e}"
        );
        assert_eq!(s.method("getParticipants").unwrap().name, "channels.getParticipants");
        assert!(s.method("").is_err());
    }

    #[test]
    fn levenshtein_basics() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }
}
