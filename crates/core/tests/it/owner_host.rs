//! The owner socket as a window in another process uses it: the host's own commands answered
//! before the control layer, and a control connection turned into a change stream that pushes
//! each change and ends when the owner stops.

use crate::common::TestServer;
use serde_json::{Value, json};
use std::sync::Arc;
use tgmcp_core::control::{Control, HostKind, ServerState};
use tgmcp_core::owner::client::ControlClient;
use tgmcp_core::owner::protocol::WireError;
use tgmcp_core::owner::server::{HostCommands, OwnerServer, bind};
use tgmcp_core::owner::{OwnerKind, OwnerLock};

/// A host that knows one command of its own and refuses another.
struct Host;

impl HostCommands for Host {
    fn call(&self, command: &str, args: &Value) -> Option<Result<Value, WireError>> {
        match command {
            "ui_state_get" => Some(Ok(json!({ "state": args["echo"].clone() }))),
            "clipboard_write" => Some(Err(WireError::new("internal", "no clipboard here"))),
            _ => None,
        }
    }
}

async fn owner() -> (TestServer, Arc<OwnerServer>, tokio::task::JoinHandle<()>) {
    let server = TestServer::start(&[]).await;
    let lock = Arc::new(OwnerLock::try_acquire(server.dir.path(), OwnerKind::Tray).unwrap());
    let control = Arc::new(Control::new(server.app.clone(), HostKind::Tauri, ServerState::running(server.addr)));
    let owner = OwnerServer::new(control, lock.clone());
    owner.set_host(Arc::new(Host));
    let listener = bind(&lock).unwrap();
    let running = tokio::spawn(owner.clone().run(listener, None));
    (server, owner, running)
}

#[tokio::test]
async fn the_host_answers_its_own_commands_and_the_control_layer_the_rest() {
    let (server, owner, running) = owner().await;
    let mut c = ControlClient::connect(server.dir.path()).await.unwrap().expect("the owner answers");
    assert_eq!(c.owner().kind, OwnerKind::Tray);
    assert_eq!(c.call("ui_state_get", json!({ "echo": "tab" })).await.unwrap(), json!({ "state": "tab" }));
    let e = c.call("clipboard_write", json!({})).await.unwrap_err();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("internal", "no clipboard here"));
    let created = c.call("token_create", json!({ "label": "through the host" })).await.unwrap();
    assert!(created["record"]["id"].as_str().unwrap().starts_with("tok_"), "{created}");
    let e = c.call("no_such_command", json!({})).await.unwrap_err();
    assert!(e.message.contains("no_such_command"), "{e:?}");
    owner.stop();
    running.await.unwrap();
}

#[tokio::test]
async fn a_change_stream_pushes_each_change_and_ends_with_the_owner() {
    let (server, owner, running) = owner().await;
    let stream_conn = ControlClient::connect(server.dir.path()).await.unwrap().unwrap();
    let mut stream = stream_conn.watch_changes().await.unwrap();
    let first = stream.next().await.unwrap();
    assert!(first.status && first.tokens && first.approvals && first.activity, "the first answer has every topic");

    let mut c = ControlClient::connect(server.dir.path()).await.unwrap().unwrap();
    c.call("token_create", json!({ "label": "pushed" })).await.unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await.unwrap().unwrap();
    assert!(next.tokens, "{next:?}");
    assert!(!next.activity, "only what changed: {next:?}");

    owner.stop();
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await.unwrap();
    assert_eq!(end.unwrap_err().code, "owner_gone");
    running.await.unwrap();
}
