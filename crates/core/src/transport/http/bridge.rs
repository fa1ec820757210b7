//! The HTTP-MTProto bridge: `POST /mtproto-api/{method}` and `POST /mtproto-api/v1/{method}`
//! with a JSON object of method parameters as the body. It must be mounted behind the same
//! bearer-token layer as `/v1/mcp` (it reads the [`Identity`] that layer attaches) and runs
//! exactly [`invoke`](super::invoke), so the schema checks, peer resolution and method
//! classification are the tool's.
//!
//! Responses: `200 {"ok": true, "method", "result"}`; errors are the tool's [`ToolError`] with
//! its one body and status (`impl IntoResponse` in [`super::responses`]): 400 invalid input,
//! 404 unknown peer, 403 blocked dangerous or unclassified method, 401 session not logged in to
//! Telegram, 429 flood wait (with `Retry-After`), 502 other Telegram or network failures,
//! 503 no free session slot, 500 a bug.
//!
//! For compatibility with the reference bridge, a body of the form `{"params": {…}}` or
//! `{"params_json": "…"}` (optionally with `resolve`/`allow_dangerous`, which are ignored:
//! peers are always resolved by type and only the user's setting unlocks dangerous calls) is
//! unwrapped, unless the method itself has a field called `params`.

use super::responses::no_store;
use crate::app::{App, Identity};
use crate::tools::ToolError;
use crate::tools::mtproto::{invoke, method_has_param};
use crate::tools::params::InvokeMtprotoParams;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Keys of the reference bridge's wrapper body.
const WRAPPER_KEYS: [&str; 4] = ["params", "params_json", "resolve", "allow_dangerous"];

/// The bridge routes. Mount them inside the bearer-authenticated router.
pub fn bridge_routes() -> Router<Arc<App>> {
    Router::new().route("/mtproto-api/{method}", post(handle)).route("/mtproto-api/v1/{method}", post(handle))
}

async fn handle(
    State(app): State<Arc<App>>,
    Extension(identity): Extension<Identity>,
    Path(method): Path<String>,
    body: Bytes,
) -> Response {
    let params = match body_params(&method, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let p = InvokeMtprotoParams { method, params };
    // The same path as the tool: the token's policy (full access), timeout and activity log.
    match crate::tools::call::run(&app, identity, None, "invoke_mtproto", |ctx| invoke(ctx, p)).await {
        Ok(mut out) => {
            let body = json!({ "ok": true, "method": out.json["method"].take(), "result": out.json["result"].take() });
            no_store((StatusCode::OK, Json(body)).into_response())
        }
        Err(e) => e.into_response(),
    }
}

/// The method parameters of a request body (see the module docs for the wrapper form).
fn body_params(method: &str, body: &[u8]) -> Result<Map<String, Value>, ToolError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ToolError::invalid(format!("the request body must be a JSON object of method parameters: {e}")))?;
    let Value::Object(mut obj) = v else {
        return Err(ToolError::invalid("the request body must be a JSON object of method parameters"));
    };
    let method_has_params_field = method_has_param(method, "params");
    let wrapped = (obj.contains_key("params") || obj.contains_key("params_json"))
        && obj.keys().all(|k| WRAPPER_KEYS.contains(&k.as_str()));
    if method_has_params_field || !wrapped {
        return Ok(obj);
    }
    let inner = match obj.remove("params_json") {
        Some(Value::String(s)) => {
            serde_json::from_str(&s).map_err(|e| ToolError::invalid(format!("params_json is not valid JSON: {e}")))?
        }
        Some(_) => return Err(ToolError::invalid("params_json must be a string holding a JSON object")),
        None => obj.remove("params").unwrap_or(Value::Null),
    };
    match inner {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(ToolError::invalid("params must be a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_plain_and_wrapped() {
        assert!(body_params("users.getFullUser", b"  ").unwrap().is_empty());
        let p = body_params("users.getFullUser", br#"{"id": "me"}"#).unwrap();
        assert_eq!(p["id"], "me");
        let p = body_params("users.getFullUser", br#"{"params": {"id": "me"}, "allow_dangerous": true}"#).unwrap();
        assert_eq!(Value::Object(p), json!({"id": "me"}));
        let p = body_params("users.getFullUser", br#"{"params_json": "{\"id\": \"@carol\"}", "params": {"id": "me"}}"#)
            .unwrap();
        assert_eq!(Value::Object(p), json!({"id": "@carol"}));
        // A method with its own `params` field takes the body as is.
        let p = body_params("bots.invokeWebViewCustomMethod", br#"{"params": {"data": "{}"}}"#).unwrap();
        assert!(p.contains_key("params"));
        assert!(body_params("x", b"[1]").is_err());
        assert!(body_params("x", b"{").is_err());
    }
}
