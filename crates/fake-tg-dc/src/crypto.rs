//! MTProto 2.0 message encryption, server side.
//!
//! `x = 0` is used to open client→server packets and `x = 8` to seal
//! server→client packets (see the MTProto 2.0 description).

use grammers_crypto::aes::{ige_decrypt, ige_encrypt};
use rand::RngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// `auth_key_id`: the lower 64 bits of SHA1(auth_key).
pub(crate) fn key_id(key: &[u8; 256]) -> [u8; 8] {
    let digest = Sha1::digest(key);
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[12..20]);
    out
}

fn derive(key: &[u8; 256], msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();
    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..]);
    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..]);
    (aes_key, aes_iv)
}

fn msg_key_for(key: &[u8; 256], x: usize, plaintext: &[u8]) -> [u8; 16] {
    let large = Sha256::new()
        .chain_update(&key[88 + x..88 + x + 32])
        .chain_update(plaintext)
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&large[8..24]);
    out
}

/// Decrypts a client packet body (everything after `auth_key_id`).
/// Returns the plaintext or `None` when the message key does not verify.
pub(crate) fn open(key: &[u8; 256], packet: &[u8]) -> Option<Vec<u8>> {
    if packet.len() < 16 + 16 || !(packet.len() - 16).is_multiple_of(16) {
        return None;
    }
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&packet[..16]);
    let mut data = packet[16..].to_vec();
    let (k, iv) = derive(key, &msg_key, 0);
    ige_decrypt(&mut data, &k, &iv);
    (msg_key_for(key, 0, &data) == msg_key).then_some(data)
}

/// Pads, encrypts and prefixes `auth_key_id ‖ msg_key` to a server plaintext.
pub(crate) fn seal(key: &[u8; 256], key_id: &[u8; 8], mut plaintext: Vec<u8>) -> Vec<u8> {
    let mut pad = 16 - (plaintext.len() % 16);
    if pad < 12 {
        pad += 16;
    }
    let mut padding = vec![0u8; pad];
    rand::rng().fill_bytes(&mut padding);
    plaintext.extend_from_slice(&padding);
    let msg_key = msg_key_for(key, 8, &plaintext);
    let (k, iv) = derive(key, &msg_key, 8);
    ige_encrypt(&mut plaintext, &k, &iv);
    let mut out = Vec::with_capacity(24 + plaintext.len());
    out.extend_from_slice(key_id);
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plaintext);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_is_readable_by_grammers_client_side() {
        let mut key = [0u8; 256];
        rand::rng().fill_bytes(&mut key);
        let auth = grammers_crypto::AuthKey::from_bytes(key);
        let id = key_id(&key);
        let plain = vec![7u8; 40];
        let mut sealed = seal(&key, &id, plain.clone());
        let opened = grammers_crypto::decrypt_data_v2(&mut sealed, &auth).expect("client opens");
        assert_eq!(&opened[..40], &plain[..]);
    }

    #[test]
    fn open_reads_grammers_client_packets() {
        let mut key = [0u8; 256];
        rand::rng().fill_bytes(&mut key);
        let auth = grammers_crypto::AuthKey::from_bytes(key);
        let mut buf = grammers_crypto::DequeBuffer::with_capacity(64, 32);
        buf.extend([1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        grammers_crypto::encrypt_data_v2(&mut buf, &auth);
        let packet = buf.as_ref().to_vec();
        assert_eq!(&packet[..8], &key_id(&key));
        let opened = open(&key, &packet[8..]).expect("server opens");
        assert_eq!(
            &opened[..16],
            &[1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
        );
        let mut tampered = packet[8..].to_vec();
        tampered[20] ^= 1;
        assert!(open(&key, &tampered).is_none());
    }
}
