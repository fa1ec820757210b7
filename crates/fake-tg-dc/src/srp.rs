//! 2FA (SRP) support.
//!
//! grammers uses the server-sent `secure_random` directly as its SRP secret `a`, so the
//! DC can recompute the expected `(M1, A)` with the public
//! `grammers_crypto::two_factor_auth::calculate_2fa` and compare. The result is cached per
//! (account, password), so PBKDF2 (100 000 rounds) runs once per account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use grammers_tl_types as tl;
use sha2::{Digest, Sha256};

/// Telegram's published 2048-bit safe prime (used with g = 3).
const PRIME_HEX: &str = "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F642477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B";

pub(crate) const G: i32 = 3;

pub(crate) fn prime() -> Vec<u8> {
    (0..PRIME_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&PRIME_HEX[i..i + 2], 16).expect("valid hex"))
        .collect()
}

fn stretch(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        out.extend_from_slice(
            &Sha256::new()
                .chain_update(seed.as_bytes())
                .chain_update(counter.to_le_bytes())
                .finalize(),
        );
        counter += 1;
    }
    out.truncate(len);
    out
}

/// Fixed SRP parameters of one account.
#[derive(Clone)]
pub(crate) struct Params {
    pub salt1: Vec<u8>,
    pub salt2: Vec<u8>,
    pub srp_b: Vec<u8>,
    pub srp_id: i64,
    pub secure_random: Vec<u8>,
}

pub(crate) fn params(user_id: i64) -> Params {
    let mut srp_b = stretch(&format!("B{user_id}"), 256);
    srp_b[0] = 0x42; // keep g_b < p
    Params {
        salt1: stretch(&format!("s1-{user_id}"), 40),
        salt2: stretch(&format!("s2-{user_id}"), 16),
        srp_b,
        srp_id: user_id.wrapping_mul(7919) ^ 0x5151,
        secure_random: stretch(&format!("r{user_id}"), 256),
    }
}

pub(crate) fn password_tl(
    user_id: i64,
    has_password: bool,
    hint: Option<&str>,
) -> tl::enums::account::Password {
    let p = params(user_id);
    let algo: tl::enums::PasswordKdfAlgo =
        tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
            salt1: p.salt1.clone(),
            salt2: p.salt2.clone(),
            g: G,
            p: prime(),
        }
        .into();
    tl::types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password,
        current_algo: has_password.then(|| algo.clone()),
        srp_b: has_password.then(|| p.srp_b.clone()),
        srp_id: has_password.then_some(p.srp_id),
        hint: if has_password {
            hint.map(Into::into)
        } else {
            None
        },
        email_unconfirmed_pattern: None,
        new_algo: algo,
        new_secure_algo: tl::enums::SecurePasswordKdfAlgo::Unknown,
        secure_random: p.secure_random,
        pending_reset_date: None,
        login_email_pattern: None,
    }
    .into()
}

type Slot = Arc<OnceLock<([u8; 32], [u8; 256])>>;

/// Cache of expected `(M1, A)` per (account, password).
#[derive(Default)]
pub(crate) struct Cache(Mutex<HashMap<(i64, String), Slot>>);

impl Cache {
    /// Expected `(M1, A)`; computes (slowly) on first use. Call from a blocking context.
    pub fn expected(&self, user_id: i64, password: &str) -> ([u8; 32], [u8; 256]) {
        let slot = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry((user_id, password.to_string())).or_default())
        };
        *slot.get_or_init(|| {
            let p = params(user_id);
            grammers_crypto::two_factor_auth::calculate_2fa(
                &p.salt1,
                &p.salt2,
                &prime(),
                &G,
                p.srp_b.clone(),
                p.secure_random.clone(),
                password,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prime_and_generator_pass_grammers_checks() {
        let p = super::prime();
        assert_eq!(p.len(), 256);
        assert!(grammers_crypto::two_factor_auth::check_p_and_g(
            &p,
            &super::G
        ));
    }
}
