//! The one table of control commands: it generates [`COMMANDS`], the dispatcher [`Control::call`]
//! and, through [`crate::control_commands`], the tray app's IPC registration.

use super::{Control, ControlError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Calls the macro `$then` with every control command, as `name(ArgsType)` or `name()`.
///
/// This is the only list of commands. Each `name` is a method of [`Control`](crate::control::Control)
/// that takes the arguments (deserialised from the command's JSON object) and returns
/// `Result<T, ControlError>` with a serialisable `T`. The core builds `COMMANDS` and
/// `Control::call` from it; the tray app builds one IPC command per name and its
/// `tauri::generate_handler!` list.
#[macro_export]
macro_rules! control_commands {
    ($then:ident) => {
        $then! {
            status(),
            login_start_code($crate::control::StartCodeArgs),
            login_submit_code($crate::control::SubmitCodeArgs),
            login_submit_password($crate::control::SubmitPasswordArgs),
            login_start_qr($crate::control::StartQrArgs),
            login_poll_qr($crate::control::LoginIdArgs),
            login_cancel($crate::control::LoginIdArgs),
            tokens_list(),
            token_create($crate::control::TokenCreateArgs),
            token_reveal($crate::control::TokenIdArgs),
            token_rotate($crate::control::TokenIdArgs),
            token_revoke($crate::control::TokenRevokeArgs),
            token_set_policy($crate::control::TokenPolicyArgs),
            activity_list($crate::activity::Filter),
            approvals_list(),
            chats_pick($crate::control::ChatsPickArgs),
            folders_pick($crate::control::TokenIdArgs),
            message_delete($crate::control::MessageDeleteArgs),
            approval_decide($crate::control::ApprovalDecideArgs),
            session_sign_out($crate::control::SignOutArgs),
            session_merge($crate::control::SessionMergeArgs),
            settings_get(),
            settings_set($crate::control::SettingsPatch),
            server_restart(),
            client_configs($crate::control::ClientConfigsArgs),
            session_import($crate::control::SessionImportArgs),
            backup_create($crate::control::BackupCreateArgs),
            backup_restore($crate::control::BackupRestoreArgs),
            client_setup_list(),
            client_setup_add($crate::client_install::ops::ClientSetupArgs),
            client_setup_remove($crate::client_install::ops::ClientSetupArgs),
        }
    };
}

macro_rules! dispatcher {
    ($($name:ident($($args:ty)?)),* $(,)?) => {
        /// Every command [`Control::call`] understands, in table order.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        impl Control {
            /// Runs `command` with JSON `args` (`null` counts as `{}`) and answers with the JSON of its typed answer.
            pub async fn call(&self, command: &str, args: Value) -> Result<Value, ControlError> {
                let args = if args.is_null() { json!({}) } else { args };
                match command {
                    $(stringify!($name) => to_value(self.$name($(parse::<$args>(args)?)?).await?),)*
                    other => {
                        drop(args);
                        Err(ControlError::UnknownCommand(other.chars().take(64).collect()))
                    }
                }
            }
        }
    };
}

crate::control_commands!(dispatcher);

fn parse<T: DeserializeOwned>(args: Value) -> Result<T, ControlError> {
    serde_json::from_value(args).map_err(|e| ControlError::InvalidInput(format!("invalid arguments: {e}")))
}

fn to_value<T: Serialize>(v: T) -> Result<Value, ControlError> {
    serde_json::to_value(v).map_err(|e| ControlError::Internal(e.to_string()))
}
