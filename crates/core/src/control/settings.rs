//! Settings commands: read the live settings and change any subset of them (with the API credentials).

use super::{ApiCredentialsState, Control, ControlError, SettingsPatch, SettingsSaved, SettingsView};
use crate::config::Settings;
use serde_json::Value;

/// Settings that only apply after the server restarts.
pub const RESTART_FIELDS: &[&str] = &["port", "api_id", "api_hash"];

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
                configured: app.config.api_id.is_some() && app.config.api_hash.is_some(),
                api_id: app.config.api_id.or(stored.api_id),
                api_hash_set: app.config.api_hash.is_some() || stored.api_hash.is_some(),
                stored_in_settings: stored.api_id.is_some() && stored.api_hash.is_some(),
            },
        })
    }

    /// Changes any subset of the settings (and optionally stores `api_id` + `api_hash`).
    /// The tray app applies new credentials at once by restarting its server.
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
            // Validate before anything is written.
            crate::settings::validate_api_credentials(&app.config.session_dir, *id, hash)?;
        }
        let saved = app.update_settings(new)?;
        let mut applied = true;
        if let Some((id, hash)) = creds {
            crate::settings::save_api_credentials(&app.config.session_dir, id, &hash)?;
            applied = false;
            if self.reloader.is_some() {
                self.server_restart().await?;
                applied = true;
            }
        }
        let app = self.app();
        Ok(SettingsSaved {
            settings: saved,
            restart_required: self.restart_required(&app),
            api_credentials_applied: applied,
            api_credentials_configured: app.config.api_id.is_some() && app.config.api_hash.is_some(),
        })
    }
}
