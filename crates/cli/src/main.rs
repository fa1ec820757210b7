//! `fast-mcp-telegram`: the headless server and setup tool.

mod client;
mod ctl;
mod owner;
mod tokens;

use clap::{Parser, Subcommand};
use ctl::Ctl;
use serde_json::json;
use tgmcp_core::config::{Config, Transport};
use tgmcp_core::control::LoginOutcome;
use tokens::{ActivityArgs, TokenAction};

#[derive(Parser)]
#[command(
    name = "fast-mcp-telegram",
    version,
    about = "Let your AI assistants use your own Telegram account, safely.",
    long_about = "fast-mcp-telegram is an MCP (Model Context Protocol) server for your Telegram user account.\n\n\
Quick start:\n  \
fast-mcp-telegram serve --transport http\n      \
prints the MCP endpoint and a /setup link: open it in your browser to enter API_ID/API_HASH,\n      \
log in, make tokens and copy client configs.\n\
Or all from the terminal (API_ID and API_HASH from https://my.telegram.org/apps in the environment or .env):\n  \
fast-mcp-telegram login --label \"Claude\"      phone, code, 2FA password (or --qr); prints a token once\n  \
fast-mcp-telegram token list | new | edit | rotate | revoke | show\n\n\
Configuration comes from the environment and .env; see .env.example."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the MCP server.
    Serve {
        /// stdio (one local client) or http (localhost, bearer tokens). Default: SERVER_MODE or stdio.
        #[arg(long, value_parser = ["stdio", "http"])]
        transport: Option<String>,
        /// HTTP bind address (default HOST or 127.0.0.1).
        #[arg(long)]
        host: Option<std::net::IpAddr>,
        /// HTTP port (default PORT or 8000; 0 picks a free port).
        #[arg(long)]
        port: Option<u16>,
        /// stdio: act as this token id (`tok_…`, see `token list`); no secret needed, since
        /// stdio talks to the owner process over an owner-only local socket.
        #[arg(long)]
        token_id: Option<String>,
    },
    /// Run the owner of the config dir in the background (stdio clients start it when needed).
    Agent {
        #[command(subcommand)]
        action: Option<AgentAction>,
        /// Started by a stdio client: exit quietly if another owner runs, and after
        /// AGENT_IDLE_EXIT_SECONDS without clients.
        #[arg(long)]
        background: bool,
        /// Exit after this many seconds without clients (0: never).
        #[arg(long)]
        idle_exit: Option<u64>,
    },
    /// Log in to Telegram (phone → code → 2FA password, or QR) and get a token for that session.
    Login {
        /// Log in the session of this existing token id instead of creating a new token.
        #[arg(long)]
        token_id: Option<String>,
        /// Label of the new token.
        #[arg(long, default_value = "CLI login")]
        label: String,
        /// Phone number (international format); asked interactively if missing.
        #[arg(long, env = "PHONE_NUMBER")]
        phone: Option<String>,
        /// Log in by scanning a QR code with the Telegram app instead of a code.
        #[arg(long)]
        qr: bool,
    },
    /// Sign a token's session out of Telegram, delete its session file and revoke its tokens.
    Logout {
        /// Token id (tok_…).
        token_id: String,
    },
    /// Bring a login over from the Python fast-mcp-telegram server: imports its Telethon session
    /// file (`~/.config/fast-mcp-telegram/<token>.session`); a file named by a token keeps that
    /// token working, otherwise a new token is printed.
    ImportSession {
        /// The Telethon `.session` file.
        path: std::path::PathBuf,
        /// Label of the token.
        #[arg(long)]
        label: Option<String>,
    },
    /// Write a passphrase-encrypted backup (sessions, tokens, settings) to FILE.
    Backup {
        /// The archive to write (0600).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Also include the token secrets from the OS keyring.
        #[arg(long)]
        include_secrets: bool,
    },
    /// Restore a backup made with `backup` (asks for its passphrase).
    Restore {
        /// The archive.
        file: std::path::PathBuf,
        /// Restore even when this config dir changed after the backup was made.
        #[arg(long)]
        force: bool,
    },
    /// Manage bearer tokens (each token selects its own Telegram session) and what each may do.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Show what assistants did: the activity log, newest first.
    Activity(ActivityArgs),
    /// Add this server to an AI client's config file (Claude Desktop, Claude Code, Cursor, VS Code,
    /// Windsurf, Codex), remove it, or list which clients have it.
    Client {
        #[command(subcommand)]
        action: client::ClientAction,
    },
}

#[derive(Subcommand)]
enum AgentAction {
    /// Ask a running background agent to exit.
    Stop,
    /// Show which process owns the config dir (exit code 1 when none does).
    Status,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config.startup.log_level);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match rt.block_on(run(cli, &mut config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},grammers=warn,rmcp=warn,hyper=warn")));
    // Logs go to stderr: stdout is the MCP protocol in stdio mode.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn run(cli: Cli, config: &mut Config) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { transport, host, port, token_id } => {
            if let Some(t) = transport {
                config.startup.transport = if t == "http" { Transport::Http } else { Transport::Stdio };
            }
            if let Some(h) = host {
                config.startup.host = h;
            }
            if let Some(p) = port {
                config.settings.port = p;
            }
            match config.startup.transport {
                Transport::Stdio => owner::serve_stdio(config, token_id).await,
                Transport::Http => owner::serve_http(config).await,
            }
        }
        Command::Agent { action: None, background, idle_exit } => owner::agent(config, background, idle_exit).await,
        Command::Agent { action: Some(AgentAction::Stop), .. } => owner::agent_stop(config).await,
        Command::Agent { action: Some(AgentAction::Status), .. } => {
            if owner::agent_status(config).await? {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Token { action } => tokens::token_command(action, config).await,
        Command::Activity(args) => tokens::activity_command(args, config).await,
        Command::Client { action } => client::run(action, config).await,
        Command::Backup { out, include_secrets } => {
            let out = absolute(&out)?;
            let passphrase = passphrase(true)?;
            let mut ctl = Ctl::open(config).await?;
            let r = ctl
                .call(
                    "backup_create",
                    json!({ "path": out, "passphrase": passphrase, "include_secrets": include_secrets }),
                )
                .await;
            ctl.close().await;
            let r = r?;
            eprintln!(
                "backup written to {}: {} sessions, {} tokens, {} token secrets",
                out.display(),
                r["sessions"],
                r["tokens"],
                r["secrets"]
            );
            Ok(())
        }
        Command::Restore { file, force } => {
            let file = std::fs::canonicalize(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let passphrase = passphrase(false)?;
            let mut ctl = Ctl::open(config).await?;
            let r = ctl.call("backup_restore", json!({ "path": file, "passphrase": passphrase, "force": force })).await;
            ctl.close().await;
            let r = r?;
            eprintln!(
                "restored {} sessions and {} tokens ({} token secrets into the keyring)",
                r["sessions"], r["tokens"], r["secrets"]
            );
            Ok(())
        }
        Command::ImportSession { path, label } => {
            let path = std::fs::canonicalize(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let mut ctl = Ctl::open(config).await?;
            let out = ctl.call("session_import", json!({ "path": path, "label": label })).await;
            ctl.close().await;
            let out = out?;
            let rec = &out["record"];
            eprintln!(
                "imported as session {} for {}; token id: {}",
                rec["session_id"].as_str().unwrap_or_default(),
                rec["account"].as_str().unwrap_or("(unknown account)"),
                rec["id"].as_str().unwrap_or_default()
            );
            match out["token"].as_str() {
                Some(t) => println!("{t}"),
                None => eprintln!("The token in the file's name works here now, as before."),
            }
            Ok(())
        }
        Command::Login { token_id, label, phone, qr } => login_command(config, token_id, &label, phone, qr).await,
        Command::Logout { token_id } => {
            let mut ctl = Ctl::open(config).await?;
            let out = ctl.call("session_sign_out", json!({ "token_id": token_id })).await?;
            ctl.close().await;
            for id in out["revoked"].as_array().into_iter().flatten() {
                println!("revoked {}", id.as_str().unwrap_or_default());
            }
            println!("signed out and deleted session {}", out["signed_out"].as_str().unwrap_or_default());
            Ok(())
        }
    }
}

/// An absolute path for `p` (relative to the current directory), which need not exist yet.
fn absolute(p: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    Ok(if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir()?.join(p) })
}

/// The backup passphrase: hidden entry (twice for a new backup) on a terminal, one line otherwise.
fn passphrase(new: bool) -> anyhow::Result<String> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return prompt("Backup passphrase: ");
    }
    let first = rpassword::prompt_password("Backup passphrase: ")?;
    if new && rpassword::prompt_password("Again: ")? != first {
        anyhow::bail!("the passphrases differ");
    }
    Ok(first)
}

fn prompt(question: &str) -> anyhow::Result<String> {
    use std::io::Write;
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line)? == 0 {
        anyhow::bail!("input closed");
    }
    Ok(line.trim().to_string())
}

fn print_qr(url: &str) -> anyhow::Result<()> {
    let code = qrcode::QrCode::new(url.as_bytes())?;
    let text = code.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build();
    eprintln!("\nScan with Telegram on your phone: Settings → Devices → Link Desktop Device\n{text}");
    Ok(())
}

async fn login_command(
    config: &Config,
    token_id: Option<String>,
    label: &str,
    phone: Option<String>,
    qr: bool,
) -> anyhow::Result<()> {
    use tgmcp_core::login::LoginStep;
    let mut ctl = Ctl::open(config).await?;
    let step = |v: serde_json::Value| -> anyhow::Result<LoginOutcome> { Ok(serde_json::from_value(v)?) };
    let mut outcome = if qr {
        step(ctl.call("login_start_qr", json!({ "label": label, "token_id": token_id })).await?)?
    } else {
        let phone = match phone {
            Some(p) => p,
            None => prompt("Phone number (international format, e.g. +15551234567): ")?,
        };
        step(ctl.call("login_start_code", json!({ "phone": phone, "label": label, "token_id": token_id })).await?)?
    };
    let mut last_qr = String::new();
    loop {
        // A wrong code or password keeps the flow: ask again.
        let retry = |r: Result<serde_json::Value, tgmcp_core::owner::protocol::WireError>,
                     again: &LoginStep|
         -> anyhow::Result<LoginOutcome> {
            match r {
                Err(e) if e.code == "invalid_code" || e.code == "invalid_password" => {
                    eprintln!("{}; try again.", e.message);
                    Ok(LoginOutcome {
                        step: again.clone(),
                        issued: None,
                        existing_token: None,
                        same_account: Vec::new(),
                    })
                }
                other => step(other?),
            }
        };
        outcome = match &outcome.step {
            LoginStep::Code { login_id } => {
                let code = prompt("Login code (sent to your Telegram app): ")?;
                retry(
                    ctl.call("login_submit_code", json!({ "login_id": login_id, "code": code })).await,
                    &outcome.step,
                )?
            }
            LoginStep::Password { login_id, hint } => {
                let q = match hint {
                    Some(h) => format!("2FA password (hint: {h}): "),
                    None => "2FA password: ".into(),
                };
                // Hidden entry on a terminal; a plain line when scripted (stdin is a pipe).
                let password = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                    rpassword::prompt_password(q)?
                } else {
                    prompt(&q)?
                };
                retry(
                    ctl.call("login_submit_password", json!({ "login_id": login_id, "password": password })).await,
                    &outcome.step,
                )?
            }
            LoginStep::Qr { login_id, url, .. } => {
                if *url != last_qr {
                    print_qr(url)?;
                    last_qr = url.clone();
                }
                // poll_qr long-polls and refreshes the code itself.
                step(ctl.call("login_poll_qr", json!({ "login_id": login_id })).await?)?
            }
            LoginStep::Done { account, .. } => {
                eprintln!("Logged in as {}", account.label());
                match (&outcome.issued, &outcome.existing_token) {
                    (Some(issued), _) => tokens::print_issued(issued),
                    (None, Some(t)) => eprintln!("Token {} now uses this account.", t.id),
                    (None, None) => {}
                }
                ctl.close().await;
                return Ok(());
            }
        };
    }
}
