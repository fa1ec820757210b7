//! The full list of raw API methods classified dangerous, pinned: any method that stops being
//! dangerous (a rule or an exception removed or loosened) fails here, and so does a new one
//! (a schema update), until the reviewed list in `data/dangerous_methods.txt` is updated with it.
//! `UPDATE_SNAPSHOT=1 cargo test -p tgmcp-core --test classification_snapshot` rewrites the list.

use std::collections::BTreeSet;
use tgmcp_core::tools::mtproto::{MethodClass, classify};

const SCHEMA: &str = include_str!("../../src/tools/mtproto/api.tl");
const LIST: &str = "tests/data/dangerous_methods.txt";

fn methods() -> Vec<&'static str> {
    let (_, functions) = SCHEMA.split_once("---functions---").expect("functions section");
    functions
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("---"))
        .filter_map(|l| l.split_once('#').map(|(name, _)| name))
        .collect()
}

#[test]
fn the_dangerous_methods_are_exactly_the_reviewed_list() {
    let all = methods();
    assert!(all.len() > 800, "{} methods", all.len());
    let dangerous: BTreeSet<&str> =
        all.iter().copied().filter(|m| classify(m) == Some(MethodClass::Dangerous)).collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(LIST);
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        let text: String = dangerous.iter().map(|m| format!("{m}\n")).collect();
        std::fs::write(&path, text).unwrap();
    }
    let reviewed: BTreeSet<String> =
        std::fs::read_to_string(&path).unwrap().lines().map(str::to_string).filter(|l| !l.is_empty()).collect();
    let reviewed: BTreeSet<&str> = reviewed.iter().map(String::as_str).collect();
    let no_longer: Vec<_> = reviewed.difference(&dangerous).collect();
    let new: Vec<_> = dangerous.difference(&reviewed).collect();
    assert!(no_longer.is_empty(), "no longer classified dangerous: {no_longer:?}");
    assert!(new.is_empty(), "newly dangerous (review, then add to {LIST}): {new:?}");
}
