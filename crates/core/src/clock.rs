//! Wall-clock time as Unix seconds: token records, session activity, owner info and QR login expiry.

use std::time::SystemTime;

/// Current Unix time in seconds (0 if the clock is before 1970).
pub fn now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
