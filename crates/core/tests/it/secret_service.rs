//! One test against a real Secret Service (gnome-keyring). Run by scripts/test.sh as
//! `dbus-run-session -- scripts/with-secret-service.sh cargo test --test it secret_service -- --ignored`.

use tgmcp_core::keystore::KeyStore;
use tgmcp_core::token_index::TokenIndex;

#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service (scripts/with-secret-service.sh)"]
fn tokens_round_trip_through_the_real_secret_service() {
    let ks = KeyStore::system();
    assert!(ks.is_available(), "Secret Service not reachable; run under scripts/with-secret-service.sh");
    let dir = tempfile::tempdir().unwrap();
    let idx = TokenIndex::open(dir.path(), ks).unwrap();
    let issued = idx.create("secret-service test").unwrap();
    assert!(issued.stored_in_keyring);

    // A fresh connection to the keyring (as another process would have) sees the same secret.
    let again = TokenIndex::open(dir.path(), KeyStore::system()).unwrap();
    assert_eq!(again.reveal(&issued.record.id).unwrap().as_deref(), Some(issued.token.expose()));

    let rotated = idx.rotate(&issued.record.id).unwrap();
    assert_eq!(again.reveal(&issued.record.id).unwrap().as_deref(), Some(rotated.token.expose()));

    idx.revoke(&issued.record.id).unwrap();
    assert_eq!(KeyStore::system().get(&issued.record.id).unwrap(), None, "revocation removes the keyring entry");
}

/// The headless binary next to this test (scripts/test.sh builds it first).
fn binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|deps| deps.parent()).unwrap().join("fast-mcp-telegram");
    assert!(bin.exists(), "{} is missing: cargo build -p fast-mcp-telegram first", bin.display());
    bin
}

/// Runs the binary on `dir` (from inside it, so no `.env` of the repo is read); returns (ok, stdout, stderr).
fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("SESSION_DIR", dir)
        .env_remove("API_ID")
        .env_remove("API_HASH")
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service (scripts/with-secret-service.sh)"]
fn token_show_through_the_binary_reads_the_secret_back_from_the_secret_service() {
    assert!(
        KeyStore::system().is_available(),
        "Secret Service not reachable; run under scripts/with-secret-service.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let (ok, token, err) = run(dir.path(), &["token", "new", "--label", "shown again"]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert_eq!(token.len(), 43, "{token}");
    let id =
        err.split("token id: ").nth(1).and_then(|s| s.split_whitespace().next()).expect("token id printed").to_string();
    assert!(!err.contains("only time the token is shown"), "with a keyring it can be shown again: {err}");

    // Another process, later: the secret comes back from the Secret Service.
    let (ok, shown, err) = run(dir.path(), &["token", "show", &id]);
    assert!(ok, "{err}");
    assert_eq!(shown.trim(), token);
    assert!(
        !std::fs::read_to_string(dir.path().join("tokens.json")).unwrap().contains(&token),
        "only a digest on disk"
    );

    // Rotated: `show` gives the new secret.
    let (ok, rotated, err) = run(dir.path(), &["token", "rotate", &id]);
    assert!(ok, "{err}");
    let rotated = rotated.trim().lines().last().unwrap().to_string();
    assert_ne!(rotated, token);
    assert_eq!(run(dir.path(), &["token", "show", &id]).1.trim(), rotated);

    // Revoked: gone from the keyring, and `show` says so without printing anything.
    assert!(run(dir.path(), &["token", "revoke", &id]).0);
    assert_eq!(KeyStore::system().get(&id).unwrap(), None);
    let (ok, shown, err) = run(dir.path(), &["token", "show", &id]);
    assert!(!ok && shown.is_empty(), "{shown}");
    assert!(err.contains(&id), "{err}");
}
