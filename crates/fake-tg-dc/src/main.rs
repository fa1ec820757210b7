//! `fake-tg-dc [--port N] [--watch-dir DIR]`: serves `World::demo()` on 127.0.0.1, prints
//! `FAKE_DC_LISTENING 127.0.0.1:PORT` and runs until stdin closes or SIGTERM/SIGINT.
//!
//! Commands on stdin, one per line, for tests in other processes:
//! - `scan_qr <base64url token> <phone>` → `QR_SCANNED ok|fail` (the phone accepts a QR login);
//! - `scan_latest_qr <phone>` → `QR_SCANNED ok|fail` (the same for the newest QR code shown);
//! - `inject_error <tl.method> <code> <NAME>` → `INJECTED` (one-shot RPC error);
//! - `stall` / `resume` → `STALLED` / `RESUMED` (connections stop reading and answering, then go on);
//! - `register_key [phone]` → `KEY <512 hex digits>`: a fresh auth key the DC accepts, already
//!   logged in to the account with that phone if one is given (`ERROR` if none has it). Lets
//!   clients that cannot be seeded in-process (Telethon, through its session) skip the handshake;
//! - `login_code <phone> <code>` → `DELIVERED`: Telegram's service notifications (777000) send
//!   that account a login code message, as Telegram does at every login;
//! - `send <from user id> <to chat id> push|nopush <text…>` → `SENT <message id>`: a user sends
//!   a text message as if from another device (chat ids Bot-API style: users positive, basic
//!   groups `-id`, channels `-100id`); `nopush` stores it without pushing it, so clients only
//!   find it through `updates.getDifference` (a lost update).

use std::io::Write;

use base64::Engine;
use fake_tg_dc::{FakeDc, World};
use tokio::io::AsyncBufReadExt;

fn usage() -> ! {
    eprintln!("usage: fake-tg-dc [--port N] [--watch-dir DIR]...");
    eprintln!(
        "stdin commands: scan_qr <base64url-token> <phone> | scan_latest_qr <phone> | inject_error <method> <code> <NAME> | register_key [phone] | login_code <phone> <code> | send <from> <to> push|nopush <text>"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 0u16;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--watch-dir" => dirs.push(args.next().unwrap_or_else(|| usage())),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let dc = FakeDc::start_on(World::demo(), port).await?;
    for d in dirs {
        dc.watch_session_dir(d);
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "FAKE_DC_LISTENING {}", dc.addr())?;
        out.flush()?;
    }
    let stdin_closed = async {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let reply = command(&dc, &line);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{reply}");
            let _ = out.flush();
        }
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = stdin_closed => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(dc);
    Ok(())
}

/// Runs one stdin command and returns the reply line.
fn command(dc: &FakeDc, line: &str) -> String {
    let parts: Vec<&str> = line.split_whitespace().collect();
    match parts.as_slice() {
        ["scan_qr", token, phone] => {
            let ok = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token.trim_end_matches('='))
                .is_ok_and(|t| dc.scan_qr(&t, phone));
            format!("QR_SCANNED {}", if ok { "ok" } else { "fail" })
        }
        ["scan_latest_qr", phone] => {
            format!(
                "QR_SCANNED {}",
                if dc.scan_latest_qr(phone) {
                    "ok"
                } else {
                    "fail"
                }
            )
        }
        ["inject_error", method, code, name] => match code.parse() {
            Ok(code) => {
                dc.inject_error(method, code, name);
                "INJECTED".into()
            }
            Err(_) => "ERROR bad code".into(),
        },
        ["stall"] => {
            dc.set_stalled(true);
            "STALLED".into()
        }
        ["resume"] => {
            dc.set_stalled(false);
            "RESUMED".into()
        }
        ["register_key"] => key_line(&dc.register_key(None)),
        ["register_key", phone] => {
            if dc.with_world(|w| w.account_by_phone(phone)).is_none() {
                return format!("ERROR no account with phone {phone}");
            }
            key_line(&dc.register_key(Some(phone)))
        }
        ["login_code", phone, code] => {
            let delivered = dc.with_world(|w| {
                let account = w.account_by_phone(phone)?;
                let service = w.add_service_notifications();
                let text = format!("Login code: {code}. Do not give this code to anyone.");
                Some(w.deliver(
                    service,
                    fake_tg_dc::PeerKey::User(account),
                    fake_tg_dc::Draft::text(text),
                ))
            });
            match delivered {
                Some(_) => "DELIVERED".into(),
                None => format!("ERROR no account with phone {phone}"),
            }
        }
        ["send", from, to, mode @ ("push" | "nopush"), ..] => {
            let text = line
                .splitn(5, char::is_whitespace)
                .nth(4)
                .unwrap_or("")
                .to_string();
            let (Ok(from), Some(to)) = (from.parse::<i64>(), chat_key(to)) else {
                return "ERROR bad sender or chat id".into();
            };
            if text.is_empty() {
                return "ERROR empty message".into();
            }
            if from == 777_000 {
                dc.with_world(|w| w.add_service_notifications());
            }
            if !dc.with_world(|w| w.users.contains_key(&from) && w.can_read(from, to)) {
                return format!("ERROR user {from} cannot write to that chat");
            }
            let d = dc.send_as(from, to, fake_tg_dc::Draft::text(text), *mode == "push");
            format!("SENT {}", d.id)
        }
        [] => String::new(),
        _ => format!("ERROR unknown command: {line}"),
    }
}

/// A Bot-API-style chat id as a peer: users positive, basic groups `-id`, channels `-100id`.
fn chat_key(s: &str) -> Option<fake_tg_dc::PeerKey> {
    use fake_tg_dc::PeerKey;
    let n: i64 = s.parse().ok()?;
    Some(match n {
        n if n > 0 => PeerKey::User(n),
        n if n <= -1_000_000_000_000 => PeerKey::Channel(-n - 1_000_000_000_000),
        n if n < 0 => PeerKey::Chat(-n),
        _ => return None,
    })
}

fn key_line(key: &[u8; 256]) -> String {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    format!("KEY {hex}")
}
