//! `fake-tg-dc [--port N] [--watch-dir DIR]`: serves `World::demo()` on 127.0.0.1, prints
//! `FAKE_DC_LISTENING 127.0.0.1:PORT` and runs until stdin closes or SIGTERM/SIGINT.

use std::io::Write;

use fake_tg_dc::{FakeDc, World};
use tokio::io::AsyncReadExt;

fn usage() -> ! {
    eprintln!("usage: fake-tg-dc [--port N] [--watch-dir DIR]...");
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
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
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
