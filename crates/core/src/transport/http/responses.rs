//! The HTTP shapes of answers and errors: one mapping of [`ToolError`] to a status, and the shared JSON helpers.

use crate::tools::ToolError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A JSON error body `{ "error": msg }` with `status`.
pub fn error_response(status: StatusCode, msg: &str) -> Response {
    no_store((status, Json(json!({ "error": msg }))).into_response())
}

/// Marks a response `Cache-Control: no-store` (everything here is per-user and live).
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The HTTP status of a tool error: 400 invalid input, 404 not found, 401 not logged in to Telegram, 403 refused by
/// policy or Premium-only, 429 rate limited, 502 other Telegram or network failures, 503 every session slot busy, 500 a bug of ours.
pub fn status_of(e: &ToolError) -> StatusCode {
    match e {
        ToolError::Invalid(_) => StatusCode::BAD_REQUEST,
        ToolError::NotFound(_) => StatusCode::NOT_FOUND,
        ToolError::Telegram { retry_after: Some(_), .. } | ToolError::Telegram { code: 420, .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        ToolError::Telegram { .. } | ToolError::Unavailable(_) => StatusCode::BAD_GATEWAY,
        ToolError::NotLoggedIn(_) => StatusCode::UNAUTHORIZED,
        ToolError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        ToolError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        ToolError::Forbidden { .. } | ToolError::PremiumRequired(_) => StatusCode::FORBIDDEN,
        ToolError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The tool error's one JSON body ([`ToolError::body`]) with its status, and `Retry-After` for rate limits.
impl IntoResponse for ToolError {
    fn into_response(self) -> Response {
        let status = status_of(&self);
        let retry_after = self.retry_after();
        let mut resp = no_store((status, Json(Value::Object(self.body()))).into_response());
        if let Some(secs) = retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::TgError;

    #[test]
    fn every_kind_of_tool_error_has_its_status() {
        let cases: [(ToolError, u16); 9] = [
            (ToolError::invalid("x"), 400),
            (TgError::NotFound("x".into()).into(), 404),
            (ToolError::forbidden("x", crate::tools::mtproto::ACTION_UNLOCK_DANGEROUS), 403),
            (TgError::FloodWait { retry_after: 7 }.into(), 429),
            (TgError::NotAuthorized.into(), 401),
            (TgError::Rpc { code: 400, name: "PEER_ID_INVALID".into() }.into(), 502),
            (TgError::Network("down".into()).into(), 502),
            (TgError::Busy("full".into()).into(), 503),
            (ToolError::internal("bug"), 500),
        ];
        for (e, status) in cases {
            assert_eq!(status_of(&e).as_u16(), status, "{e:?}");
        }
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let resp = ToolError::from(TgError::FloodWait { retry_after: 7 }).into_response();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "7");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    }
}
