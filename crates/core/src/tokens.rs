//! Bearer tokens: generation from the OS CSPRNG, strict validation and digests.
//!
//! A token is 32 random bytes in URL-safe base64 without padding (43 characters).
//! Nothing outside this module ever sees a token as a path component: storage
//! and lookups use [`TokenDigest`], a SHA-256 of the token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;

/// Length of an encoded token.
pub const TOKEN_LEN: usize = 43;

/// Names the reference server reserved; refused as tokens in any case.
pub const RESERVED_NAMES: &[&str] =
    &["telegram", "default", "session", "bot", "user", "main", "primary", "test", "dev", "prod"];

/// Why a presented token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No token was presented.
    #[error("missing bearer token")]
    Missing,
    /// A reserved session name was presented as a token.
    #[error("reserved name refused as a token")]
    Reserved,
    /// Wrong length or characters outside the URL-safe base64 alphabet.
    #[error("malformed token (expected 43 URL-safe base64 characters)")]
    Malformed,
    /// Well-formed, but not a token this server issued (or it was revoked/rotated).
    #[error("unknown or revoked token")]
    Unknown,
}

/// A validated bearer token. `Debug` and `Display` never print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Generates a new token from 256 bits of OS randomness.
    pub fn generate() -> Token {
        let mut bytes = [0u8; 32];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes)
            .expect("the OS random number generator failed");
        Token(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Validates a presented token: reserved names first (so they can be logged as such), then shape.
    pub fn parse(raw: &str) -> Result<Token, TokenError> {
        if raw.is_empty() {
            return Err(TokenError::Missing);
        }
        if RESERVED_NAMES.iter().any(|n| n.eq_ignore_ascii_case(raw)) {
            return Err(TokenError::Reserved);
        }
        let ok = raw.len() == TOKEN_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD.decode(raw).is_ok_and(|b| b.len() == 32);
        if ok { Ok(Token(raw.to_string())) } else { Err(TokenError::Malformed) }
    }

    /// The secret itself, for showing once to the user or storing in the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest under which the server remembers this token.
    pub fn digest(&self) -> TokenDigest {
        TokenDigest(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Hex SHA-256 of a token: what the token index stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TokenDigest(String);

impl TokenDigest {
    /// Constant-time comparison, so lookups do not leak digest prefixes through timing.
    pub fn ct_eq(&self, other: &TokenDigest) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

/// Compares two secrets in time independent of where they first differ (lengths may leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Extracts a bearer token from an `Authorization` header value (`Bearer <token>`, scheme case-insensitive).
pub fn bearer_from_header(value: &str) -> Result<&str, TokenError> {
    let mut parts = value.trim().splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(scheme), Some(tok)) if scheme.eq_ignore_ascii_case("bearer") && !tok.trim().is_empty() => Ok(tok.trim()),
        _ => Err(TokenError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_43_urlsafe_chars_and_distinct() {
        let a = Token::generate();
        let b = Token::generate();
        assert_eq!(a.expose().len(), TOKEN_LEN);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
        assert_eq!(Token::parse(a.expose()).unwrap(), a);
    }

    #[test]
    fn reserved_names_are_refused_in_any_case() {
        for n in ["telegram", "DEFAULT", "Session", "bot", "uSeR", "main", "primary", "TEST", "dev", "Prod"] {
            assert_eq!(Token::parse(n), Err(TokenError::Reserved), "{n}");
        }
    }

    #[test]
    fn traversal_and_malformed_tokens_are_refused() {
        let long_traversal = format!("../../../../etc/passwd{}", "a".repeat(21));
        assert_eq!(long_traversal.len(), TOKEN_LEN);
        for bad in [
            "../etc/passwd",
            long_traversal.as_str(),
            "..%2F..%2Fetc%2Fpasswd",
            "abc",
            "a/b",
            "a\\b",
            "token with spaces",
            &"A".repeat(44),
            &"A".repeat(42),
            &format!("{}=", "A".repeat(42)),
            &format!("{}.", "A".repeat(42)),
            &format!("{}\0", "A".repeat(42)),
        ] {
            assert_eq!(Token::parse(bad), Err(TokenError::Malformed), "{bad:?}");
        }
        assert_eq!(Token::parse(""), Err(TokenError::Missing));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(t.expose()));
    }

    #[test]
    fn digest_is_stable_and_distinct() {
        let t = Token::generate();
        assert!(t.digest().ct_eq(&t.digest()));
        assert!(!t.digest().ct_eq(&Token::generate().digest()));
        assert_eq!(t.digest().0.len(), 64);
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_from_header("Bearer abc"), Ok("abc"));
        assert_eq!(bearer_from_header("bearer   abc "), Ok("abc"));
        assert_eq!(bearer_from_header("Basic abc"), Err(TokenError::Missing));
        assert_eq!(bearer_from_header("Bearer"), Err(TokenError::Missing));
    }
}
