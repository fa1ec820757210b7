//! Which raw calls a token limited to some chats (an allow- or denylist) may make. Every chat a
//! call names is checked on its own (peer specs once resolved, explicit constructors and bare ids
//! before anything is sent), and every answer is confined to the scope ([`super::scrub`]); what
//! this adds is the calls that name no chat: they reach chats by message id or act on the whole
//! account, so a write must name the chats it acts on, and a read may name none only when its
//! answer is a list of chats or messages that the scrub confines to the scope.

use super::MethodClass;
use crate::policy::ACTION_WIDEN_POLICY;
use crate::tools::ToolError;

/// Reads that name no chat but answer with dialogs or messages only (confined by the scrub).
const SPANNING_READS: &[&str] = &[
    "messages.getDialogs",
    "messages.getPinnedDialogs",
    "messages.getMessages",
    "messages.search",
    "messages.searchGlobal",
];

/// Wrappers that only change how their inner query runs.
const NEUTRAL_WRAPPERS: &[&str] = &["invokeWithoutUpdates"];

/// Refuses a raw call of `methods` (outermost first) that names no chat, for a token limited to
/// some chats: writes always, reads unless each method is one of the [`SPANNING_READS`].
pub(super) fn check_unnamed(
    methods: &[String],
    class: Option<MethodClass>,
    names_a_chat: bool,
) -> Result<(), ToolError> {
    if names_a_chat {
        return Ok(());
    }
    let method = methods.last().map(String::as_str).unwrap_or_default();
    let why = if class.is_some_and(|c| c >= MethodClass::Write) {
        "acts on the account or reaches chats by message id without naming them"
    } else if methods.iter().all(|m| SPANNING_READS.contains(&m.as_str()) || NEUTRAL_WRAPPERS.contains(&m.as_str())) {
        return Ok(());
    } else {
        "names no chat, and its answer is not a list of chats or messages this server can hold to the token's chats"
    };
    Err(ToolError::forbidden(
        format!(
            "{method} {why}, which a token limited to some chats cannot do. Name the chat (peer) the call is about, \
             or ask the user to widen this token's chat scope"
        ),
        ACTION_WIDEN_POLICY,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methods(m: &[&str]) -> Vec<String> {
        m.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn calls_that_name_no_chat() {
        // A named chat is checked elsewhere: nothing to add.
        assert!(check_unnamed(&methods(&["messages.readMessageContents"]), Some(MethodClass::Write), true).is_ok());
        // Writes must name their chats (message ids alone reach any private chat or basic group).
        let e = check_unnamed(&methods(&["messages.deleteMessages"]), Some(MethodClass::Write), false).unwrap_err();
        assert_eq!(e.action(), Some(ACTION_WIDEN_POLICY));
        assert!(e.to_string().contains("messages.deleteMessages"), "{e}");
        // Listing reads are confined by the scrub; other reads are refused.
        assert!(check_unnamed(&methods(&["messages.getDialogs"]), Some(MethodClass::Read), false).is_ok());
        let wrapped = methods(&["invokeWithoutUpdates", "messages.getMessages"]);
        assert!(check_unnamed(&wrapped, Some(MethodClass::Read), false).is_ok());
        assert!(check_unnamed(&methods(&["contacts.getContacts"]), Some(MethodClass::Read), false).is_err());
        assert!(check_unnamed(&methods(&["account.getAuthorizations"]), Some(MethodClass::Read), false).is_err());
        let smuggled = methods(&["invokeWithoutUpdates", "contacts.getContacts"]);
        assert!(check_unnamed(&smuggled, Some(MethodClass::Read), false).is_err());
    }
}
