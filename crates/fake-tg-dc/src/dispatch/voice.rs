//! Voice messages: `messages.transcribeAudio` for Premium accounts.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::readable_peer;
use super::{Ctx, Res, bad, decode, err};
use crate::world::{FileKind, Media};

/// `messages.transcribeAudio`: only for a Premium account (`403 PREMIUM_ACCOUNT_REQUIRED`; the
/// weekly free trial Telegram gives others is not modelled), only for a voice note
/// (`MSG_VOICE_MISSING`), from the file's transcript (`TRANSCRIPTION_FAILED` without one). The
/// first request for a message answers `pending` with the first half of the words, as Telegram
/// answers while it is still listening; later requests answer the whole text. Telegram also
/// pushes `updateTranscribedAudio` as the text grows; this DC does not, a client asks again.
pub(super) fn messages_transcribe_audio(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::TranscribeAudio = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let w = ctx.w();
    let m = w
        .message(me, peer, r.msg_id)
        .ok_or_else(|| bad("MSG_ID_INVALID"))?;
    let file = match &m.media {
        Some(Media::Document(id)) => w
            .files
            .get(id)
            .filter(|f| matches!(f.kind, FileKind::Voice { .. })),
        _ => None,
    }
    .ok_or_else(|| bad("MSG_VOICE_MISSING"))?;
    if !w.users.get(&me).is_some_and(|u| u.premium) {
        return Err(err(403, "PREMIUM_ACCOUNT_REQUIRED"));
    }
    let text = w
        .transcripts
        .get(&file.id)
        .cloned()
        .ok_or_else(|| bad("TRANSCRIPTION_FAILED"))?;
    let transcription_id = file.id ^ 0x7472_616e;
    let first = ctx.st.world.transcribing.insert((me, peer, r.msg_id));
    let (pending, text) = if first {
        let words: Vec<&str> = text.split_whitespace().collect();
        (true, words[..words.len().div_ceil(2)].join(" "))
    } else {
        (false, text)
    };
    Ok(
        tl::enums::messages::TranscribedAudio::Audio(tl::types::messages::TranscribedAudio {
            pending,
            transcription_id,
            text,
            trial_remains_num: None,
            trial_remains_until_date: None,
        })
        .to_bytes(),
    )
}
