//! The parts of the benchmark. Each part starts its own processes on its own config dir and
//! adds rows to the report; a failing part is reported and the others still run.

use crate::Opts;
use crate::disk::{self, Trace};
use crate::floor::Floor;
use crate::mcp::{Http, Stdio1};
use crate::procs::{Env, Io, Mem, terminate, tree};
use crate::report::{Report, mib, ms};
use crate::stats::{Samples, median_of, round3};
use anyhow::{Context, anyhow, bail};
use fake_tg_dc::FakeDc;
use fake_tg_dc::demo::{A_CODE, A_PHONE};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tgmcp_core::control::LoginOutcome;
use tgmcp_core::login::LoginStep;
use tgmcp_core::owner::client::ControlClient;

/// The tools whose latency is compared with the floor; the first three are read-only.
pub const TOOLS: [&str; 4] = ["get_messages", "search_messages_globally", "find_chats", "send_message"];
const READ_ONLY: [&str; 3] = ["get_messages", "search_messages_globally", "find_chats"];

/// The arguments the bench calls a tool with (the floor sends the same TL request).
pub fn tool_args(tool: &str, carol: i64) -> Value {
    match tool {
        "get_messages" => json!({"chat_id": carol.to_string(), "limit": 20}),
        "search_messages_globally" => json!({"query": "history", "limit": 20}),
        "find_chats" => json!({"query": "carol", "limit": 20}),
        "send_message" => json!({"chat_id": carol.to_string(), "message": "bench ping"}),
        _ => json!({}),
    }
}

/// Runs every wanted part.
pub async fn run_all(dc: &FakeDc, opts: &Opts) -> Report {
    let mut r = Report::default();
    r.set("machine", machine(opts));
    let bin = opts.bin_dir.join("fast-mcp-telegram");
    if !bin.exists() {
        r.error("setup", &anyhow!("{} is missing; build it with cargo build --release", bin.display()));
        return r;
    }
    let floor = match Floor::connect(dc).await {
        Ok(f) => f,
        Err(e) => {
            r.error("setup", &e.context("raw grammers client on the fake DC"));
            return r;
        }
    };
    if opts.wants("stdio")
        && let Err(e) = stdio_cold_start(dc, opts, &floor, &mut r).await
    {
        r.error("stdio", &e);
    }
    if (opts.wants("http") || opts.wants("tools") || opts.wants("disk"))
        && let Err(e) = owner_parts(dc, opts, &floor, &mut r).await
    {
        r.error("owner", &e);
    }
    if opts.wants("sessions")
        && let Err(e) = many_sessions(dc, opts, &floor, &mut r).await
    {
        r.error("sessions", &e);
    }
    if opts.wants("tray")
        && let Err(e) = crate::extras::tray(dc, opts, &floor, &mut r).await
    {
        r.error("tray", &e);
    }
    if opts.wants("python")
        && let Err(e) = crate::extras::python(dc, opts, &mut r).await
    {
        r.error("python", &e);
    }
    r
}

/// CPU, memory, kernel and load, so numbers are read with the machine in mind.
fn machine(opts: &Opts) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|s| s.trim_start_matches([' ', '\t', ':']));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:")).map(str::trim);
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu_model": model,
        "mem_total": mem,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "loadavg_at_start": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "quick": opts.quick,
        "binaries": opts.bin_dir,
    })
}

/// Logs `n` new tokens in to demo account A through the owner's control socket (`conc` at a
/// time); returns (token, token id) pairs.
pub(crate) async fn login_many(dir: &std::path::Path, n: usize, conc: usize) -> anyhow::Result<Vec<(String, String)>> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..conc.min(n).max(1) {
        let dir = dir.to_path_buf();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut c = control(&dir).await?;
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= n {
                    return Ok::<_, anyhow::Error>(out);
                }
                let start: LoginOutcome = serde_json::from_value(
                    c.call("login_start_code", json!({"phone": A_PHONE, "label": format!("bench {i}")})).await?,
                )?;
                let LoginStep::Code { login_id } = start.step else { bail!("expected a code step: {:?}", start.step) };
                let done: LoginOutcome = serde_json::from_value(
                    c.call("login_submit_code", json!({"login_id": login_id, "code": A_CODE})).await?,
                )?;
                let issued = done.issued.ok_or_else(|| anyhow!("login issued no token: {:?}", done.step))?;
                // The bench sends faster than a new token's default pace (20 a minute) allows.
                let policy = tgmcp_core::policy::Policy {
                    limits: tgmcp_core::policy::WriteLimits { per_minute: 600, ..Default::default() },
                    ..Default::default()
                };
                c.call("token_set_policy", json!({"id": issued.record.id, "policy": policy})).await?;
                out.push((issued.token, issued.record.id));
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await??);
    }
    Ok(all)
}

/// A control connection to the owner of `dir`, waiting (bounded) for its socket: an HTTP
/// owner prints LISTENING before its owner socket is bound.
async fn control(dir: &std::path::Path) -> anyhow::Result<ControlClient> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(c) = ControlClient::connect(dir).await? {
            return Ok(c);
        }
        if Instant::now() > deadline {
            bail!("no owner answers on {}", dir.display());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Spawn → initialize → tools/list → first Telegram result, over `serve --transport stdio`.
async fn stdio_once(env: &Env, token_id: &str, carol: i64) -> anyhow::Result<[Duration; 3]> {
    let t0 = Instant::now();
    let mut c = Stdio1::spawn(env.cmd(&["serve", "--transport", "stdio", "--token-id", token_id]))?;
    c.initialize().await?;
    let init = t0.elapsed();
    let list = c.request("tools/list", json!({})).await?;
    if list["result"]["tools"].as_array().is_none_or(Vec::is_empty) {
        bail!("tools/list: {list}");
    }
    let tools = t0.elapsed();
    c.tool("get_messages", tool_args("get_messages", carol)).await?;
    let first = t0.elapsed();
    c.close().await?;
    Ok([init, tools, first])
}

async fn stdio_cold_start(dc: &FakeDc, opts: &Opts, floor: &Floor, r: &mut Report) -> anyhow::Result<()> {
    let env = Env::new(&opts.bin_dir.join("fast-mcp-telegram"), dc, "stdio")?;
    // A token logged in through a short-lived foreground agent.
    let mut agent = env.agent().await?;
    let (_, token_id) = login_many(&env.dir, 1, 1).await?.pop().ok_or_else(|| anyhow!("no token"))?;
    terminate(&mut agent).await;
    let carol = floor.carol_id();
    let n = opts.n(5, 20);
    let (mut cold, mut warm) = ([(); 3].map(|_| Samples::default()), [(); 3].map(|_| Samples::default()));
    let mut agent_mem = Vec::new();
    for _ in 0..n {
        // Interleaved: no owner (the relay starts a background agent), then that agent warm.
        let c = stdio_once(&env, &token_id, carol).await.context("cold stdio run")?;
        let w = stdio_once(&env, &token_id, carol).await.context("warm stdio run")?;
        for i in 0..3 {
            cold[i].push(c[i]);
            warm[i].push(w[i]);
        }
        if let Some(pid) = env.owner_pid() {
            agent_mem.push(Mem::of(&[pid]));
        }
        env.stop_background_agent().await?;
    }
    let names = ["spawn → initialize", "spawn → tools/list", "spawn → first get_messages"];
    for (i, name) in names.iter().enumerate() {
        r.row("stdio (no owner)", name, ms(cold[i].median()));
    }
    for (i, name) in names.iter().enumerate() {
        if i == 1 {
            let m = warm[i].median();
            r.goal("stdio (warm owner)", name, ms(m), "< 5 ms", Some(m < 5.0));
        } else {
            r.row("stdio (warm owner)", name, ms(warm[i].median()));
        }
    }
    // What spawning costs on this machine at all, for scale.
    let (mut spawn_true, mut spawn_version) = (Samples::default(), Samples::default());
    for _ in 0..n {
        for (samples, prog, args) in [
            (&mut spawn_true, std::path::PathBuf::from("/bin/true"), vec![]),
            (&mut spawn_version, env.bin.clone(), vec!["--version"]),
        ] {
            let t = Instant::now();
            env.cmd_of(&prog, &args).stdout(std::process::Stdio::null()).status().await?;
            samples.push(t.elapsed());
        }
    }
    r.row(
        "stdio (warm owner)",
        "for scale: spawn /bin/true, --version",
        format!("{} / {}", ms(spawn_true.median()), ms(spawn_version.median())),
    );
    let agent_rss = median_of(&agent_mem.iter().map(|m| Mem::mib(m.rss_kib)).collect::<Vec<_>>());
    r.row("stdio (warm owner)", "background agent RSS (1 session)", mib(agent_rss));
    let j = |s: &[Samples; 3]| json!({"initialize": s[0].json(), "tools_list": s[1].json(), "first_get_messages": s[2].json()});
    r.set(
        "stdio_cold_start",
        json!({"iterations": n, "no_owner": j(&cold), "warm_owner": j(&warm), "agent_rss_mib_median": round3(agent_rss),
               "spawn_bin_true": spawn_true.json(), "spawn_version": spawn_version.json()}),
    );
    Ok(())
}

/// tools/list at `conc` concurrent keep-alive clients for `dur`: (latencies, errors, req/s).
async fn tools_list_load(http: &Http, token: &str, conc: usize, dur: Duration) -> (Samples, usize, f64) {
    let start = Instant::now();
    let deadline = start + dur;
    let tasks: Vec<_> = (0..conc)
        .map(|_| {
            let http = http.clone();
            let token = token.to_string();
            tokio::spawn(async move {
                let (mut s, mut errors) = (Samples::default(), 0usize);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match http.tools_list(&token).await {
                        Ok(_) => s.push(t.elapsed()),
                        Err(_) => errors += 1,
                    }
                }
                (s, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Samples::default(), 0);
    for t in futures::future::join_all(tasks).await {
        if let Ok((s, e)) = t {
            all.extend(&s);
            errors += e;
        } else {
            errors += 1;
        }
    }
    let rps = all.len() as f64 / start.elapsed().as_secs_f64();
    (all, errors, rps)
}

/// The RPCs the fake DC received during `f`.
async fn rpcs_of<F: std::future::Future<Output = anyhow::Result<Value>>>(
    dc: &FakeDc,
    f: F,
) -> anyhow::Result<Vec<String>> {
    let before = dc.calls().len();
    f.await?;
    Ok(dc.calls()[before..].iter().map(|c| c.method.clone()).collect())
}

/// HTTP throughput, tool latency next to the floor, owner memory and disk writes, on one
/// `serve --transport http` owner.
async fn owner_parts(dc: &FakeDc, opts: &Opts, floor: &Floor, r: &mut Report) -> anyhow::Result<()> {
    let env = Env::new(&opts.bin_dir.join("fast-mcp-telegram"), dc, "http")?;
    let (mut owner, base) = env.http_owner().await?;
    let pid = owner.id().ok_or_else(|| anyhow!("owner exited"))?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mem_start = Mem::of(&tree(pid));
    let (token, token_id) = login_many(&env.dir, 1, 1).await?.pop().ok_or_else(|| anyhow!("no token"))?;
    let http = Http::new(&base);
    let carol = floor.carol_id();
    // Connect the session and learn Carol.
    http.tool(&token, "get_messages", tool_args("get_messages", carol)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mem_one = Mem::of(&tree(pid));
    r.goal("owner (http)", "RSS idle, no session", mib(Mem::mib(mem_start.rss_kib)), "", None);
    r.row("owner (http)", "RSS idle, 1 session connected", mib(Mem::mib(mem_one.rss_kib)));
    let mut out = json!({"rss_idle_no_session": mem_start.json(), "rss_idle_one_session": mem_one.json()});

    if opts.wants("http") {
        let rounds = opts.n(2, 3);
        let dur = Duration::from_millis(opts.n(1000, 3000) as u64);
        let levels = [1usize, 16, 100];
        let mut per: Vec<(Samples, usize, Vec<f64>)> = levels.iter().map(|_| (Samples::default(), 0, vec![])).collect();
        for _ in 0..rounds {
            // Interleaved rounds; each level warms its connections first.
            for (i, &c) in levels.iter().enumerate() {
                tools_list_load(&http, &token, c, Duration::from_millis(200)).await;
                let (s, e, rps) = tools_list_load(&http, &token, c, dur).await;
                per[i].0.extend(&s);
                per[i].1 += e;
                per[i].2.push(rps);
            }
        }
        let mut j = serde_json::Map::new();
        for (i, &c) in levels.iter().enumerate() {
            let (s, errors, rps) = &per[i];
            let rps = median_of(rps);
            r.row(
                "HTTP tools/list",
                &format!("concurrency {c}: p50 / p99, req/s"),
                format!("{:.2} / {:.2} ms, {rps:.0}/s", s.pct(50.0), s.pct(99.0)),
            );
            if *errors > 0 {
                r.error("http", &anyhow!("{errors} tools/list errors at concurrency {c}"));
            }
            j.insert(format!("c{c}"), json!({"latency": s.json(), "errors": errors, "req_per_s_median": round3(rps), "rounds": rounds, "seconds_per_round": dur.as_secs_f64()}));
        }
        out["http_tools_list"] = Value::Object(j);
    }

    if opts.wants("tools") {
        let n = opts.n(30, 200);
        let mut stdio = Stdio1::spawn(env.cmd(&["serve", "--transport", "stdio", "--token-id", &token_id]))?;
        stdio.initialize().await?;
        let mut rpcs = serde_json::Map::new();
        for tool in TOOLS {
            for _ in 0..3 {
                http.tool(&token, tool, tool_args(tool, carol)).await?;
                stdio.tool(tool, tool_args(tool, carol)).await?;
                floor.call(tool).await?;
            }
            let list = rpcs_of(dc, http.tool(&token, tool, tool_args(tool, carol))).await?;
            rpcs.insert(tool.into(), json!(list));
        }
        let mut s: Vec<[Samples; 3]> = TOOLS.iter().map(|_| Default::default()).collect();
        for _ in 0..n {
            for (i, tool) in TOOLS.iter().enumerate() {
                let args = tool_args(tool, carol);
                let t = Instant::now();
                floor.call(tool).await?;
                s[i][0].push(t.elapsed());
                let t = Instant::now();
                http.tool(&token, tool, args.clone()).await?;
                s[i][1].push(t.elapsed());
                let t = Instant::now();
                stdio.tool(tool, args).await?;
                s[i][2].push(t.elapsed());
            }
        }
        stdio.close().await?;
        let mut j = serde_json::Map::new();
        for (i, tool) in TOOLS.iter().enumerate() {
            let [f, h, st] = &s[i];
            let (fm, hm, sm) = (f.median(), h.median(), st.median());
            r.row(&format!("tool {tool}"), "raw grammers invoke (floor), median", ms(fm));
            r.goal(
                &format!("tool {tool}"),
                "HTTP MCP, median (× floor)",
                format!("{} ({:.2}×, +{:.2} ms)", ms(hm), hm / fm, hm - fm),
                "≤ 1.2× floor",
                Some(hm / fm <= 1.2),
            );
            r.goal(
                &format!("tool {tool}"),
                "stdio relay, median (× floor)",
                format!("{} ({:.2}×, +{:.2} ms)", ms(sm), sm / fm, sm - fm),
                "≤ 1.2× floor",
                Some(sm / fm <= 1.2),
            );
            j.insert(
                tool.to_string(),
                json!({"floor": f.json(), "http": h.json(), "stdio": st.json(),
                       "ratio_http_median": round3(hm / fm), "ratio_stdio_median": round3(sm / fm),
                       "rpcs_per_call": rpcs[*tool], "args": tool_args(tool, carol)}),
            );
        }
        out["tool_latency"] = json!({"iterations": n, "tools": j});
    }

    let mem_load = Mem::of(&tree(pid));
    r.row("owner (http)", "RSS after load", mib(Mem::mib(mem_load.rss_kib)));
    out["rss_after_load"] = mem_load.json();

    if opts.wants("disk") {
        let n = opts.n(20, 100);
        let mut j = serde_json::Map::new();
        let strace = disk::strace_available();
        if !strace {
            r.row("disk", "strace", "not installed: /proc/pid/io only".into());
        }
        for tool in TOOLS {
            let trace = if strace {
                Some(
                    Trace::attach(
                        pid,
                        &std::env::temp_dir().join(format!("fmtb-{}-{tool}.strace", std::process::id())),
                    )
                    .await?,
                )
            } else {
                None
            };
            let io0 = Io::of(pid);
            for _ in 0..n {
                http.tool(&token, tool, tool_args(tool, carol)).await?;
            }
            let io1 = Io::of(pid);
            let per = |a: u64, b: u64| round3((b - a) as f64 / n as f64);
            let mut v = json!({"proc_io_per_call": {
                "write_bytes": per(io0.write_bytes, io1.write_bytes),
                "syscw_all_fds": per(io0.syscw, io1.syscw),
                "wchar_all_fds": per(io0.wchar, io1.wchar),
            }});
            if let Some(t) = trace {
                let c = t.finish().await?;
                let per_call = |x: u64| x as f64 / n as f64;
                let read_only = READ_ONLY.contains(&tool);
                let value = format!(
                    "{:.1} fsync, {:.1} unlink, {:.1} write",
                    per_call(c.syncs()),
                    per_call(c.unlinks()),
                    per_call(c.file_writes())
                );
                if read_only {
                    // The goal is about the session store; other files (the token index's
                    // last-used times, written at most once a minute) are named on their own row.
                    let session_ops = c.session_file_ops();
                    r.goal(
                        "disk per call (strace)",
                        &format!("{tool}: session files"),
                        format!("{:.2} ops", per_call(session_ops)),
                        "0 (read-only)",
                        Some(session_ops == 0),
                    );
                    let replaced = c.replaced_files();
                    let all = if replaced.is_empty() { value } else { format!("{value} (replaced: {replaced})") };
                    r.row("disk per call (strace)", &format!("{tool}: all files"), all);
                } else {
                    r.row("disk per call (strace)", tool, value);
                }
                v["strace"] = c.json(n);
            }
            j.insert(tool.to_string(), v);
        }
        out["disk_writes"] = Value::Object(j);
    }
    terminate(&mut owner).await;
    r.set("owner_http", out);
    Ok(())
}

/// Many tokens, each on its own logged-in session, at once.
async fn many_sessions(dc: &FakeDc, opts: &Opts, floor: &Floor, r: &mut Report) -> anyhow::Result<()> {
    let n = opts.sessions;
    let env = Env::new(&opts.bin_dir.join("fast-mcp-telegram"), dc, "many")?;
    let (mut owner, _) = env.http_owner().await?;
    let t = Instant::now();
    let tokens = login_many(&env.dir, n, 8).await?;
    let login_s = t.elapsed().as_secs_f64();
    terminate(&mut owner).await;
    // A fresh owner: nothing connected yet.
    let (mut owner, base) = env.http_owner().await?;
    let pid = owner.id().ok_or_else(|| anyhow!("owner exited"))?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mem0 = Mem::of(&tree(pid));
    let http = Http::new(&base);
    let carol = floor.carol_id();
    let round = |http: Http, tokens: Vec<(String, String)>| async move {
        let tasks: Vec<_> = tokens
            .into_iter()
            .map(|(tok, _)| {
                let http = http.clone();
                tokio::spawn(async move {
                    let t = Instant::now();
                    http.tool(&tok, "get_messages", tool_args("get_messages", carol)).await.map(|_| t.elapsed())
                })
            })
            .collect();
        let (mut s, mut errors) = (Samples::default(), Vec::new());
        for t in futures::future::join_all(tasks).await {
            match t {
                Ok(Ok(d)) => s.push(d),
                Ok(Err(e)) => errors.push(e.to_string()),
                Err(e) => errors.push(e.to_string()),
            }
        }
        (s, errors)
    };
    // First round connects every session.
    // The calls' own RPCs apart from the update loops' catch-up (`updates.*`), which starts
    // when a session's first call ends and so overlaps the other sessions' calls; it is counted
    // once every loop has settled.
    let before = dc.calls().len();
    let (connect, mut errors) = round(http.clone(), tokens.clone()).await;
    let is_catch_up = |c: &&fake_tg_dc::Call| c.method.starts_with("updates.");
    let first_rpcs = dc.calls()[before..].iter().filter(|c| !is_catch_up(c)).count() as f64 / n as f64;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let catch_up_rpcs = dc.calls()[before..].iter().filter(is_catch_up).count() as f64 / n as f64;
    let mem1 = Mem::of(&tree(pid));
    let rounds = opts.n(3, 10);
    let mut lat = Samples::default();
    for _ in 0..rounds {
        let (s, e) = round(http.clone(), tokens.clone()).await;
        lat.extend(&s);
        errors.extend(e);
    }
    let mem2 = Mem::of(&tree(pid));
    terminate(&mut owner).await;
    let per_session = |a: u64, b: u64| Mem::mib(b.saturating_sub(a)) / n as f64;
    let rss_per = per_session(mem0.rss_kib, mem1.rss_kib);
    let p = format!("{n} sessions");
    r.row(&p, "logins (control socket, 8 at a time)", format!("{login_s:.1} s"));
    r.row(
        &p,
        "first call each (connect, learn dialogs), p50 / p99",
        format!(
            "{:.1} / {:.1} ms, {first_rpcs:.1} RPCs (+ {catch_up_rpcs:.1} of the update catch-up)",
            connect.pct(50.0),
            connect.pct(99.0)
        ),
    );
    r.row(&p, &format!("{n} at once × {rounds}: p50 / p99"), format!("{:.1} / {:.1} ms", lat.pct(50.0), lat.pct(99.0)));
    r.goal(&p, "errors", errors.len().to_string(), "0", Some(errors.is_empty()));
    r.row(
        &p,
        "owner RSS: idle / all connected / after load",
        format!("{:.1} / {:.1} / {:.1} MiB", Mem::mib(mem0.rss_kib), Mem::mib(mem1.rss_kib), Mem::mib(mem2.rss_kib)),
    );
    r.goal(
        &p,
        "idle RSS per logged-in session",
        format!("{:.0} KiB", rss_per * 1024.0),
        "< 1 MiB",
        Some(rss_per < 1.0),
    );
    r.row(&p, "idle PSS per logged-in session", format!("{:.0} KiB", per_session(mem0.pss_kib, mem1.pss_kib) * 1024.0));
    if !errors.is_empty() {
        r.error("sessions", &anyhow!("{} errors, first: {}", errors.len(), errors[0]));
    }
    r.set(
        "many_sessions",
        json!({"sessions": n, "login_seconds": round3(login_s), "first_call": connect.json(), "first_call_rpcs": round3(first_rpcs), "catch_up_rpcs": round3(catch_up_rpcs), "rounds": rounds,
               "latency": lat.json(), "errors": errors.len(), "first_errors": errors.iter().take(5).collect::<Vec<_>>(),
               "mem_idle": mem0.json(), "mem_all_connected": mem1.json(), "mem_after_load": mem2.json(),
               "rss_per_session_mib": round3(rss_per), "pss_per_session_mib": round3(per_session(mem0.pss_kib, mem1.pss_kib))}),
    );
    Ok(())
}
