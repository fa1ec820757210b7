//! How a CLI command reaches the control operations: through the running owner's socket, or,
//! when no owner runs, in this process while holding the owner lock for the command's length.

use serde_json::Value;
use std::time::Duration;
use tgmcp_core::app::App;
use tgmcp_core::config::Config;
use tgmcp_core::control::{Control, HostKind, ServerState};
use tgmcp_core::keystore::KeyStore;
use tgmcp_core::owner::client::ControlClient;
use tgmcp_core::owner::protocol::WireError;
use tgmcp_core::owner::server::wire_error;
use tgmcp_core::owner::{OwnerError, OwnerKind, OwnerLock};

/// How long a command waits for an owner that is starting or for another command to finish.
const OPEN_WAIT: Duration = Duration::from_secs(30);

/// The control operations, remote or local.
pub enum Ctl {
    /// A running owner does the work.
    Remote(ControlClient),
    /// No owner runs: this process is the owner until the command ends.
    Local {
        /// The operations (boxed: far larger than a socket client).
        control: Box<Control>,
        /// Held for the command's length; dropping it hands the config dir back.
        _lock: OwnerLock,
    },
}

impl Ctl {
    /// Connects to the owner of the config dir, or becomes the owner for this command.
    pub async fn open(config: &Config) -> anyhow::Result<Ctl> {
        let dir = &config.startup.session_dir;
        let deadline = tokio::time::Instant::now() + OPEN_WAIT;
        loop {
            if let Some(client) = ControlClient::connect(dir).await? {
                return Ok(Ctl::Remote(client));
            }
            match OwnerLock::try_acquire(dir, OwnerKind::Cli) {
                Ok(lock) => {
                    let app = App::new(config.clone(), KeyStore::system())?;
                    return Ok(Ctl::Local {
                        control: Box::new(Control::new(app, HostKind::Http, ServerState::default())),
                        _lock: lock,
                    });
                }
                // An owner is starting (locked, socket not up yet) or another command runs.
                Err(OwnerError::AlreadyOwned { .. }) if tokio::time::Instant::now() < deadline => {}
                Err(e) => return Err(e.into()),
            }
            // Bounded polling of another process's lock or socket.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs one control command.
    pub async fn call(&mut self, command: &str, args: Value) -> Result<Value, WireError> {
        match self {
            Ctl::Remote(c) => c.call(command, args).await,
            Ctl::Local { control, .. } => control.call(command, args).await.map_err(|e| wire_error(&e)),
        }
    }

    /// Ends the command: a local owner writes what is pending and closes its Telegram
    /// connections cleanly before giving the config dir back.
    pub async fn close(self) {
        if let Ctl::Local { control, _lock } = self {
            control.app().shutdown().await;
            drop(_lock);
        }
    }
}
