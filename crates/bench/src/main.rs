//! `fmt-bench`: benchmarks of the release `fast-mcp-telegram` binaries against the fake
//! Telegram DC (in this process), printed as a table and written as JSON.
//!
//! Run it through `scripts/bench.sh` (builds, installs strace/Xvfb, runs). Numbers are
//! measurements, never assertions: the exit code is non-zero only when something *failed*
//! (an error answer, a process that did not start), never because something was slow.

mod disk;
mod extras;
mod floor;
mod mcp;
mod procs;
mod report;
mod sections;
mod stats;

use std::path::PathBuf;

/// Command-line options.
#[derive(Debug, Clone)]
pub struct Opts {
    /// Directory of `fast-mcp-telegram` (and `fast-mcp-telegram-tray`).
    pub bin_dir: PathBuf,
    /// Where the JSON goes.
    pub out: PathBuf,
    /// Small counts (a smoke run of every part).
    pub quick: bool,
    /// Parts to run (all by default).
    pub only: Option<Vec<String>>,
    /// Also measure the tray app under Xvfb.
    pub tray: bool,
    /// The tray binary (default: `fast-mcp-telegram-tray` in `bin_dir`).
    pub tray_bin: Option<PathBuf>,
    /// The Python `fast-mcp-telegram` entry script, for the side-by-side reference.
    pub python: Option<PathBuf>,
    /// Sessions in the many-sessions part.
    pub sessions: usize,
}

impl Opts {
    fn parse() -> anyhow::Result<Opts> {
        let exe = std::env::current_exe()?;
        let bin_dir = exe.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        let mut o = Opts {
            out: bin_dir.parent().unwrap_or(&bin_dir).join("bench").join("results.json"),
            bin_dir,
            quick: false,
            only: None,
            tray: false,
            python: None,
            tray_bin: None,
            sessions: 100,
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut val = |name: &str| args.next().ok_or_else(|| anyhow::anyhow!("{name} needs a value"));
            match a.as_str() {
                "--quick" => o.quick = true,
                "--tray" => o.tray = true,
                "--tray-bin" => {
                    o.tray = true;
                    o.tray_bin = Some(val("--tray-bin")?.into());
                }
                "--bin-dir" => o.bin_dir = val("--bin-dir")?.into(),
                "--out" => o.out = val("--out")?.into(),
                "--only" => o.only = Some(val("--only")?.split(',').map(str::to_string).collect()),
                "--python-server" => o.python = Some(val("--python-server")?.into()),
                "--sessions" => o.sessions = val("--sessions")?.parse()?,
                "-h" | "--help" => {
                    println!(
                        "usage: fmt-bench [--quick] [--tray] [--tray-bin PATH] [--python-server PATH] [--sessions N] [--only stdio,http,tools,disk,sessions,tray,python] [--bin-dir DIR] [--out FILE]"
                    );
                    std::process::exit(0);
                }
                other => anyhow::bail!("unknown argument {other:?} (see --help)"),
            }
        }
        // Children run in their config dirs: relative paths would resolve there.
        o.bin_dir = std::fs::canonicalize(&o.bin_dir).unwrap_or(o.bin_dir);
        if let Some(p) = &o.tray_bin {
            o.tray_bin = Some(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
        }
        if let Some(p) = &o.python {
            o.python = Some(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
        }
        Ok(o)
    }

    /// Whether a part runs.
    pub fn wants(&self, part: &str) -> bool {
        match &self.only {
            Some(list) => list.iter().any(|p| p == part),
            None => match part {
                "tray" => self.tray,
                "python" => self.python.is_some(),
                _ => true,
            },
        }
    }

    /// `quick` or `full` count.
    pub fn n(&self, quick: usize, full: usize) -> usize {
        if self.quick { quick } else { full }
    }
}

fn main() -> std::process::ExitCode {
    let opts = match Opts::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    // The fake DC gets its own runtime (one worker thread), so the load this process generates
    // never queues behind the DC's own tasks in one scheduler.
    let dc_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fake-dc")
        .enable_all()
        .build()
        .expect("dc runtime");
    let dc = dc_rt.block_on(fake_tg_dc::FakeDc::start(fake_tg_dc::World::demo())).expect("fake DC");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let report = rt.block_on(sections::run_all(&dc, &opts));
    drop(dc);
    report.print();
    if let Err(e) = report.write(&opts.out) {
        eprintln!("error: cannot write {}: {e}", opts.out.display());
        return std::process::ExitCode::from(1);
    }
    println!("\nJSON: {}", opts.out.display());
    if report.errors.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!("\n{} part(s) failed:", report.errors.len());
        for e in &report.errors {
            eprintln!("  - {e}");
        }
        std::process::ExitCode::from(1)
    }
}
