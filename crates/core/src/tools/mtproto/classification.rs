//! Every raw Telegram API method sorted into read, write or dangerous, by naming rules plus a reviewed exceptions table.
//!
//! [`classify`] is the one authority `invoke_mtproto` and the `/mtproto-api` bridge ask before
//! anything is sent; a read-only token scope can ask the same question. A name that no rule and
//! no exception covers is `None`, and callers refuse it: a method added by a future schema layer
//! stays blocked until someone reviews it. The test at the bottom walks the whole bundled schema.
//!
//! Order of the decision (first match wins):
//! 1. [`EXCEPTIONS`]: methods whose name would mislead the rules, each with its reason;
//! 2. namespaces that hold money, login or third-party keys: `auth`, `wallet`, `toncenter`
//!    are dangerous as a whole; in `payments`, `stickers` (creating and editing sticker sets
//!    is irreversible publishing) and `smsjobs`, reads are reads and everything else is dangerous;
//! 3. verbs that destroy: `delete*`, `clear*`, `reset*`, `leave*` → dangerous;
//! 4. verbs that only look: `get*`, `search*`, `check*`, `resolve*`, `load*`, `can*`, `is*`,
//!    `translate*`, `transcribe*`, `summarize*` → read;
//! 5. a write whose name touches account security or Stars (see [`SENSITIVE_WORDS`]) → dangerous;
//! 6. the remaining known write verbs ([`WRITE_VERBS`]) → write.

/// What calling a method can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MethodClass {
    /// Looks only: no change visible to anyone (view counters and similar bookkeeping aside).
    Read,
    /// Changes something that another call can undo or that only affects the user's own view.
    Write,
    /// Spends money or Stars, destroys data irreversibly, hands over control, or changes
    /// the account's login, sessions or privacy. Refused unless the user unlocked it.
    Dangerous,
}

use MethodClass::{Dangerous, Read, Write};

/// Reviewed exceptions to the naming rules: `(method, class, why)`.
const EXCEPTIONS: &[(&str, MethodClass, &str)] = &[
    // Connection wrappers. The wrapper itself does nothing; the wrapped call is classified on its own.
    ("invokeAfterMsg", Read, "wrapper; the inner call is checked"),
    ("invokeAfterMsgs", Read, "wrapper; the inner call is checked"),
    ("invokeWithoutUpdates", Read, "wrapper; the inner call is checked"),
    ("invokeWithMessagesRange", Read, "wrapper; the inner call is checked"),
    ("initConnection", Dangerous, "changes the identity of the live connection (also refused as a connection method)"),
    ("invokeWithLayer", Dangerous, "changes the layer of the live connection (also refused as a connection method)"),
    ("invokeWithTakeout", Dangerous, "runs calls inside a data-export (takeout) session"),
    ("invokeWithBusinessConnection", Dangerous, "acts through someone's business connection"),
    ("invokeWithGooglePlayIntegrity", Dangerous, "login verification wrapper"),
    ("invokeWithApnsSecret", Dangerous, "login verification wrapper"),
    ("invokeWithReCaptcha", Dangerous, "login verification wrapper"),
    ("bots.invokeWebViewCustomMethod", Write, "a call into a mini app the user opened"),
    // Named like reads, but they act.
    ("account.getTmpPassword", Dangerous, "turns the 2FA password into a temporary payment password"),
    (
        "payments.getStarsRevenueWithdrawalUrl",
        Dangerous,
        "starts a withdrawal of Stars revenue (takes the 2FA password)",
    ),
    (
        "payments.getStarGiftWithdrawalUrl",
        Dangerous,
        "starts a withdrawal of a gift to the blockchain (takes the 2FA password)",
    ),
    ("contacts.getLocated", Dangerous, "can publish the user's location to people nearby"),
    ("messages.getBotCallbackAnswer", Write, "presses an inline button: the bot acts on it"),
    ("ephemeral.getCallbackAnswer", Write, "presses an inline button: the bot acts on it"),
    ("messages.getInlineBotResults", Write, "sends the query (and optionally the location) to a bot"),
    ("phone.getGroupCallStreamRtmpUrl", Write, "can revoke the stream key"),
    ("upload.reuploadCdnFile", Read, "part of downloading a file from a CDN"),
    // Named like destruction or security, but harmless.
    ("phone.leaveGroupCall", Write, "hanging up; joining again undoes it"),
    ("phone.leaveGroupCallPresentation", Write, "stops screen sharing"),
    ("account.setContactSignUpNotification", Write, "a notification preference"),
    ("account.updateDeviceLocked", Write, "tells Telegram the device is locked (notification previews)"),
    ("messages.togglePaidReactionPrivacy", Write, "whether the user's name shows on paid reactions; spends nothing"),
    // Named like writes, but irreversible or a hand-over.
    ("messages.acceptUrlAuth", Dangerous, "logs in to a website as the user"),
    ("contacts.acceptContact", Dangerous, "shares the user's phone number"),
    (
        "messages.discardEncryption",
        Dangerous,
        "ends a secret chat and can delete its history, which exists nowhere else",
    ),
    ("messages.migrateChat", Dangerous, "irreversibly turns a group into a supergroup"),
    ("channels.convertToGigagroup", Dangerous, "irreversibly turns a supergroup into a broadcast group"),
    ("bots.exportBotToken", Dangerous, "hands out a bot's token: full control of the bot"),
    ("premium.applyBoost", Dangerous, "moves Premium boosts, with a cooldown before they can move back"),
    ("account.updateConnectedBot", Dangerous, "gives a business bot access to the user's chats"),
    ("account.confirmBotConnection", Dangerous, "gives a bot access to the user's account"),
    (
        "account.registerDevice",
        Dangerous,
        "sends notifications (message previews) to a push endpoint of the caller's choice",
    ),
];

/// Namespaces dangerous as a whole: login and authorization, the TON wallet and its API.
const DANGEROUS_NAMESPACES: &[&str] = &["auth", "wallet", "toncenter"];

/// Namespaces where anything but a read is dangerous: money, published sticker sets, SMS jobs.
const GUARDED_NAMESPACES: &[&str] = &["payments", "stickers", "smsjobs"];

/// Leading verbs that destroy or end something.
const DANGEROUS_VERBS: &[&str] = &["delete", "clear", "reset", "leave"];

/// Leading verbs that only look.
const READ_VERBS: &[&str] =
    &["get", "search", "check", "resolve", "load", "can", "is", "translate", "transcribe", "summarize"];

/// Name parts that make a write dangerous: the 2FA password, passkeys, login email and phone,
/// authorizations and sessions, privacy and self-destruct timers, data exports, Stars and paid
/// features, ownership, Passport data, push devices, sign-in.
const SENSITIVE_WORDS: &[&str] = &[
    "Password",
    "Passkey",
    "Email",
    "Phone",
    "Authorization",
    "Privacy",
    "TTL",
    "Takeout",
    "Paid",
    "Stars",
    "StarGift",
    "StarRef",
    "Creator",
    "Secure",
    "Device",
    "SignIn",
    "SignUp",
];

/// Leading verbs of writes.
const WRITE_VERBS: &[&str] = &[
    "send",
    "edit",
    "set",
    "save",
    "update",
    "toggle",
    "create",
    "upload",
    "import",
    "export",
    "add",
    "join",
    "invite",
    "install",
    "uninstall",
    "reorder",
    "hide",
    "mark",
    "read",
    "received",
    "report",
    "start",
    "request",
    "accept",
    "decline",
    "confirm",
    "pin",
    "unpin",
    "block",
    "unblock",
    "rate",
    "prolong",
    "click",
    "fave",
    "forward",
    "answer",
    "apply",
    "assign",
    "compose",
    "suggest",
    "resend",
    "replace",
    "remove",
    "register",
    "unregister",
    "verify",
    "discard",
    "cancel",
    "restrict",
    "rename",
    "init",
    "finish",
    "increment",
    "invalidate",
    "enable",
    "disable",
    "dismiss",
    "deactivate",
    "append",
    "allow",
    "activate",
    "view",
    "change",
];

/// The class of a TL method given by its exact (canonical) name, e.g. `messages.getHistory`;
/// `None` when no rule or exception covers it (callers must refuse those).
pub fn classify(method: &str) -> Option<MethodClass> {
    if let Some((_, class, _)) = EXCEPTIONS.iter().find(|(m, _, _)| *m == method) {
        return Some(*class);
    }
    let (namespace, short) = method.rsplit_once('.').unwrap_or(("", method));
    let verb = leading_verb(short);
    let is_read = READ_VERBS.contains(&verb);
    if DANGEROUS_NAMESPACES.contains(&namespace) {
        return Some(Dangerous);
    }
    if GUARDED_NAMESPACES.contains(&namespace) {
        return Some(if is_read { Read } else { Dangerous });
    }
    if DANGEROUS_VERBS.contains(&verb) {
        return Some(Dangerous);
    }
    if is_read {
        return Some(Read);
    }
    if !WRITE_VERBS.contains(&verb) {
        return None;
    }
    if SENSITIVE_WORDS.iter().any(|w| short.contains(w)) {
        return Some(Dangerous);
    }
    Some(Write)
}

/// The lowercase start of a camelCase name: `getHistory` → `get`, `search` → `search`.
fn leading_verb(short: &str) -> &str {
    let end = short.find(|c: char| !c.is_ascii_lowercase()).unwrap_or(short.len());
    &short[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::mtproto::schema::schema;

    /// Methods that must never run without the user's unlock. Every entry of the old hand-kept
    /// denylist is here, plus spending, login and irreversible calls found since.
    const MUST_BE_DANGEROUS: &[&str] = &[
        "account.deleteAccount",
        "account.setAccountTTL",
        "account.changePhone",
        "account.sendChangePhoneCode",
        "account.updatePasswordSettings",
        "account.resetPassword",
        "account.getTmpPassword",
        "account.verifyEmail",
        "account.deletePasskey",
        "account.registerPasskey",
        "account.setPrivacy",
        "account.setGlobalPrivacySettings",
        "account.resetAuthorization",
        "account.resetWebAuthorization",
        "account.resetWebAuthorizations",
        "account.setAuthorizationTTL",
        "account.changeAuthorizationSettings",
        "account.acceptAuthorization",
        "account.saveSecureValue",
        "account.initTakeoutSession",
        "account.registerDevice",
        "account.updateConnectedBot",
        "auth.logOut",
        "auth.resetAuthorizations",
        "auth.recoverPassword",
        "auth.acceptLoginToken",
        "auth.exportAuthorization",
        "auth.exportLoginToken",
        "auth.importAuthorization",
        "auth.dropTempAuthKeys",
        "auth.bindTempAuthKey",
        "messages.acceptUrlAuth",
        "messages.deleteMessages",
        "messages.deleteHistory",
        "messages.deleteChat",
        "messages.deleteChatUser",
        "messages.deleteScheduledMessages",
        "messages.deleteSavedHistory",
        "messages.deletePhoneCallHistory",
        "messages.deleteTopicHistory",
        "messages.setHistoryTTL",
        "messages.setDefaultHistoryTTL",
        "messages.editChatCreator",
        "messages.sendPaidReaction",
        "messages.clearAllDrafts",
        "messages.discardEncryption",
        "messages.migrateChat",
        "channels.deleteMessages",
        "channels.deleteHistory",
        "channels.deleteChannel",
        "channels.deleteParticipantHistory",
        "channels.leaveChannel",
        "channels.convertToGigagroup",
        "chatlists.leaveChatlist",
        "contacts.deleteContacts",
        "contacts.deleteByPhones",
        "contacts.resetSaved",
        "contacts.acceptContact",
        "contacts.getLocated",
        "photos.deletePhotos",
        "stories.deleteStories",
        "stickers.createStickerSet",
        "stickers.deleteStickerSet",
        "bots.exportBotToken",
        "payments.sendPaymentForm",
        "payments.sendStarsForm",
        "payments.transferStarGift",
        "payments.convertStarGift",
        "payments.upgradeStarGift",
        "payments.craftStarGift",
        "payments.refundStarsCharge",
        "payments.getStarsRevenueWithdrawalUrl",
        "payments.getStarGiftWithdrawalUrl",
        "payments.applyGiftCode",
        "payments.launchPrepaidGiveaway",
        "payments.sendStarGiftOffer",
        "premium.applyBoost",
        "smsjobs.join",
        "wallet.sendTransfer",
        "wallet.exportSecretPhrase",
        "wallet.fetchEncryptedSecretPhrasePart",
        "wallet.replaceWallet",
        "wallet.disableBackup",
        "toncenter.performApiRequest",
        "initConnection",
        "invokeWithLayer",
        "invokeWithTakeout",
    ];

    /// What the regular tools do through the raw API must stay usable without an unlock.
    const MUST_BE_READ: &[&str] = &[
        "messages.getHistory",
        "messages.search",
        "users.getFullUser",
        "contacts.resolveUsername",
        "channels.getParticipants",
        "upload.getFile",
        "updates.getState",
        "help.getConfig",
        "payments.getStarsStatus",
    ];
    const MUST_BE_WRITE: &[&str] = &[
        "messages.sendMessage",
        "messages.editMessage",
        "messages.readHistory",
        "messages.forwardMessages",
        "channels.joinChannel",
        "contacts.block",
        "account.updateProfile",
        "upload.saveFilePart",
    ];

    #[test]
    fn every_method_of_the_bundled_schema_is_classified() {
        let methods: Vec<&str> = schema().defs().iter().filter(|d| d.function).map(|d| d.name.as_str()).collect();
        assert!(methods.len() > 800, "{} methods", methods.len());
        let unclassified: Vec<&str> = methods.iter().copied().filter(|m| classify(m).is_none()).collect();
        assert!(unclassified.is_empty(), "unclassified methods (add a rule or a reviewed exception): {unclassified:?}");
    }

    #[test]
    fn dangerous_methods_are_dangerous_and_everyday_ones_are_not() {
        let s = schema();
        for m in MUST_BE_DANGEROUS {
            assert_eq!(s.method(m).map(|d| d.name.as_str()), Ok(*m), "{m} is a canonical schema name");
            assert_eq!(classify(m), Some(Dangerous), "{m}");
        }
        for m in MUST_BE_READ {
            assert_eq!(classify(m), Some(Read), "{m}");
        }
        for m in MUST_BE_WRITE {
            assert_eq!(classify(m), Some(Write), "{m}");
        }
    }

    #[test]
    fn exceptions_name_real_methods_once() {
        let s = schema();
        let mut seen = std::collections::HashSet::new();
        for (m, _, why) in EXCEPTIONS {
            assert_eq!(s.method(m).map(|d| d.name.as_str()), Ok(*m), "{m}");
            assert!(seen.insert(m), "{m} listed twice");
            assert!(!why.is_empty());
        }
    }

    #[test]
    fn unknown_names_and_verbs_are_unclassified() {
        assert_eq!(classify("messages.frobnicateHistory"), None);
        assert_eq!(classify("frobnicate"), None);
        assert_eq!(classify(""), None);
        // Non-canonical spellings are not guessed here; callers canonicalise through the schema first.
        assert_eq!(classify("Account.DeleteAccount"), None);
    }
}
