//! 2FA: the server side of Telegram's SRP check, as core.telegram.org "Two-factor authentication"
//! (`/api/srp`) describes it.
//!
//! The DC stores only the verifier `v = g^x mod p` of each account's password, where
//! `x = PH2(password, salt1, salt2)` is Telegram's KDF (SHA-256 salting around
//! PBKDF2-HMAC-SHA512 with 100 000 rounds). Each `account.getPassword` opens a fresh
//! [`Challenge`]: a random secret `b`, `B = (k·v + g^b) mod p` and a random `srp_id`. On
//! `auth.checkPassword` the DC computes `u = H(A | B)`, `S = (A·v^u)^b mod p`, `K = H(S)` and the
//! proof `M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | K)` it expects, and compares it with
//! the client's. Nothing here depends on how a client picks its own secret `a`.
//!
//! Computing `x` costs the 100 000 PBKDF2 rounds, so verifiers are cached for the whole process
//! per (salt1, salt2, password): a test binary pays it once per account and password.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use grammers_tl_types as tl;
use num_bigint::BigUint;
use rand::RngCore;
use sha2_11::{Digest, Sha256, Sha512};

/// Telegram's published 2048-bit safe prime (used with g = 3).
const PRIME_HEX: &str = "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F642477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B";

pub(crate) const G: i32 = 3;

/// Byte length every SRP number is padded to before hashing.
const LEN: usize = 256;

pub(crate) fn prime() -> Vec<u8> {
    (0..PRIME_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&PRIME_HEX[i..i + 2], 16).expect("valid hex"))
        .collect()
}

fn h(parts: &[&[u8]]) -> [u8; 32] {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().into()
}

/// Big-endian, left-padded with zeros to 256 bytes (`n < p < 2^2048` always fits).
fn pad(n: &BigUint) -> Vec<u8> {
    let b = n.to_bytes_be();
    let mut out = vec![0u8; LEN.saturating_sub(b.len())];
    out.extend_from_slice(&b);
    out
}

/// The account's salts. Real Telegram keeps what the client chose when it set the password
/// (the server's `new_algo.salt1` plus 32 client bytes); the fake DC derives fixed ones.
pub(crate) fn salts(user_id: i64) -> (Vec<u8>, Vec<u8>) {
    let salt = |tag: &str, len: usize| {
        let mut out = Vec::new();
        let mut counter = 0u32;
        while out.len() < len {
            out.extend_from_slice(&h(&[
                format!("{tag}-{user_id}").as_bytes(),
                &counter.to_le_bytes(),
            ]));
            counter += 1;
        }
        out.truncate(len);
        out
    };
    (salt("s1", 40), salt("s2", 16))
}

/// `x = PH2(password, salt1, salt2)`.
fn password_hash(salt1: &[u8], salt2: &[u8], password: &str) -> [u8; 32] {
    let ph1 = h(&[salt2, &h(&[salt1, password.as_bytes(), salt1]), salt2]);
    let mut stretched = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(&ph1, salt1, 100_000, &mut stretched);
    h(&[salt2, &stretched, salt2])
}

/// Verifiers by (salt1, salt2, password), each computed once.
type Verifiers = Mutex<HashMap<(Vec<u8>, Vec<u8>, String), Arc<OnceLock<BigUint>>>>;

fn verifiers() -> &'static Verifiers {
    static CACHE: OnceLock<Verifiers> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The stored verifier `v = g^x mod p` of `user_id`'s `password`. Slow on first use (PBKDF2):
/// call it from a blocking context.
pub(crate) fn verifier(user_id: i64, password: &str) -> BigUint {
    let (salt1, salt2) = salts(user_id);
    let slot = {
        let mut map = verifiers().lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            map.entry((salt1.clone(), salt2.clone(), password.to_string()))
                .or_default(),
        )
    };
    slot.get_or_init(|| {
        let x = BigUint::from_bytes_be(&password_hash(&salt1, &salt2, password));
        BigUint::from(G as u32).modpow(&x, &BigUint::from_bytes_be(&prime()))
    })
    .clone()
}

/// Whether `n` is a safe SRP value: `2^1984 ≤ n ≤ p - 2^1984` (the range Telegram's docs and
/// Telethon's client check for `g^a`, `g^b`).
fn is_good(n: &BigUint, p: &BigUint) -> bool {
    n < p && n.bits() > 2048 - 64 && (p - n).bits() > 2048 - 64
}

/// One `account.getPassword` answer awaiting `auth.checkPassword`.
pub(crate) struct Challenge {
    /// Auth key that asked for it; another key's proof is refused.
    pub key_id: [u8; 8],
    /// Account whose password is being checked.
    pub user_id: i64,
    /// Password the verifier was made from (a password change invalidates the challenge).
    pub password: String,
    /// `B`, 256 bytes.
    pub srp_b: Vec<u8>,
    b: BigUint,
    v: BigUint,
}

impl Challenge {
    /// A fresh secret `b` and `B = (k·v + g^b) mod p` for verifier `v`.
    pub fn new(key_id: [u8; 8], user_id: i64, password: &str, v: BigUint) -> Challenge {
        let p = BigUint::from_bytes_be(&prime());
        let g = BigUint::from(G as u32);
        let k = BigUint::from_bytes_be(&h(&[&pad(&p), &pad(&g)]));
        loop {
            let mut bytes = [0u8; LEN];
            rand::rng().fill_bytes(&mut bytes);
            let b = BigUint::from_bytes_be(&bytes);
            let g_b = g.modpow(&b, &p);
            let big_b = (&k * &v + &g_b) % &p;
            if is_good(&g_b, &p) && is_good(&big_b, &p) {
                return Challenge {
                    key_id,
                    user_id,
                    password: password.to_string(),
                    srp_b: pad(&big_b),
                    b,
                    v,
                };
            }
        }
    }

    /// Whether the client's `(A, M1)` proves knowledge of the password.
    pub fn verify(&self, a: &[u8], m1: &[u8]) -> bool {
        let p = BigUint::from_bytes_be(&prime());
        let g = BigUint::from(G as u32);
        let big_a = BigUint::from_bytes_be(a);
        if a.len() > LEN || !is_good(&big_a, &p) {
            return false;
        }
        let a = pad(&big_a);
        let u = BigUint::from_bytes_be(&h(&[&a, &self.srp_b]));
        if u.bits() == 0 {
            return false;
        }
        let s = (&big_a * self.v.modpow(&u, &p) % &p).modpow(&self.b, &p);
        let k = h(&[&pad(&s)]);
        let (salt1, salt2) = salts(self.user_id);
        let hp = h(&[&pad(&p)]);
        let hg = h(&[&pad(&g)]);
        let xor: Vec<u8> = hp.iter().zip(hg).map(|(x, y)| x ^ y).collect();
        let expected = h(&[&xor, &h(&[&salt1]), &h(&[&salt2]), &a, &self.srp_b, &k]);
        m1 == expected
    }
}

/// `account.password` for `user_id`; `challenge` = `(srp_id, B)` when 2FA is on.
pub(crate) fn password_tl(
    user_id: i64,
    hint: Option<&str>,
    challenge: Option<(i64, Vec<u8>)>,
) -> tl::enums::account::Password {
    let (salt1, salt2) = salts(user_id);
    let algo: tl::enums::PasswordKdfAlgo =
        tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
            salt1,
            salt2,
            g: G,
            p: prime(),
        }
        .into();
    let has_password = challenge.is_some();
    let mut secure_random = vec![0u8; LEN];
    rand::rng().fill_bytes(&mut secure_random);
    let (srp_id, srp_b) = challenge.unzip();
    tl::types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password,
        current_algo: has_password.then(|| algo.clone()),
        srp_b,
        srp_id,
        hint: hint.filter(|_| has_password).map(Into::into),
        email_unconfirmed_pattern: None,
        new_algo: algo,
        new_secure_algo: tl::enums::SecurePasswordKdfAlgo::Unknown,
        secure_random,
        pending_reset_date: None,
        login_email_pattern: None,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prime_and_generator_pass_grammers_checks() {
        let p = prime();
        assert_eq!(p.len(), 256);
        assert!(grammers_crypto::two_factor_auth::check_p_and_g(&p, &G));
    }

    #[test]
    fn proofs_verify_only_with_the_right_password_and_any_client_secret() {
        let v = verifier(42, "correct horse");
        let c = Challenge::new([1; 8], 42, "correct horse", v);
        let (salt1, salt2) = salts(42);
        let proof = |pw: &str, secret: u8| {
            grammers_crypto::two_factor_auth::calculate_2fa(
                &salt1,
                &salt2,
                &prime(),
                &G,
                c.srp_b.clone(),
                vec![secret; 256],
                pw,
            )
        };
        for secret in [7u8, 200] {
            let (m1, a) = proof("correct horse", secret);
            assert!(c.verify(&a, &m1), "right password, client secret {secret}");
        }
        let (m1, a) = proof("wrong horse", 7);
        assert!(!c.verify(&a, &m1));
        let (m1, _) = proof("correct horse", 7);
        let (_, other_a) = proof("correct horse", 8);
        assert!(!c.verify(&other_a, &m1), "M1 is bound to A");
        // A fresh challenge (new b, B) rejects a proof made for the old B.
        let (m1, a) = proof("correct horse", 7);
        let c2 = Challenge::new([1; 8], 42, "correct horse", verifier(42, "correct horse"));
        assert_ne!(c.srp_b, c2.srp_b);
        assert!(!c2.verify(&a, &m1));
    }
}
