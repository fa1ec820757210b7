//! `client_setup_list|add|remove`: the "Add to …" / "Remove" buttons that write our entry into
//! each AI client's own config file (see [`crate::client_install`]).

use super::{Control, ControlError};
use crate::client_install::Change;
use crate::client_install::ops::{self, ClientSetupArgs, ClientSetupList};

impl Control {
    /// Every supported client's config file and whether it has our entry.
    pub async fn client_setup_list(&self) -> Result<ClientSetupList, ControlError> {
        ops::list(self)
    }

    /// Adds our stdio entry (by token id, no secret) to a client's config file.
    pub async fn client_setup_add(&self, a: ClientSetupArgs) -> Result<Change, ControlError> {
        ops::add(self, a)
    }

    /// Removes our entry from a client's config file.
    pub async fn client_setup_remove(&self, a: ClientSetupArgs) -> Result<Change, ControlError> {
        ops::remove(self, a)
    }
}
