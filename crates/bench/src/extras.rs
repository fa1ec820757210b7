//! The parts measured next to ours rather than ours alone: the tray app's memory under Xvfb,
//! and the Python fast-mcp-telegram side by side on the same fake DC.

use crate::Opts;
use crate::disk::{self, Trace};
use crate::floor::Floor;
use crate::mcp::Stdio1;
use crate::procs::{Env, Mem, terminate, tree};
use crate::report::{Report, mib, ms};
use crate::sections::{login_many, tool_args};
use crate::stats::{Samples, median_of, round3};
use anyhow::{Context, anyhow, bail};
use fake_tg_dc::FakeDc;
use fake_tg_dc::demo::A_PHONE;
use serde_json::json;
use std::time::{Duration, Instant};
use tgmcp_core::owner::client::ControlClient;

/// The tray app under Xvfb on a first start (no token yet, so its window opens for setup), then
/// with one logged-in session used through stdio. The window's life (open, closed, reopened) is
/// measured by `tests/gui/footprint.mjs`.
pub async fn tray(dc: &FakeDc, opts: &Opts, floor: &Floor, r: &mut Report) -> anyhow::Result<()> {
    let tray_bin = opts.tray_bin.clone().unwrap_or_else(|| opts.bin_dir.join("fast-mcp-telegram-tray"));
    if !tray_bin.exists() {
        bail!("{} is missing (scripts/bench.sh --tray builds it)", tray_bin.display());
    }
    let env = Env::new(&opts.bin_dir.join("fast-mcp-telegram"), dc, "tray")?;
    let display = match std::env::var("DISPLAY") {
        Ok(d) if !d.is_empty() => (d, None),
        _ => {
            let d = format!(":{}", 90 + std::process::id() % 400);
            let mut x = tokio::process::Command::new("Xvfb");
            x.args([d.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"]);
            x.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            x.kill_on_drop(true);
            let child = x.spawn().context("cannot start Xvfb")?;
            let sock = format!("/tmp/.X11-unix/X{}", &d[1..]);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !std::path::Path::new(&sock).exists() {
                if Instant::now() > deadline {
                    bail!("Xvfb did not start on {d}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (d, Some(child))
        }
    };
    let mut c = env.cmd_of(&tray_bin, &[]);
    c.env("DISPLAY", &display.0).env("PORT", "0").env("NO_AT_BRIDGE", "1");
    c.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut tray = c.spawn().context("cannot start the tray app")?;
    let pid = tray.id().ok_or_else(|| anyhow!("tray exited"))?;
    // The tray owns the config dir once its socket answers.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(_)) = ControlClient::connect(&env.dir).await {
            break;
        }
        if Instant::now() > deadline || !crate::procs::alive(pid) {
            bail!("the tray app did not come up as the owner");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = Mem::of(&tree(pid));
    let (_, token_id) = login_many(&env.dir, 1, 1).await?.pop().ok_or_else(|| anyhow!("no token"))?;
    let mut s = Stdio1::spawn(env.cmd(&["serve", "--transport", "stdio", "--token-id", &token_id]))?;
    s.initialize().await?;
    for _ in 0..opts.n(20, 100) {
        s.tool("get_messages", tool_args("get_messages", floor.carol_id())).await?;
    }
    s.close().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = Mem::of(&tree(pid));
    terminate(&mut tray).await;
    drop(display);
    let line = |m: &Mem| {
        format!("{} RSS, {} PSS ({} processes)", mib(Mem::mib(m.rss_kib)), mib(Mem::mib(m.pss_kib)), m.processes)
    };
    r.row("tray app (Xvfb)", "binary", tray_bin.display().to_string());
    r.goal("tray app (Xvfb)", "first start, setup window open", line(&idle), "reported", None);
    r.row("tray app (Xvfb)", "after 1 session used", line(&used));
    r.set("tray", json!({"binary": tray_bin, "idle": idle.json(), "after_one_session": used.json()}));
    Ok(())
}

/// The Python fast-mcp-telegram over stdio: spawn → initialize → tools/list and its idle RSS;
/// then, on a Telethon session seeded for the fake DC, get_messages latency and disk writes.
pub async fn python(dc: &FakeDc, opts: &Opts, r: &mut Report) -> anyhow::Result<()> {
    let server = opts.python.clone().ok_or_else(|| anyhow!("no --python-server"))?;
    let py = server.parent().map(|d| d.join("python")).ok_or_else(|| anyhow!("no venv python next to {server:?}"))?;
    let home = std::env::temp_dir().join(format!("fmtb-{}-py", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home)?;
    let cmd = || {
        let mut c = tokio::process::Command::new(&server);
        c.env_clear().current_dir(&home).env("HOME", &home);
        for k in ["PATH", "LANG"] {
            if let Ok(v) = std::env::var(k) {
                c.env(k, v);
            }
        }
        c.env("SERVER_MODE", "stdio").env("API_ID", crate::procs::API_ID).env("API_HASH", crate::procs::API_HASH);
        c.env("DO_NOT_TRACK", "1").env("LOG_LEVEL", "WARNING").kill_on_drop(true);
        c
    };
    let n = opts.n(3, 10);
    let (mut init, mut list) = (Samples::default(), Samples::default());
    let mut mem = Vec::new();
    for _ in 0..n {
        let t0 = Instant::now();
        let mut s = Stdio1::spawn(cmd())?;
        s.initialize().await?;
        init.push(t0.elapsed());
        let v = s.request("tools/list", json!({})).await?;
        if v["result"]["tools"].as_array().is_none_or(Vec::is_empty) {
            bail!("python tools/list: {v}");
        }
        list.push(t0.elapsed());
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(pid) = s.child.id() {
            mem.push(Mem::of(&tree(pid)));
        }
        let _ = s.close().await;
    }
    let rss = median_of(&mem.iter().map(|m| Mem::mib(m.rss_kib)).collect::<Vec<_>>());
    let p = "python 0.46.1 (stdio)";
    r.row(p, "spawn → initialize", ms(init.median()));
    r.row(p, "spawn → tools/list", ms(list.median()));
    r.row(p, "RSS idle", mib(rss));
    let mut out = json!({"iterations": n, "initialize": init.json(), "tools_list": list.json(), "rss_idle_mib_median": round3(rss)});

    // Telethon session (the server's default stdio session) with a key the DC knows, logged in as A.
    let key: String = dc.register_key(Some(A_PHONE)).iter().map(|b| format!("{b:02x}")).collect();
    let session = home.join(".config/fast-mcp-telegram/telegram");
    std::fs::create_dir_all(session.parent().expect("parent"))?;
    let seed = "import sys\nfrom telethon.sessions import SQLiteSession\nfrom telethon.crypto import AuthKey\n\
                s = SQLiteSession(sys.argv[1]); s.set_dc(2, '127.0.0.1', int(sys.argv[2]))\n\
                s.auth_key = AuthKey(bytes.fromhex(sys.argv[3])); s.save(); s.close()\n";
    let st = tokio::process::Command::new(&py)
        .args(["-c", seed])
        .arg(&session)
        .arg(dc.addr().port().to_string())
        .arg(&key)
        .status()
        .await?;
    if !st.success() {
        bail!("could not seed the Telethon session");
    }
    let mut s = Stdio1::spawn(cmd())?;
    s.initialize().await?;
    let args = json!({"chat_id": "carol", "limit": 20});
    for _ in 0..3 {
        s.tool("get_messages", args.clone()).await.context("python get_messages")?;
    }
    let before = dc.calls().len();
    s.tool("get_messages", args.clone()).await?;
    let rpcs: Vec<String> = dc.calls()[before..].iter().map(|c| c.method.clone()).collect();
    let mut lat = Samples::default();
    for _ in 0..opts.n(30, 200) {
        let t = Instant::now();
        s.tool("get_messages", args.clone()).await?;
        lat.push(t.elapsed());
    }
    r.row(p, "get_messages(20), median", ms(lat.median()));
    out["get_messages"] = json!({"latency": lat.json(), "rpcs_per_call": rpcs, "args": args});
    if disk::strace_available()
        && let Some(pid) = s.child.id()
    {
        let calls = opts.n(20, 100);
        let trace =
            Trace::attach(pid, &std::env::temp_dir().join(format!("fmtb-{}-py.strace", std::process::id()))).await?;
        for _ in 0..calls {
            s.tool("get_messages", args.clone()).await?;
        }
        let c = trace.finish().await?;
        let per = |x: u64| x as f64 / calls as f64;
        r.row(
            p,
            "disk per get_messages (strace)",
            format!("{:.1} fsync, {:.1} unlink, {:.1} write", per(c.syncs()), per(c.unlinks()), per(c.file_writes())),
        );
        out["disk_writes_get_messages"] = c.json(calls);
    }
    let _ = s.close().await;
    let _ = std::fs::remove_dir_all(&home);
    r.set("python_reference", out);
    Ok(())
}
