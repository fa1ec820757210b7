//! Media bytes: locating a message's file and streaming it from Telegram
//! (grammers' downloader handles data-centre migration), and attaching media
//! to tool results as MCP content when no download link can be offered.

use super::format;
use super::{ToolCtx, ToolError};
use crate::telegram::TgClient;
use base64::Engine;
use grammers_client::media::Downloadable;
use grammers_client::tl;
use grammers_session::types::{PeerKind, PeerRef};
use rmcp::model::{ContentBlock, ResourceContents};
use serde_json::Value;

/// A downloadable file of a message.
#[derive(Debug, Clone)]
pub struct FileRef {
    location: tl::enums::InputFileLocation,
    /// Size in bytes, as Telegram reports it.
    pub size: u64,
    dc_id: i32,
    /// MIME type.
    pub mime_type: String,
    /// A file name to offer (sanitised later by the consumer).
    pub file_name: String,
    /// `photo`, `voice`, `audio`, `video`, `document`...
    pub kind: String,
}

impl Downloadable for FileRef {
    fn to_raw_input_location(&self) -> Option<tl::enums::InputFileLocation> {
        Some(self.location.clone())
    }
    fn size(&self) -> Option<usize> {
        Some(self.size as usize)
    }
    fn dc_id(&self) -> Option<i32> {
        Some(self.dc_id)
    }
}

/// The file of a message's media (photos and documents), if it has one.
pub fn file_ref(msg_id: i32, media: &tl::enums::MessageMedia) -> Option<FileRef> {
    let info = format::media(media)?;
    let kind = info["type"].as_str().unwrap_or("document").to_string();
    match media {
        tl::enums::MessageMedia::Photo(p) => {
            let Some(tl::enums::Photo::Photo(ph)) = &p.photo else { return None };
            let (thumb, size) = ph
                .sizes
                .iter()
                .filter_map(|s| match s {
                    tl::enums::PhotoSize::Size(s) => Some((s.r#type.clone(), s.size as u64)),
                    tl::enums::PhotoSize::Progressive(s) => s.sizes.iter().max().map(|&m| (s.r#type.clone(), m as u64)),
                    _ => None,
                })
                .max_by_key(|(_, n)| *n)?;
            Some(FileRef {
                location: tl::types::InputPhotoFileLocation {
                    id: ph.id,
                    access_hash: ph.access_hash,
                    file_reference: ph.file_reference.clone(),
                    thumb_size: thumb,
                }
                .into(),
                size,
                dc_id: ph.dc_id,
                mime_type: "image/jpeg".into(),
                file_name: format!("photo_{msg_id}.jpg"),
                kind,
            })
        }
        tl::enums::MessageMedia::Document(d) => {
            let Some(tl::enums::Document::Document(doc)) = &d.document else { return None };
            let name = info["file_name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{kind}_{msg_id}{}", extension_for(&doc.mime_type)));
            Some(FileRef {
                location: tl::types::InputDocumentFileLocation {
                    id: doc.id,
                    access_hash: doc.access_hash,
                    file_reference: doc.file_reference.clone(),
                    thumb_size: String::new(),
                }
                .into(),
                size: doc.size.max(0) as u64,
                dc_id: doc.dc_id,
                mime_type: doc.mime_type.clone(),
                file_name: name,
                kind,
            })
        }
        _ => None,
    }
}

fn extension_for(mime: &str) -> &'static str {
    match mime {
        "audio/ogg" => ".ogg",
        "audio/mpeg" => ".mp3",
        "video/mp4" => ".mp4",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "application/pdf" => ".pdf",
        _ => "",
    }
}

/// Streams a file chunk by chunk into `sink`, refusing files over `max_bytes` (checked before and while downloading).
pub async fn stream_file<F, Fut>(
    client: &TgClient,
    file: &FileRef,
    max_bytes: u64,
    mut sink: F,
) -> Result<u64, ToolError>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = Result<(), ToolError>>,
{
    if file.size > max_bytes {
        return Err(ToolError::invalid(format!(
            "file is {} bytes, over the {} byte limit (MAX_FILE_SIZE_MB)",
            file.size, max_bytes
        )));
    }
    let mut it = client.raw().iter_download(file).chunk_size(128 * 1024);
    let mut total = 0u64;
    while let Some(chunk) = it.next().await? {
        total += chunk.len() as u64;
        if total > max_bytes {
            return Err(ToolError::invalid(format!("file exceeds the {max_bytes} byte limit (MAX_FILE_SIZE_MB)")));
        }
        sink(chunk).await?;
    }
    Ok(total)
}

/// Downloads the media of the listed messages (from `messages` JSON) and returns them as MCP content blocks.
pub async fn attach(
    ctx: &ToolCtx,
    client: &TgClient,
    peer: &PeerRef,
    messages: &Value,
) -> Result<Vec<ContentBlock>, ToolError> {
    let ids: Vec<i32> = messages
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m.get("media").is_some())
        .filter_map(|m| m["id"].as_i64().map(|i| i as i32))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let max = ctx.app.settings().max_file_size_mb * 1024 * 1024;
    let raw = fetch_raw(client, peer, &ids).await?;
    let mut out = Vec::new();
    for m in &raw {
        let tl::enums::Message::Message(msg) = m else { continue };
        let Some(file) = msg.media.as_ref().and_then(|md| file_ref(msg.id, md)) else { continue };
        if file.size > max {
            out.push(ContentBlock::text(format!(
                "message {}: {} of {} bytes is over the download limit",
                msg.id, file.file_name, file.size
            )));
            continue;
        }
        let mut bytes = Vec::with_capacity(file.size as usize);
        stream_file(client, &file, max, |c| {
            bytes.extend_from_slice(&c);
            async { Ok(()) }
        })
        .await?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        out.push(match file.kind.as_str() {
            "photo" => ContentBlock::image(b64, file.mime_type.clone()),
            "voice" | "audio" => ContentBlock::audio(b64, file.mime_type.clone()),
            _ => ContentBlock::resource(ResourceContents::BlobResourceContents {
                uri: format!("telegram://message/{}/{}", msg.id, file.file_name),
                mime_type: Some(file.mime_type.clone()),
                blob: b64,
                meta: None,
            }),
        });
    }
    Ok(out)
}

/// Fetches raw messages by id from a chat.
pub async fn fetch_raw(client: &TgClient, peer: &PeerRef, ids: &[i32]) -> Result<Vec<tl::enums::Message>, ToolError> {
    let wanted: Vec<tl::enums::InputMessage> = ids.iter().map(|&id| tl::types::InputMessageId { id }.into()).collect();
    let result = if peer.id.kind() == PeerKind::Channel {
        client.invoke(&tl::functions::channels::GetMessages { channel: peer.into(), id: wanted }).await?
    } else {
        client.invoke(&tl::functions::messages::GetMessages { id: wanted }).await?
    };
    let format::Unpacked { messages: msgs, users, chats, .. } = format::unpack_messages(result);
    client.remember(&users, &chats).await;
    Ok(msgs)
}
