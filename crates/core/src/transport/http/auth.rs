//! Who a request is: the bearer token (header, or the `/v1/url_auth/{token}/mcp` path, taken out
//! before routing and logging) resolved to an [`Identity`], or the development bypass.

use super::responses::error_response;
use crate::app::{App, Identity};
use crate::config::Transport;
use crate::tokens::{Token, TokenError, bearer_from_header};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Marks a request that arrived on `/v1/url_auth/{token}/mcp`; carries the token.
#[derive(Clone)]
pub(super) struct UrlToken(String);

/// The path to show in logs for a request that arrived under `/v1/url_auth/`, token redacted.
#[derive(Clone)]
pub(super) struct ShownPath(pub(super) String);

/// Where a URL-auth path other than `…/mcp` is routed once its token is taken out.
pub(super) const URL_AUTH_UNKNOWN: &str = "/v1/url_auth/-";

/// Splits a path under `/v1/url_auth/` (any case, any number of slashes) into its raw token
/// segment and what follows it; `None` for other paths.
fn split_url_auth(path: &str) -> Option<(&str, &str)> {
    const PREFIX: &str = "v1/url_auth/";
    let trimmed = path.trim_start_matches('/');
    if !trimmed.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX)) {
        return None;
    }
    let rest = trimmed[PREFIX.len()..].trim_start_matches('/');
    Some(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    })
}

/// Takes the token out of every path under `/v1/url_auth/`, whatever follows it, before
/// anything routes or logs the request: `…/{token}/mcp…` becomes `/v1/mcp…` with the token in
/// an extension; any other tail (`/sse`, `/messages`, none, …) goes to a 404 route without the
/// token. Either way the logs see `/v1/url_auth/<redacted>{tail}`.
pub fn rewrite_url_auth(mut req: Request) -> Request {
    let Some((token, tail)) = split_url_auth(req.uri().path()) else { return req };
    let (token, tail) = (token.to_string(), tail.to_string());
    let mcp_tail = tail.strip_prefix("/mcp").filter(|after| after.is_empty() || after.starts_with('/'));
    let new_path = match mcp_tail {
        Some(after) => format!("/v1/mcp{after}"),
        None => format!("{URL_AUTH_UNKNOWN}{}", tail.trim_end_matches('/')),
    };
    let pq = match req.uri().query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = pq.parse().ok().or_else(|| URL_AUTH_UNKNOWN.parse().ok());
    *req.uri_mut() =
        axum::http::Uri::from_parts(parts).unwrap_or_else(|_| axum::http::Uri::from_static(URL_AUTH_UNKNOWN));
    req.extensions_mut().insert(ShownPath(format!("/v1/url_auth/<redacted>{}", redact_path(&tail))));
    if mcp_tail.is_some() {
        req.extensions_mut().insert(UrlToken(percent_decode(&token)));
    }
    req
}

/// `path` with the segment after any `url_auth/` replaced by `<redacted>` (a second line of
/// defence for what the logs show).
pub(super) fn redact_path(path: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = "url_auth/";
    let lower = path.to_ascii_lowercase();
    let Some(i) = lower.find(MARK) else { return path.into() };
    let start = i + MARK.len();
    let end = path[start..].find('/').map_or(path.len(), |j| start + j);
    format!("{}<redacted>{}", &path[..start], redact_path(&path[end..])).into()
}

pub(super) async fn unknown_url_auth_path() -> Response {
    error_response(StatusCode::NOT_FOUND, "not found: the URL-auth MCP endpoint is /v1/url_auth/<token>/mcp")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("t={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub(super) async fn require_token(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let presented: Result<String, TokenError> = match req.extensions().get::<UrlToken>() {
        Some(UrlToken(t)) => Ok(t.clone()),
        None => match req.headers().get(header::AUTHORIZATION) {
            None => Err(TokenError::Missing),
            Some(v) => {
                v.to_str().map_err(|_| TokenError::Malformed).and_then(|v| bearer_from_header(v).map(str::to_string))
            }
        },
    };
    let identity = presented
        .and_then(|raw| Token::parse(&raw))
        .and_then(|t| app.tokens.authenticate(&t))
        .map(|rec| Identity { session_id: rec.session_id, token_id: Some(rec.id), transport: Transport::Http });
    let identity = match identity {
        Ok(id) => id,
        Err(_) if app.settings().disable_auth => app.dev_identity(Transport::Http),
        Err(e) => {
            match e {
                TokenError::Reserved => {
                    tracing::warn!("refused a reserved session name presented as a bearer token")
                }
                TokenError::Missing => tracing::debug!("request without a bearer token"),
                _ => tracing::warn!("refused an invalid bearer token ({e})"),
            }
            return unauthorized(e);
        }
    };
    req.extensions_mut().insert(identity);
    next.run(req).await
}

fn unauthorized(e: TokenError) -> Response {
    let code = if e == TokenError::Missing { "invalid_request" } else { "invalid_token" };
    let mut resp = error_response(StatusCode::UNAUTHORIZED, &format!("unauthorized: {e}"));
    let challenge = format!("Bearer realm=\"fast-mcp-telegram\", error=\"{code}\"");
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).expect("ascii"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    const TOK: &str = "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE";

    fn rewritten(path: &str) -> Request {
        rewrite_url_auth(Request::builder().uri(path).body(Body::empty()).unwrap())
    }

    fn shown(req: &Request) -> String {
        req.extensions().get::<ShownPath>().map(|ShownPath(p)| p.clone()).unwrap_or_default()
    }

    #[test]
    fn url_auth_mcp_paths_become_v1_mcp_with_the_token_aside() {
        for (path, expected) in [
            (format!("/v1/url_auth/{TOK}/mcp"), "/v1/mcp"),
            (format!("/v1/url_auth/{TOK}/mcp/"), "/v1/mcp/"),
            (format!("/v1/url_auth/{TOK}/mcp?x=1"), "/v1/mcp?x=1"),
            (format!("//V1/URL_AUTH//{TOK}/mcp"), "/v1/mcp"),
        ] {
            let req = rewritten(&path);
            assert_eq!(req.uri().to_string(), expected, "{path}");
            assert_eq!(req.extensions().get::<UrlToken>().map(|t| t.0.as_str()), Some(TOK), "{path}");
            assert_eq!(
                shown(&req),
                "/v1/url_auth/<redacted>/mcp".to_string()
                    + expected.strip_prefix("/v1/mcp").unwrap().split('?').next().unwrap()
            );
        }
    }

    #[test]
    fn every_other_url_auth_path_loses_its_token() {
        for tail in ["", "/", "/sse", "/messages", "/mcpx", "/mcp-x", "/MCP", "/sse/v1/url_auth/x"] {
            let path = format!("/v1/url_auth/{TOK}{tail}");
            let req = rewritten(&path);
            let uri = req.uri().to_string();
            assert!(uri.starts_with(URL_AUTH_UNKNOWN) && !uri.contains(TOK), "{path} -> {uri}");
            assert!(req.extensions().get::<UrlToken>().is_none(), "{path}");
            let s = shown(&req);
            assert!(s.starts_with("/v1/url_auth/<redacted>") && !s.contains(TOK), "{path} -> {s}");
        }
        // Paths elsewhere are untouched.
        let req = rewritten("/v1/mcp");
        assert_eq!(req.uri().path(), "/v1/mcp");
        assert!(req.extensions().get::<ShownPath>().is_none());
    }

    #[test]
    fn redaction_covers_any_url_auth_segment() {
        assert_eq!(redact_path("/x/URL_AUTH/secret/y/url_auth/other"), "/x/URL_AUTH/<redacted>/y/url_auth/<redacted>");
        assert_eq!(redact_path("/health"), "/health");
    }
}
