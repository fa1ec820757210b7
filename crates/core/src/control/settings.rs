//! Settings commands: read the live settings and change any subset of them (with the API credentials).

use super::{ApiCredentialsState, Control, ControlError, SettingsPatch, SettingsSaved, SettingsView};
use crate::config::Settings;
use serde_json::Value;

/// Settings that only apply after the server restarts (the tray app restarts its server by
/// itself; the API credentials apply at once everywhere).
pub const RESTART_FIELDS: &[&str] = &["port"];

impl Control {
    /// The live settings, which of them wait for a restart, and the credential state.
    pub async fn settings_get(&self) -> Result<SettingsView, ControlError> {
        let app = self.app();
        let stored = crate::settings::read_api_credentials(&app.config.session_dir);
        Ok(SettingsView {
            settings: app.settings(),
            restart_fields: RESTART_FIELDS,
            env_fixed: app.env_fixed().to_vec(),
            restart_required: self.restart_required(&app),
            running_port: self.server().addr.map(|a| a.port()),
            can_restart: self.reloader.is_some(),
            api: ApiCredentialsState {
                configured: app.api_configured(),
                api_id: app.api_credentials().0.or(stored.api_id),
                api_hash_set: app.api_credentials().1.is_some() || stored.api_hash.is_some(),
                stored_in_settings: stored.api_id.is_some() && stored.api_hash.is_some(),
            },
        })
    }

    /// Changes any subset of the settings (and optionally stores `api_id` + `api_hash`).
    /// New credentials apply at once: the tray app restarts its server, other owners switch their
    /// logins and new connections to them in place. Credentials the environment sets are refused.
    pub async fn settings_set(&self, args: SettingsPatch) -> Result<SettingsSaved, ControlError> {
        let Value::Object(mut patch) = args else {
            return Err(ControlError::InvalidInput("settings_set expects an object".into()));
        };
        let api_id = patch.remove("api_id");
        let api_hash = patch.remove("api_hash");
        let app = self.app();
        let mut current = serde_json::to_value(app.settings()).map_err(|e| ControlError::Internal(e.to_string()))?;
        let obj = current.as_object_mut().expect("settings serialise to an object");
        for (k, v) in patch {
            if !obj.contains_key(&k) {
                return Err(ControlError::InvalidInput(format!(
                    "unknown setting {:?}",
                    k.chars().take(64).collect::<String>()
                )));
            }
            obj.insert(k, v);
        }
        let new: Settings = serde_json::from_value(current)
            .map_err(|e| ControlError::InvalidInput(format!("invalid settings: {e}")))?;
        let creds = match (api_id, api_hash) {
            (None, None) => None,
            (Some(id), Some(hash)) => {
                let id = match &id {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| {
                    ControlError::InvalidInput(
                        "invalid value for API_ID: must be a positive integer from my.telegram.org".into(),
                    )
                })?;
                let hash = hash
                    .as_str()
                    .ok_or_else(|| ControlError::InvalidInput("invalid value for API_HASH: must be a string".into()))?
                    .to_string();
                Some((id, hash))
            }
            _ => {
                return Err(ControlError::InvalidInput("give both api_id and api_hash".into()));
            }
        };
        if let Some((id, hash)) = &creds {
            if app.api_from_env() {
                return Err(ControlError::InvalidInput(
                    "API_ID and API_HASH are set in the environment (or .env), which wins at every start; change them there".into(),
                ));
            }
            // Validate before anything is written.
            crate::settings::validate_api_credentials(&app.config.session_dir, *id, hash)?;
        }
        let saved = app.update_settings(new)?;
        if let Some((id, hash)) = creds {
            crate::settings::save_api_credentials(&app.config.session_dir, id, &hash)?;
            if self.reloader.is_some() {
                self.server_restart().await?;
            } else {
                // As stored (hash trimmed, lowercase), so this run and the next use the same.
                let (_, hash) = crate::settings::validate_api_credentials(&app.config.session_dir, id, &hash)?;
                app.apply_api_credentials(id, hash);
            }
        }
        let app = self.app();
        Ok(SettingsSaved {
            settings: saved,
            restart_required: self.restart_required(&app),
            api_credentials_applied: true,
            api_credentials_configured: app.api_configured(),
        })
    }
}
