//! Safe file names from `Content-Disposition` or the URL path.

use reqwest::header::{CONTENT_DISPOSITION, HeaderMap};
use url::Url;

/// Longest file name (in characters) that [`sanitize_file_name`] returns.
pub const MAX_FILE_NAME_CHARS: usize = 128;

/// Name used when nothing usable is left after sanitising.
pub const FALLBACK_FILE_NAME: &str = "file";

/// Turns an untrusted name into a safe base name.
///
/// Keeps only the last path component (both `/` and `\` count as
/// separators), drops control and invisible/bidi-override characters,
/// replaces characters that Windows forbids (`<>:"|?*`) with `_`, strips
/// leading dots and surrounding whitespace, trailing dots, defuses
/// Windows device names (`CON`, `NUL`, ...) and limits the result to
/// [`MAX_FILE_NAME_CHARS`] characters, keeping a short extension. Returns
/// [`FALLBACK_FILE_NAME`] if nothing is left.
pub fn sanitize_file_name(raw: &str) -> String {
    sanitize(raw).unwrap_or_else(|| FALLBACK_FILE_NAME.to_owned())
}

/// Picks the download's file name: `Content-Disposition` `filename*`, then
/// `filename`, then the last segment of the final URL's path, then the fallback.
pub(crate) fn derive_file_name(headers: &HeaderMap, final_url: &Url) -> String {
    let disposition = headers
        .get(CONTENT_DISPOSITION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (extended, plain) = disposition
        .as_deref()
        .map(disposition_file_names)
        .unwrap_or((None, None));
    let from_url = final_url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .map(percent_decode_lossy);
    [extended, plain, from_url]
        .into_iter()
        .flatten()
        .find_map(|candidate| sanitize(&candidate))
        .unwrap_or_else(|| FALLBACK_FILE_NAME.to_owned())
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn sanitize(raw: &str) -> Option<String> {
    let base = raw
        .split(['/', '\\'])
        .rfind(|part| !part.trim().is_empty())?;
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return None;
    }
    let mut name = truncate_keeping_extension(trimmed);
    if is_windows_device_name(&name) {
        name.insert(0, '_');
        name = truncate_keeping_extension(&name);
    }
    Some(name)
}

fn truncate_keeping_extension(name: &str) -> String {
    let total = name.chars().count();
    if total <= MAX_FILE_NAME_CHARS {
        return name.to_owned();
    }
    if let Some(dot) = name.rfind('.') {
        let ext = &name[dot..];
        let ext_chars = ext.chars().count();
        if dot > 0 && ext_chars <= 16 {
            let stem: String = name[..dot]
                .chars()
                .take(MAX_FILE_NAME_CHARS - ext_chars)
                .collect();
            let stem = stem.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
            if !stem.is_empty() {
                return format!("{stem}{ext}");
            }
        }
    }
    let cut: String = name.chars().take(MAX_FILE_NAME_CHARS).collect();
    cut.trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned()
}

fn is_windows_device_name(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((stem.starts_with("COM") || stem.starts_with("LPT"))
        && stem.len() == 4
        && stem.as_bytes()[3].is_ascii_digit())
}

/// Returns `(filename*, filename)` from a `Content-Disposition` value, decoded
/// but not yet sanitised.
fn disposition_file_names(value: &str) -> (Option<String>, Option<String>) {
    let mut extended = None;
    let mut plain = None;
    for (name, param) in disposition_params(value) {
        match name.as_str() {
            "filename*" if extended.is_none() => extended = decode_ext_value(&param),
            "filename" if plain.is_none() => plain = Some(param),
            _ => {}
        }
    }
    (extended, plain)
}

/// Splits `type; a=b; c="d;e"` into lower-cased parameter names and
/// unquoted values; the disposition type itself is skipped.
fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = match value.find(';') {
        Some(i) => &value[i + 1..],
        None => return out,
    };
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        if rest.is_empty() {
            return out;
        }
        let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
        let name = rest[..name_end].trim().to_ascii_lowercase();
        rest = &rest[name_end..];
        let Some(after_eq) = rest.strip_prefix('=') else {
            continue; // parameter without value
        };
        let after_eq = after_eq.trim_start();
        let param;
        if let Some(quoted) = after_eq.strip_prefix('"') {
            let mut unescaped = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            unescaped.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => unescaped.push(c),
                }
            }
            param = unescaped;
            rest = &quoted[end.min(quoted.len())..];
            // Skip anything up to the next separator.
            rest = rest.find(';').map_or("", |i| &rest[i..]);
        } else {
            let end = after_eq.find(';').unwrap_or(after_eq.len());
            param = after_eq[..end].trim().to_owned();
            rest = &after_eq[end..];
        }
        out.push((name, param));
    }
}

/// Decodes an RFC 8187 `charset'language'pct-encoded` value.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?.trim().to_ascii_lowercase();
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes = percent_decode(encoded);
    match charset.as_str() {
        "utf-8" => Some(String::from_utf8_lossy(&bytes).into_owned()),
        "iso-8859-1" => Some(bytes.iter().map(|b| char::from(*b)).collect()),
        _ => None,
    }
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn percent_decode_lossy(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(text)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn sanitize_strips_paths_dots_and_controls() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\system.ini", "system.ini"),
            ("/abs/path/", "path"),
            (".bashrc", "bashrc"),
            ("...hidden..", "hidden"),
            ("a\u{0}b\nc\rd\u{7f}e\u{85}.txt", "abcde.txt"),
            ("evil\u{202E}fdp.exe", "evilfdp.exe"),
            ("  spaced name.pdf  ", "spaced name.pdf"),
            ("what?<x>:y|z*\".txt", "what__x__y_z__.txt"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("com1.log", "_com1.log"),
            ("console.txt", "console.txt"),
            ("Отчёт 2024.pdf", "Отчёт 2024.pdf"),
            ("photo.jpg", "photo.jpg"),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitize_file_name(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn sanitize_falls_back_when_nothing_is_left() {
        for raw in ["", "..", "/", "../..", " . ", "\u{1}\u{2}", "\u{200B}"] {
            assert_eq!(sanitize_file_name(raw), FALLBACK_FILE_NAME, "{raw:?}");
        }
    }

    #[test]
    fn sanitize_limits_length_and_keeps_extension() {
        let long = format!("{}.pdf", "a".repeat(500));
        let out = sanitize_file_name(&long);
        assert_eq!(out.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(out.ends_with("a.pdf"));

        let multibyte = "я".repeat(300);
        let out = sanitize_file_name(&multibyte);
        assert_eq!(out.chars().count(), MAX_FILE_NAME_CHARS);

        let long_ext = format!("x.{}", "e".repeat(300));
        assert_eq!(
            sanitize_file_name(&long_ext).chars().count(),
            MAX_FILE_NAME_CHARS
        );

        let exact = "b".repeat(MAX_FILE_NAME_CHARS);
        assert_eq!(sanitize_file_name(&exact), exact);
    }

    #[test]
    fn disposition_parsing() {
        let (ext, plain) = disposition_file_names(r#"attachment; filename="../../etc/passwd""#);
        assert_eq!((ext, plain.as_deref()), (None, Some("../../etc/passwd")));

        let (ext, plain) = disposition_file_names(
            r#"attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20file.txt"#,
        );
        assert_eq!(ext.as_deref(), Some("naïve file.txt"));
        assert_eq!(plain.as_deref(), Some("fallback.txt"));

        let (_, plain) = disposition_file_names(r#"inline; FILENAME = "a\"b;c.txt" ; size=3"#);
        assert_eq!(plain.as_deref(), Some("a\"b;c.txt"));

        let (_, plain) = disposition_file_names("attachment; filename=plain.bin");
        assert_eq!(plain.as_deref(), Some("plain.bin"));

        let (ext, _) = disposition_file_names("attachment; filename*=iso-8859-1'en'%E9t%E9.txt");
        assert_eq!(ext.as_deref(), Some("été.txt"));

        assert_eq!(disposition_file_names("attachment"), (None, None));
        assert_eq!(
            disposition_file_names("attachment; filename*=bogus"),
            (None, None)
        );
    }

    #[test]
    fn derive_prefers_extended_then_plain_then_url() {
        let url = Url::parse("https://example.com/dir/from%20url.bin?x=1#frag").unwrap();
        let mut headers = HeaderMap::new();
        assert_eq!(derive_file_name(&headers, &url), "from url.bin");

        headers.insert(
            CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"plain.txt\""),
        );
        assert_eq!(derive_file_name(&headers, &url), "plain.txt");

        headers.insert(
            CONTENT_DISPOSITION,
            HeaderValue::from_static(
                "attachment; filename=\"plain.txt\"; filename*=UTF-8''ext.txt",
            ),
        );
        assert_eq!(derive_file_name(&headers, &url), "ext.txt");

        // A disposition name that sanitises to nothing falls back to the URL.
        headers.insert(
            CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"..\""),
        );
        assert_eq!(derive_file_name(&headers, &url), "from url.bin");

        let encoded_traversal = Url::parse("https://example.com/..%2F..%2Fetc%2Fshadow").unwrap();
        assert_eq!(
            derive_file_name(&HeaderMap::new(), &encoded_traversal),
            "shadow"
        );

        let root = Url::parse("https://example.com/").unwrap();
        assert_eq!(
            derive_file_name(&HeaderMap::new(), &root),
            FALLBACK_FILE_NAME
        );
    }
}
