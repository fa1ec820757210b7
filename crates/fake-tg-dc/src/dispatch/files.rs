//! Files: `upload.saveFilePart`/`saveBigFilePart`, `upload.getFile` with the documented offset and limit rules, and turning an `InputMedia` into stored media.

use grammers_tl_types as tl;
use tl::functions as f;
use tl::{Deserializable, Serializable};

use super::{Ctx, Res, RpcErr, bad, decode};
use crate::world::{FileKind, Media, World};

/// `upload.getFile`: a chunk of a stored file, with the documented offset and limit rules.
pub(super) fn upload_get_file(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::upload::GetFile = decode(ctx, body)?;
    ctx.me()?;
    let id = match &r.location {
        tl::enums::InputFileLocation::InputDocumentFileLocation(l) => l.id,
        tl::enums::InputFileLocation::InputPhotoFileLocation(l) => l.id,
        _ => return Err(bad("LOCATION_INVALID")),
    };
    let file = ctx
        .w()
        .files
        .get(&id)
        .ok_or_else(|| bad("FILE_ID_INVALID"))?;
    // core.telegram.org/api/files: 4 KiB-aligned offset and limit (1 KiB when
    // `precise`), 1 MiB divisible by limit, and no chunk across a 1 MiB boundary.
    let align = if r.precise { 1024 } else { 4096 };
    if r.limit <= 0 || r.limit % align != 0 || (1 << 20) % r.limit != 0 {
        return Err(bad("LIMIT_INVALID"));
    }
    if r.offset < 0 || r.offset % align as i64 != 0 {
        return Err(bad("OFFSET_INVALID"));
    }
    if !r.precise && r.offset >> 20 != (r.offset + r.limit as i64 - 1) >> 20 {
        return Err(bad("LIMIT_INVALID"));
    }
    let start = (r.offset as usize).min(file.bytes.len());
    let end = (start + r.limit as usize).min(file.bytes.len());
    Ok(tl::enums::upload::File::File(tl::types::upload::File {
        r#type: tl::enums::storage::FileType::FileUnknown,
        mtime: file.date,
        bytes: file.bytes[start..end].to_vec(),
    })
    .to_bytes())
}

/// `upload.saveFilePart`: recorded without the bytes.
pub(super) fn upload_save_file_part(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r = f::upload::SaveFilePart::from_bytes(&body[4..])
        .map_err(|_| bad("INPUT_REQUEST_INVALID"))?;
    ctx.begin(format!(
        "SaveFilePart {{ file_id: {}, file_part: {}, len: {} }}",
        r.file_id,
        r.file_part,
        r.bytes.len()
    ))?;
    ctx.me()?;
    ctx.st
        .world
        .uploads
        .entry(r.file_id)
        .or_default()
        .insert(r.file_part, r.bytes);
    Ok(true.to_bytes())
}

/// `upload.saveBigFilePart`: recorded without the bytes.
pub(super) fn upload_save_big_file_part(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r = f::upload::SaveBigFilePart::from_bytes(&body[4..])
        .map_err(|_| bad("INPUT_REQUEST_INVALID"))?;
    ctx.begin(format!(
        "SaveBigFilePart {{ file_id: {}, file_part: {}, file_total_parts: {}, len: {} }}",
        r.file_id,
        r.file_part,
        r.file_total_parts,
        r.bytes.len()
    ))?;
    ctx.me()?;
    ctx.st
        .world
        .uploads
        .entry(r.file_id)
        .or_default()
        .insert(r.file_part, r.bytes);
    Ok(true.to_bytes())
}

/// The media an `InputMedia` names: uploaded parts become a new file; existing files must exist.
pub(super) fn input_media(w: &mut World, m: &tl::enums::InputMedia) -> Result<Media, RpcErr> {
    use tl::enums::InputMedia as M;
    let uploaded = |w: &World, f: &tl::enums::InputFile| -> Result<(Vec<u8>, String), RpcErr> {
        let (id, parts, name) = match f {
            tl::enums::InputFile::File(f) => (f.id, f.parts, f.name.clone()),
            tl::enums::InputFile::Big(f) => (f.id, f.parts, f.name.clone()),
            _ => return Err(bad("FILE_PARTS_INVALID")),
        };
        let stored = w
            .uploads
            .get(&id)
            .ok_or_else(|| bad("FILE_PARTS_INVALID"))?;
        if stored.len() != parts as usize || stored.keys().copied().ne(0..parts) {
            return Err(bad("FILE_PART_MISSING"));
        }
        Ok((stored.values().flatten().copied().collect(), name))
    };
    match m {
        M::UploadedDocument(d) => {
            let (bytes, fname) = uploaded(w, &d.file)?;
            let mut name = Some(fname);
            let mut kind = FileKind::Document;
            for a in &d.attributes {
                match a {
                    tl::enums::DocumentAttribute::Filename(f) => name = Some(f.file_name.clone()),
                    tl::enums::DocumentAttribute::Audio(a) if a.voice => {
                        kind = FileKind::Voice {
                            duration: a.duration,
                        }
                    }
                    _ => {}
                }
            }
            Ok(Media::Document(w.add_file(
                kind,
                name.as_deref(),
                &d.mime_type,
                bytes,
            )))
        }
        M::UploadedPhoto(p) => {
            let (bytes, _) = uploaded(w, &p.file)?;
            Ok(Media::Photo(w.add_file(
                FileKind::Photo { w: 800, h: 600 },
                None,
                "image/jpeg",
                bytes,
            )))
        }
        M::Document(d) => match &d.id {
            tl::enums::InputDocument::Document(d) if w.files.contains_key(&d.id) => {
                Ok(Media::Document(d.id))
            }
            _ => Err(bad("MEDIA_INVALID")),
        },
        M::Photo(p) => match &p.id {
            tl::enums::InputPhoto::Photo(p) if w.files.contains_key(&p.id) => {
                Ok(Media::Photo(p.id))
            }
            _ => Err(bad("MEDIA_INVALID")),
        },
        M::Poll(p) => {
            let tl::enums::Poll::Poll(poll) = &p.poll;
            let text = |t: &tl::enums::TextWithEntities| match t {
                tl::enums::TextWithEntities::Entities(t) => t.text.clone(),
            };
            Ok(Media::Poll {
                id: rand::random::<i64>().abs(),
                question: text(&poll.question),
                answers: poll
                    .answers
                    .iter()
                    .map(|a| match a {
                        tl::enums::PollAnswer::Answer(a) => text(&a.text),
                        tl::enums::PollAnswer::InputPollAnswer(a) => text(&a.text),
                    })
                    .collect(),
            })
        }
        _ => Err(bad("MEDIA_INVALID")),
    }
}
