//! `transcribe_voice`: Telegram's own speech-to-text of a voice message (`messages.transcribeAudio`, Premium accounts).

use super::actions::chat_entity;
use super::{ToolCtx, ToolError, ToolOutput, params::TranscribeVoiceParams};
use crate::telegram::TgError;
use grammers_client::tl;
use serde_json::json;

/// Transcribes a voice message with Telegram's transcription; a clear error when the account
/// has no Premium or the message is not a voice message.
pub async fn transcribe_voice(ctx: ToolCtx, p: TranscribeVoiceParams) -> Result<ToolOutput, ToolError> {
    if p.message_id < 1 {
        return Err(ToolError::invalid("message_id must be a message id (1 or more)"));
    }
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    let req = tl::functions::messages::TranscribeAudio { peer: (&chat).into(), msg_id: p.message_id };
    let tl::enums::messages::TranscribedAudio::Audio(r) = client.invoke(&req).await.map_err(|e| match e {
        TgError::Rpc { name, .. } if name == "PREMIUM_ACCOUNT_REQUIRED" => ToolError::PremiumRequired(
            "Telegram transcribes voice messages only for Telegram Premium accounts, and this account has none".into(),
        ),
        TgError::Rpc { name, .. } if name == "MSG_VOICE_MISSING" => {
            ToolError::invalid(format!("message {} is not a voice message", p.message_id))
        }
        TgError::Rpc { name, .. } if name == "MSG_ID_INVALID" => {
            ToolError::NotFound(format!("message {} does not exist in this chat", p.message_id))
        }
        TgError::Rpc { name, .. } if name == "MSG_VOICE_TOO_LONG" => {
            ToolError::invalid("this voice message is too long for Telegram to transcribe")
        }
        other => other.into(),
    })?;
    Ok(ToolOutput::json(json!({
        "status": if r.pending { "pending" } else { "done" },
        "chat": chat_entity(&client, &chat).await,
        "message_id": p.message_id,
        "text": r.text,
        "transcription_id": r.transcription_id.to_string(),
    })))
}
