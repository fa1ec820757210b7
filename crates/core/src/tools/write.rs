//! `send_message`, `edit_message`, `send_message_to_phone`: formatting
//! (auto/markdown/html/plain), splitting past 4096 characters without breaking
//! entities, replies, forum topics, channel comments, files and albums.

use super::files::{FileError, FileSource, allowed_roots, classify_source, read_local};
use super::format::{self, Peers};
use super::params::{EditMessageParams, ParseMode, SendMessageParams, SendToPhoneParams};
use super::{ToolCtx, ToolError, ToolOutput};
use crate::config::Transport;
use crate::telegram::{TgClient, TgError};
use grammers_client::media::InputMedia;
use grammers_client::message::InputMessage;
use grammers_client::tl;
use grammers_session::types::{PeerId, PeerRef};
use serde_json::{Value, json};

/// Telegram's limit on message text, in UTF-16 code units.
pub const MAX_TEXT: usize = 4096;
/// Telegram's limit on media captions, in UTF-16 code units.
pub const MAX_CAPTION: usize = 1024;
/// Most files in one album.
pub const MAX_ALBUM: usize = 10;

type Entities = Vec<tl::enums::MessageEntity>;

/// Parses text into plain text + entities according to the parse mode.
pub fn parse_text(text: &str, mode: ParseMode) -> (String, Entities) {
    let mode = match mode {
        ParseMode::Auto => detect_mode(text),
        m => m,
    };
    match mode {
        ParseMode::Html => grammers_client::parsers::parse_html_message(text),
        ParseMode::Markdown => grammers_client::parsers::parse_markdown_message(&hard_line_breaks(text)),
        _ => (text.to_string(), Vec::new()),
    }
}

/// Turns every single line break outside fenced code blocks into a Markdown hard break (two
/// spaces before it): grammers' Markdown parser drops CommonMark soft breaks, which would glue
/// the lines of a chat message together ("a\nb" became "ab").
fn hard_line_breaks(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::with_capacity(text.len() + lines.len() * 2);
    let mut in_fence = false;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let Some(next) = lines.get(i + 1) else { break };
        if !in_fence && !line.trim().is_empty() && !next.trim().is_empty() && !next.trim_start().starts_with("```") {
            out.push_str("  ");
        }
        out.push('\n');
    }
    out
}

/// `auto`: HTML when the text has HTML tags Telegram understands, Markdown when it has Markdown marks, else plain.
pub fn detect_mode(text: &str) -> ParseMode {
    const TAGS: &[&str] = &[
        "<b>",
        "<i>",
        "<u>",
        "<s>",
        "<a href=",
        "<code>",
        "<pre>",
        "<strong>",
        "<em>",
        "<blockquote>",
        "<tg-spoiler>",
        "</",
    ];
    let lower = text.to_ascii_lowercase();
    if TAGS.iter().any(|t| lower.contains(t)) {
        return ParseMode::Html;
    }
    let md = text.contains("**")
        || text.contains("__")
        || text.contains('`')
        || text.contains("~~")
        || (text.contains("](") && text.contains('['));
    if md { ParseMode::Markdown } else { ParseMode::Plain }
}

macro_rules! with_range {
    ($e:expr, |$i:ident| $body:expr) => {
        match $e {
            tl::enums::MessageEntity::Unknown($i) => $body,
            tl::enums::MessageEntity::Mention($i) => $body,
            tl::enums::MessageEntity::Hashtag($i) => $body,
            tl::enums::MessageEntity::BotCommand($i) => $body,
            tl::enums::MessageEntity::Url($i) => $body,
            tl::enums::MessageEntity::Email($i) => $body,
            tl::enums::MessageEntity::Bold($i) => $body,
            tl::enums::MessageEntity::Italic($i) => $body,
            tl::enums::MessageEntity::Code($i) => $body,
            tl::enums::MessageEntity::Pre($i) => $body,
            tl::enums::MessageEntity::TextUrl($i) => $body,
            tl::enums::MessageEntity::MentionName($i) => $body,
            tl::enums::MessageEntity::InputMessageEntityMentionName($i) => $body,
            tl::enums::MessageEntity::Phone($i) => $body,
            tl::enums::MessageEntity::Cashtag($i) => $body,
            tl::enums::MessageEntity::Underline($i) => $body,
            tl::enums::MessageEntity::Strike($i) => $body,
            tl::enums::MessageEntity::BankCard($i) => $body,
            tl::enums::MessageEntity::Spoiler($i) => $body,
            tl::enums::MessageEntity::CustomEmoji($i) => $body,
            tl::enums::MessageEntity::Blockquote($i) => $body,
            tl::enums::MessageEntity::FormattedDate($i) => $body,
            tl::enums::MessageEntity::DiffInsert($i) => $body,
            tl::enums::MessageEntity::DiffReplace($i) => $body,
            tl::enums::MessageEntity::DiffDelete($i) => $body,
            tl::enums::MessageEntity::TonAddress($i) => $body,
        }
    };
}

/// Splits text into chunks of at most `max` UTF-16 units, preferring paragraph, line and word
/// boundaries; entities are clipped to each chunk and re-based, so formatting survives the split.
pub fn split_text(text: &str, entities: &Entities, max: usize) -> Vec<(String, Entities)> {
    let units: Vec<(usize, usize)> = text.char_indices().map(|(b, c)| (b, c.len_utf16())).collect();
    let total_u16: usize = units.iter().map(|u| u.1).sum();
    if total_u16 <= max {
        return vec![(text.to_string(), entities.clone())];
    }
    let mut chunks = Vec::new();
    let (mut start_char, mut start_u16) = (0usize, 0usize);
    while start_char < units.len() {
        // Furthest char index that fits.
        let (mut end_char, mut used) = (start_char, 0usize);
        while end_char < units.len() && used + units[end_char].1 <= max {
            used += units[end_char].1;
            end_char += 1;
        }
        if end_char < units.len() {
            // Prefer a break after "\n\n", then "\n", then " ", in the second half of the chunk.
            let slice_from = units[start_char].0;
            let slice_to = units[end_char].0;
            let window = &text[slice_from..slice_to];
            let min_keep = window.len() / 2;
            let cut = ["\n\n", "\n", " "]
                .iter()
                .find_map(|sep| window.rfind(sep).filter(|&p| p >= min_keep).map(|p| p + sep.len()));
            if let Some(cut_byte) = cut {
                let abs = slice_from + cut_byte;
                let new_end = units.partition_point(|u| u.0 < abs);
                used = units[start_char..new_end].iter().map(|u| u.1).sum();
                end_char = new_end;
            }
        }
        let from_b = units[start_char].0;
        let to_b = if end_char < units.len() { units[end_char].0 } else { text.len() };
        let (lo, hi) = (start_u16 as i32, (start_u16 + used) as i32);
        let mut ents = Vec::new();
        for e in entities {
            let (o, l) = (e.offset(), e.length());
            let (s, t) = (o.max(lo), (o + l).min(hi));
            if s < t {
                let mut e = e.clone();
                with_range!(&mut e, |i| {
                    i.offset = s - lo;
                    i.length = t - s;
                });
                ents.push(e);
            }
        }
        chunks.push((text[from_b..to_b].to_string(), ents));
        start_char = end_char;
        start_u16 += used;
    }
    chunks
}

/// Where to post: the chat and the message/topic to reply to (channel posts map to their discussion group).
async fn target(client: &TgClient, chat: PeerRef, reply_to: Option<i32>) -> Result<(PeerRef, Option<i32>), ToolError> {
    let Some(root) = reply_to else { return Ok((chat, None)) };
    if root <= 0 {
        return Err(ToolError::invalid("reply_to_id must be a positive message id"));
    }
    if !super::read::is_broadcast(client, &chat).await {
        return Ok((chat, Some(root)));
    }
    // A reply to a channel post is a comment in the linked discussion group.
    let (group, root) = super::read::discussion_of(client, &chat, root).await?;
    Ok((group, Some(root)))
}

/// A file to attach, fetched or read and uploaded.
struct Upload {
    uploaded: grammers_client::media::Uploaded,
    is_image: bool,
    mime: Option<String>,
}

/// A file's bytes, downloaded or read after every check.
struct Prepared {
    bytes: Vec<u8>,
    name: String,
    mime: Option<String>,
}

fn file_error(f: &str, e: FileError) -> ToolError {
    ToolError::invalid(format!("{f}: {e}"))
}

/// Decides URL or local path for every entry (one decision point), refuses local paths outside
/// stdio and outside the allowed folders, and downloads or reads everything before anything is sent.
async fn prepare_files(ctx: &ToolCtx, files: &[String]) -> Result<Vec<Prepared>, ToolError> {
    if files.len() > MAX_ALBUM {
        return Err(ToolError::invalid(format!("at most {MAX_ALBUM} files per message")));
    }
    let sources =
        files.iter().map(|f| classify_source(f).map_err(|e| file_error(f, e))).collect::<Result<Vec<_>, _>>()?;
    let first_local = files.iter().zip(&sources).find(|(_, s)| matches!(s, FileSource::Local(_))).map(|(f, _)| f);
    if let Some(f) = first_local
        && ctx.identity.transport != Transport::Stdio
    {
        return Err(file_error(f, FileError::LocalOverHttp));
    }
    let roots = match first_local {
        Some(_) => Some(allowed_roots(ctx).await),
        None => None,
    };
    let settings = ctx.app.settings();
    let max = settings.max_file_size_mb * 1024 * 1024;
    let mut out = Vec::new();
    for (f, source) in files.iter().zip(sources) {
        out.push(match (source, &roots) {
            (FileSource::Url(url), _) => {
                let policy = tgmcp_safe_fetch::FetchPolicy {
                    allow_http: settings.allow_http_urls,
                    block_private_ips: settings.block_private_ips,
                    max_bytes: max,
                    ..Default::default()
                };
                let got = tgmcp_safe_fetch::fetch(url.as_str(), &policy)
                    .await
                    .map_err(|e| ToolError::invalid(format!("cannot download {f}: {e}")))?;
                Prepared { bytes: got.bytes.to_vec(), name: got.file_name, mime: got.content_type }
            }
            (FileSource::Local(path), Some(roots)) => {
                let (roots, dir) = (roots.clone(), ctx.app.config.session_dir.clone());
                let read = tokio::task::spawn_blocking(move || read_local(&path, &roots, &dir, max))
                    .await
                    .map_err(|e| ToolError::internal(format!("reading {f} failed: {e}")))?;
                let file = read.map_err(|e| file_error(f, e))?;
                Prepared { bytes: file.bytes, name: file.name, mime: None }
            }
            (FileSource::Local(_), None) => unreachable!("roots are looked up when there is a local file"),
        });
    }
    Ok(out)
}

async fn upload_all(client: &TgClient, files: Vec<Prepared>) -> Result<Vec<Upload>, ToolError> {
    let mut out = Vec::new();
    for Prepared { bytes, name, mime } in files {
        let lower = name.to_ascii_lowercase();
        let is_image = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"].iter().any(|e| lower.ends_with(e))
            || mime.as_deref().is_some_and(|m| matches!(m, "image/jpeg" | "image/png" | "image/webp"));
        let size = bytes.len();
        let mut cursor = std::io::Cursor::new(bytes);
        let uploaded = client
            .raw()
            .upload_stream(&mut cursor, size, name)
            .await
            .map_err(|e| ToolError::invalid(format!("upload failed: {e}")))?;
        out.push(Upload { uploaded, is_image, mime });
    }
    Ok(out)
}

/// Sends text (split if long) and files to `chat` (or schedules them for `schedule`, a Unix
/// time), returning the sent messages in the uniform schema.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    ctx: &ToolCtx,
    client: &TgClient,
    chat: PeerRef,
    reply_to: Option<i32>,
    text: &str,
    mode: ParseMode,
    files: &[String],
    schedule: Option<i32>,
) -> Result<Value, ToolError> {
    let (plain, entities) = parse_text(text, mode);
    if plain.trim().is_empty() && files.is_empty() {
        return Err(ToolError::invalid("message is empty"));
    }
    if schedule.is_some() && files.len() > 1 {
        return Err(ToolError::invalid("an album cannot be scheduled; schedule one file per message"));
    }
    let when = schedule.map(|t| std::time::UNIX_EPOCH + std::time::Duration::from_secs(t as u64));
    let prepared = prepare_files(ctx, files).await?;
    let (chat, reply_to) = target(client, chat, reply_to).await?;
    let uploads = upload_all(client, prepared).await?;
    let caption_fits = plain.encode_utf16().count() <= MAX_CAPTION;
    let mut sent_ids = Vec::new();
    let reply = reply_to;
    // Long text with files: the text goes first as messages, the files follow without a caption.
    let text_chunks =
        if uploads.is_empty() || !caption_fits { split_text(&plain, &entities, MAX_TEXT) } else { Vec::new() };
    for (chunk, ents) in text_chunks.iter().filter(|(t, _)| !t.trim().is_empty()) {
        let m = client
            .raw()
            .send_message(
                chat,
                InputMessage::new().text(chunk.clone()).fmt_entities(ents.clone()).reply_to(reply).schedule_date(when),
            )
            .await?;
        // Every chunk keeps the reply target, so a split message stays in its topic or thread.
        sent_ids.push(m.id());
    }
    let (caption, cap_ents) =
        if caption_fits { (plain.clone(), entities.clone()) } else { (String::new(), Vec::new()) };
    match uploads.len() {
        0 => {}
        1 => {
            let u = uploads.into_iter().next().expect("one");
            let mut msg = InputMessage::new().text(caption).fmt_entities(cap_ents).reply_to(reply).schedule_date(when);
            msg = if u.is_image { msg.photo(u.uploaded) } else { msg.document(u.uploaded) };
            if let (false, Some(m)) = (u.is_image, u.mime.as_deref()) {
                msg = msg.mime_type(m);
            }
            sent_ids.push(client.raw().send_message(chat, msg).await?.id());
        }
        _ => {
            let all_images = uploads.iter().all(|u| u.is_image);
            let medias: Vec<InputMedia> = uploads
                .into_iter()
                .enumerate()
                .map(|(i, u)| {
                    let m = if i == 0 {
                        InputMedia::new().caption(caption.clone()).fmt_entities(cap_ents.clone()).reply_to(reply)
                    } else {
                        InputMedia::new().reply_to(reply)
                    };
                    // Albums must be all photos/videos or all documents.
                    if all_images { m.photo(u.uploaded) } else { m.document(u.uploaded) }
                })
                .collect();
            for m in client.raw().send_album(chat, medias).await?.into_iter().flatten() {
                sent_ids.push(m.id());
            }
        }
    }
    ctx.note_messages(sent_ids.iter().copied());
    let raw = match schedule {
        None => super::media::fetch_raw(client, &chat, &sent_ids).await?,
        Some(_) => super::scheduled::fetch_scheduled(client, &chat, &sent_ids).await?,
    };
    let peers = peers_of(client, &chat).await;
    let messages: Vec<Value> = raw.iter().filter_map(|m| format::message(m, &peers, false)).collect();
    let chat_entity = raw.iter().find_map(format::message_key).map(|(_, _, p)| peers.entity(&p)).unwrap_or(Value::Null);
    let status = if schedule.is_some() { "scheduled" } else { "sent" };
    Ok(json!({ "status": status, "chat": chat_entity, "messages": messages }))
}

/// Users/chats needed to name the chat and sender of sent messages.
pub(super) async fn peers_of(client: &TgClient, chat: &PeerRef) -> Peers {
    let mut users = Vec::new();
    if let Ok(me) = client.invoke(&tl::functions::users::GetUsers { id: vec![tl::enums::InputUser::UserSelf] }).await {
        users.extend(me);
    }
    let mut chats = Vec::new();
    if chat.id.kind() == grammers_session::types::PeerKind::Channel {
        if let Ok(r) = client.invoke(&tl::functions::channels::GetChannels { id: vec![chat.into()] }).await {
            chats = match r {
                tl::enums::messages::Chats::Chats(c) => c.chats,
                tl::enums::messages::Chats::Slice(c) => c.chats,
            };
        }
    } else if chat.id.kind() == grammers_session::types::PeerKind::User {
        if let Ok(u) = client.invoke(&tl::functions::users::GetUsers { id: vec![chat.into()] }).await {
            users.extend(u);
        }
    } else if chat.id.kind() == grammers_session::types::PeerKind::Chat
        && let Ok(r) = client.invoke(&tl::functions::messages::GetChats { id: vec![chat.id.bare_id_unchecked()] }).await
    {
        chats = match r {
            tl::enums::messages::Chats::Chats(c) => c.chats,
            tl::enums::messages::Chats::Slice(c) => c.chats,
        };
    }
    Peers::new(&users, &chats)
}

/// An idempotency key as given (1-128 printable characters), or none.
fn idempotency_key(key: Option<&str>) -> Result<Option<&str>, ToolError> {
    match key {
        Some(k) if k.is_empty() || k.chars().count() > 128 || k.chars().any(char::is_control) => {
            Err(ToolError::invalid("idempotency_key must be 1-128 printable characters"))
        }
        other => Ok(other),
    }
}

/// Sends a message.
pub async fn send_message(ctx: ToolCtx, p: SendMessageParams) -> Result<ToolOutput, ToolError> {
    let key = idempotency_key(p.idempotency_key.as_deref())?;
    let schedule = super::scheduled::schedule_date(p.schedule_date.as_deref())?;
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    ctx.note_text(&p.message);
    let token = ctx.caller_key();
    let out = ctx
        .app
        .pacing
        .once(&token, key, || async {
            ctx.authorize_write(&chat, "send_message", p.chat_id.as_str(), &p.message).await?;
            deliver(
                &ctx,
                &client,
                chat,
                p.reply_to_id,
                &p.message,
                p.parse_mode.unwrap_or_default(),
                p.files.as_deref().unwrap_or(&[]),
                schedule,
            )
            .await
        })
        .await?;
    Ok(ToolOutput::json(out))
}

/// Edits a message.
pub async fn edit_message(ctx: ToolCtx, p: EditMessageParams) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    ctx.note_text(&p.message);
    let (text, entities) = parse_text(&p.message, p.parse_mode.unwrap_or_default());
    if text.trim().is_empty() {
        return Err(ToolError::invalid("message is empty"));
    }
    if text.encode_utf16().count() > MAX_TEXT {
        return Err(ToolError::invalid(format!("edited text is longer than {MAX_TEXT} characters")));
    }
    ctx.authorize_write(&chat, "edit_message", p.chat_id.as_str(), &p.message).await?;
    client
        .raw()
        .edit_message(chat, p.message_id, InputMessage::new().text(text).fmt_entities(entities))
        .await
        .map_err(|e| match TgError::from(e) {
            TgError::Rpc { name, .. } if name == "MESSAGE_AUTHOR_REQUIRED" => {
                ToolError::invalid("you can only edit your own messages")
            }
            TgError::Rpc { name, .. } if name == "MESSAGE_ID_INVALID" => {
                ToolError::invalid(format!("message {} does not exist in this chat", p.message_id))
            }
            TgError::Rpc { name, .. } if name == "MESSAGE_NOT_MODIFIED" => {
                ToolError::invalid("the new text is the same as the old one")
            }
            other => other.into(),
        })?;
    ctx.note_messages([p.message_id]);
    let raw = super::media::fetch_raw(&client, &chat, &[p.message_id]).await?;
    let peers = peers_of(&client, &chat).await;
    let msg = raw.iter().find_map(|m| format::message(m, &peers, false)).unwrap_or(Value::Null);
    Ok(ToolOutput::json(json!({ "status": "edited", "message": msg })))
}

/// Sends to a phone number.
pub async fn send_to_phone(ctx: ToolCtx, p: SendToPhoneParams) -> Result<ToolOutput, ToolError> {
    let phone = crate::login::normalize_phone(&p.phone_number)
        .ok_or_else(|| ToolError::invalid("phone_number must be in international format, e.g. +15551234567"))?;
    let client = ctx.client().await?;
    let (user, was_new) = match client.resolve(&phone).await {
        Ok(r) => (r, false),
        Err(TgError::NotFound(_)) => {
            let req = tl::functions::contacts::ImportContacts {
                contacts: vec![
                    tl::types::InputPhoneContact {
                        client_id: 1,
                        phone: phone.clone(),
                        first_name: p.first_name.clone().unwrap_or_else(|| "Contact".into()),
                        last_name: p.last_name.clone().unwrap_or_default(),
                        note: None,
                    }
                    .into(),
                ],
            };
            let tl::enums::contacts::ImportedContacts::Contacts(imp) = client.invoke(&req).await?;
            client.remember(&imp.users, &[]).await;
            let Some(tl::enums::ImportedContact::Contact(c)) = imp.imported.first() else {
                return Err(ToolError::invalid(format!(
                    "{} is not on Telegram (or does not accept contacts)",
                    crate::login::mask_phone(&phone)
                )));
            };
            let r = client
                .known(PeerId::user_unchecked(c.user_id))
                .await
                .ok_or_else(|| ToolError::internal("imported contact could not be resolved"))?;
            (r, true)
        }
        Err(e) => return Err(e.into()),
    };
    if let Err(refusal) = ctx.check_peer(&user) {
        if was_new {
            client.invoke(&tl::functions::contacts::DeleteContacts { id: vec![(&user).into()] }).await?;
        }
        return Err(refusal);
    }
    ctx.note_text(&p.message);
    let key = idempotency_key(p.idempotency_key.as_deref())?;
    let token = ctx.caller_key();
    let masked = crate::login::mask_phone(&phone);
    let delivered = ctx
        .app
        .pacing
        .once(&token, key, || async {
            ctx.authorize_write(&user, "send_message_to_phone", &masked, &p.message).await?;
            deliver(
                &ctx,
                &client,
                user,
                p.reply_to_id,
                &p.message,
                p.parse_mode.unwrap_or_default(),
                p.files.as_deref().unwrap_or(&[]),
                None,
            )
            .await
        })
        .await;
    let mut removed = false;
    if was_new && p.remove_if_new == Some(true) {
        // Clean up even if sending failed, so a failed call leaves nothing behind.
        client.invoke(&tl::functions::contacts::DeleteContacts { id: vec![(&user).into()] }).await?;
        removed = true;
    }
    let mut out = delivered?;
    out["phone_number"] = json!(crate::login::mask_phone(&phone));
    out["contact_was_new"] = json!(was_new);
    out["contact_removed"] = json!(removed);
    Ok(ToolOutput::json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_mode_detection() {
        assert_eq!(detect_mode("hello <b>world</b>"), ParseMode::Html);
        assert_eq!(detect_mode("**bold** text"), ParseMode::Markdown);
        assert_eq!(detect_mode("1 < 2 and 3 > 2"), ParseMode::Plain);
        assert_eq!(detect_mode("plain words"), ParseMode::Plain);
    }

    #[test]
    fn markdown_keeps_single_line_breaks() {
        let md = |t: &str| parse_text(t, ParseMode::Markdown);
        assert_eq!(md("a\nb").0, "a\nb");
        assert_eq!(md("**a**\nb\nc").0, "a\nb\nc");
        assert_eq!(md("**a**\nb").1.len(), 1);
        assert_eq!(md("a\n\nb").0, "a\n\nb");
        let (code, _) = md("x\n```\nl1\nl2\n```\ny");
        assert!(code.contains("l1\nl2\n") && !code.contains(' '), "code blocks are left alone: {code:?}");
    }

    #[test]
    fn long_text_splits_on_boundaries_and_keeps_entities() {
        let para = "word ".repeat(600); // 3000 chars
        let text = format!("**{}**\n\n{}", "start", para.repeat(3));
        let (plain, ents) = parse_text(&text, ParseMode::Markdown);
        let chunks = split_text(&plain, &ents, MAX_TEXT);
        assert!(chunks.len() >= 3);
        assert_eq!(chunks.iter().map(|c| c.0.as_str()).collect::<String>(), plain, "nothing lost");
        for (c, _) in &chunks {
            assert!(c.encode_utf16().count() <= MAX_TEXT);
        }
        assert_eq!(chunks[0].1.len(), 1, "bold entity stays in the first chunk");
        assert!(chunks[1].1.is_empty());
    }

    #[test]
    fn entity_crossing_a_split_is_clipped_into_both_chunks() {
        let text = "a".repeat(10);
        let ents = vec![tl::types::MessageEntityBold { offset: 2, length: 6 }.into()];
        let chunks = split_text(&text, &ents, 5);
        assert_eq!(chunks.len(), 2);
        assert_eq!((chunks[0].1[0].offset(), chunks[0].1[0].length()), (2, 3));
        assert_eq!((chunks[1].1[0].offset(), chunks[1].1[0].length()), (0, 3));
    }

    #[test]
    fn astral_characters_count_as_two_units_and_are_never_cut() {
        let text = "😀".repeat(5); // 10 UTF-16 units
        let chunks = split_text(&text, &Vec::new(), 4);
        assert!(chunks.iter().all(|(c, _)| c.encode_utf16().count() <= 4));
        assert_eq!(chunks.concat_text(), text);
    }

    trait Concat {
        fn concat_text(&self) -> String;
    }
    impl Concat for Vec<(String, Entities)> {
        fn concat_text(&self) -> String {
            self.iter().map(|c| c.0.as_str()).collect()
        }
    }
}
