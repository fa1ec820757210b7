//! One test against a real Secret Service (gnome-keyring). Run by scripts/test.sh as
//! `dbus-run-session -- scripts/with-secret-service.sh cargo test --test secret_service -- --ignored`.

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
