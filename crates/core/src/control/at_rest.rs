//! `session_import`, `backup_create`, `backup_restore`: bringing logins in and keeping copies of them.

use super::logins::account_label;
use super::{
    BackupCreateArgs, BackupRestoreArgs, Control, ControlError, ImportedSession, SessionImportArgs, TokenInfo,
};
use crate::telegram::TgError;
use std::path::Path;

impl Control {
    /// Imports a Telethon session file (the Python server's login) as a new session; a file
    /// named by a valid token keeps that token working, otherwise a new token is issued.
    pub async fn session_import(&self, a: SessionImportArgs) -> Result<ImportedSession, ControlError> {
        absolute(&a.path, "the session file's")?;
        let app = self.app();
        let label = a.label.unwrap_or_else(|| "Imported from the Python server".into());
        let imported = crate::import::import_telethon(&app, &a.path, &label)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))?;
        let session_id = imported.record.session_id.clone();
        // Confirm the authorization with Telegram and show whose it is.
        let client = app.sessions.client(&session_id).await?;
        let user = client.raw().get_me().await.map_err(TgError::from)?;
        let account = Some(account_label(&crate::login::account_of(&user)));
        app.tokens.set_account(&session_id, account.clone())?;
        let mut record = TokenInfo::from(imported.record);
        record.account = account;
        Ok(ImportedSession { record, token: imported.new_token.map(|t| t.expose().to_string()) })
    }

    /// Writes a passphrase-encrypted backup of the config dir.
    pub async fn backup_create(&self, a: BackupCreateArgs) -> Result<crate::backup::Summary, ControlError> {
        absolute(&a.path, "the archive's")?;
        crate::backup::create(&self.app(), &a.path, &a.passphrase, a.include_secrets)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))
    }

    /// Restores a backup (refused over a newer state unless `force`).
    pub async fn backup_restore(&self, a: BackupRestoreArgs) -> Result<crate::backup::Summary, ControlError> {
        absolute(&a.path, "the archive's")?;
        crate::backup::restore(&self.app(), &a.path, &a.passphrase, a.force)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))
    }
}

/// Paths come from another process (the CLI, the UI): a relative one would resolve against the owner's cwd.
fn absolute(path: &Path, what: &str) -> Result<(), ControlError> {
    if path.is_absolute() { Ok(()) } else { Err(ControlError::InvalidInput(format!("give {what} absolute path"))) }
}
