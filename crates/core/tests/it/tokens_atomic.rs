#![cfg(unix)]
//! tokens.json is replaced atomically (Unix: checked by its inode): a crash in the middle of a write (which leaves only a
//! partial temp file next to it, never a partial tokens.json) loses nothing that was saved.

use tgmcp_core::keystore::KeyStore;
use tgmcp_core::token_index::TokenIndex;
use tgmcp_core::tokens::Token;

#[test]
fn a_write_cut_off_mid_way_leaves_the_previous_index_intact() {
    let dir = tempfile::tempdir().unwrap();
    let idx = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
    let first = idx.create("first").unwrap();
    let saved = std::fs::read(dir.path().join("tokens.json")).unwrap();
    let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.path().join("tokens.json")).unwrap());
    let before = inode();
    let second = idx.create("second").unwrap();
    // Replaced by a rename (a new file), never rewritten in place where a crash could cut it.
    assert_ne!(inode(), before, "tokens.json was rewritten in place");
    let full = std::fs::read(dir.path().join("tokens.json")).unwrap();
    assert!(full.len() > saved.len());
    // Every write so far went through a temp file that was renamed: nothing is left over.
    let leftovers = |d: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "tokens.json" && !n.ends_with(".lock"))
            .collect()
    };
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    // What a process killed in the middle of the next write leaves behind: half of the new
    // contents in a temp file in the same dir, and tokens.json as it was.
    std::fs::write(dir.path().join(".tmp-0123456789abcdef0123456789abcdef"), &full[..full.len() / 2]).unwrap();
    drop(idx);

    let idx = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
    for issued in [&first, &second] {
        let rec = idx.authenticate(&Token::parse(issued.token.expose()).unwrap()).unwrap();
        assert_eq!(rec.id, issued.record.id);
    }
    // The next write succeeds and the file stays valid JSON with all three tokens.
    let third = idx.create("third").unwrap();
    let again = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
    let labels: Vec<String> = again.list().unwrap().into_iter().map(|r| r.label).collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(again.authenticate(&Token::parse(third.token.expose()).unwrap()).is_ok());
    serde_json::from_slice::<serde_json::Value>(&std::fs::read(dir.path().join("tokens.json")).unwrap()).unwrap();
}
