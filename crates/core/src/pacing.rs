//! How fast tokens write: per-token limits (messages per minute, new chats per day), Telegram's
//! FLOOD_WAIT honoured for the whole session, the chats each token wrote to, and idempotency keys
//! so a client that retries a send does not post twice.

use crate::policy::WriteLimits;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// How long an idempotency key remembers its answer.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// A write refused locally; `retry_after` seconds until it would pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Paced {
    /// What limit was hit.
    pub message: String,
    /// Seconds to wait.
    pub retry_after: u32,
}

#[derive(Default)]
struct TokenState {
    recent: VecDeque<Instant>,
    /// Day number → chats written to for the first time that day.
    new_chats: HashMap<i64, HashSet<i64>>,
    written: HashSet<i64>,
}

type Answer = Arc<OnceCell<Value>>;

/// The pacing state of one owner.
#[derive(Default)]
pub struct Pacing {
    tokens: Mutex<HashMap<String, TokenState>>,
    flood_until: Mutex<HashMap<String, Instant>>,
    keys: Mutex<HashMap<(String, String), (Instant, Answer)>>,
}

impl Pacing {
    /// Whether `token` wrote to `chat` since this owner started.
    pub fn wrote_to(&self, token: &str, chat: i64) -> bool {
        self.lock_tokens().get(token).is_some_and(|t| t.written.contains(&chat))
    }

    /// Takes one write of `token` to `chat` from its limits, or says how long to wait.
    pub fn take(&self, token: &str, session: &str, chat: i64, limits: &WriteLimits) -> Result<(), Paced> {
        if let Some(until) = self.lock_flood().get(session).copied() {
            let left = until.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                return Err(Paced {
                    message: format!(
                        "Telegram asked this account to wait before writing again (FLOOD_WAIT); {} s left",
                        left.as_secs() + 1
                    ),
                    retry_after: left.as_secs() as u32 + 1,
                });
            }
        }
        let now = Instant::now();
        let mut tokens = self.lock_tokens();
        let t = tokens.entry(token.to_string()).or_default();
        while t.recent.front().is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60)) {
            t.recent.pop_front();
        }
        if t.recent.len() >= limits.per_minute as usize {
            let oldest = *t.recent.front().expect("non-empty at the limit");
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
            return Err(Paced {
                message: format!(
                    "this token's limit of {} messages per minute is reached (it keeps the account clear of Telegram's anti-spam limits)",
                    limits.per_minute
                ),
                retry_after: wait.as_secs() as u32 + 1,
            });
        }
        let day = crate::clock::now().div_euclid(86_400);
        t.new_chats.retain(|d, _| *d == day);
        let first_time = !t.written.contains(&chat);
        let today = t.new_chats.entry(day).or_default();
        if first_time && !today.contains(&chat) && today.len() >= limits.new_chats_per_day as usize {
            let left = 86_400 - crate::clock::now().rem_euclid(86_400);
            return Err(Paced {
                message: format!("this token's limit of {} new chats per day is reached", limits.new_chats_per_day),
                retry_after: left as u32,
            });
        }
        if first_time {
            today.insert(chat);
        }
        t.written.insert(chat);
        t.recent.push_back(now);
        Ok(())
    }

    /// Telegram answered FLOOD_WAIT for `session`: no write on it until the wait is over.
    pub fn flood_wait(&self, session: &str, seconds: u32) {
        self.lock_flood().insert(session.to_string(), Instant::now() + Duration::from_secs(seconds.into()));
    }

    /// Runs `send` once per (`token`, `key`): a retry with the same key gets the first answer
    /// (a retry during the first attempt waits for it); a failed attempt is not remembered.
    pub async fn once<F, Fut, E>(&self, token: &str, key: Option<&str>, send: F) -> Result<Value, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, E>>,
    {
        let Some(key) = key else { return send().await };
        let cell = {
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            keys.retain(|_, (at, _)| at.elapsed() < IDEMPOTENCY_TTL);
            keys.entry((token.to_string(), key.to_string()))
                .or_insert_with(|| (Instant::now(), Answer::default()))
                .1
                .clone()
        };
        let mut replay = true;
        let v = cell
            .get_or_try_init(|| {
                replay = false;
                send()
            })
            .await?;
        let mut v = v.clone();
        if replay && let Value::Object(m) = &mut v {
            m.insert("idempotent_replay".into(), Value::Bool(true));
        }
        Ok(v)
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, TokenState>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_flood(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.flood_until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_per_minute_limit_holds_and_says_when_to_retry() {
        let p = Pacing::default();
        let limits = WriteLimits { per_minute: 3, new_chats_per_day: 100 };
        for _ in 0..3 {
            p.take("tok_a", "s_a", 1, &limits).unwrap();
        }
        let e = p.take("tok_a", "s_a", 1, &limits).unwrap_err();
        assert!(e.message.contains("3 messages per minute") && (1..=60).contains(&e.retry_after), "{e:?}");
        p.take("tok_b", "s_a", 1, &limits).expect("another token has its own budget");
    }

    #[test]
    fn new_chats_per_day_count_first_writes_only() {
        let p = Pacing::default();
        let limits = WriteLimits { per_minute: 100, new_chats_per_day: 2 };
        p.take("t", "s", 1, &limits).unwrap();
        p.take("t", "s", 2, &limits).unwrap();
        p.take("t", "s", 1, &limits).expect("a chat written to before is not new");
        assert!(p.take("t", "s", 3, &limits).unwrap_err().message.contains("2 new chats per day"));
        assert!(p.wrote_to("t", 2) && !p.wrote_to("t", 3));
    }

    #[test]
    fn a_flood_wait_stops_every_write_on_the_session() {
        let p = Pacing::default();
        p.flood_wait("s", 30);
        let e = p.take("t", "s", 1, &WriteLimits::default()).unwrap_err();
        assert!(e.message.contains("FLOOD_WAIT") && e.retry_after >= 29, "{e:?}");
        p.take("t", "other", 1, &WriteLimits::default()).unwrap();
    }

    #[tokio::test]
    async fn an_idempotency_key_sends_once_and_a_failure_is_not_remembered() {
        let p = Pacing::default();
        let sends = std::sync::atomic::AtomicUsize::new(0);
        let send = || async {
            sends.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, String>(json!({"status": "sent"}))
        };
        let first = p.once("t", Some("k1"), send).await.unwrap();
        let again = p.once("t", Some("k1"), send).await.unwrap();
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(first, json!({"status": "sent"}));
        assert_eq!(again, json!({"status": "sent", "idempotent_replay": true}));
        p.once("other-token", Some("k1"), send).await.unwrap();
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 2, "keys are per token");
        assert!(p.once("t", Some("k2"), || async { Err::<Value, _>("down") }).await.is_err());
        p.once("t", Some("k2"), send).await.unwrap();
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 3, "a failed attempt can be retried");
    }
}
