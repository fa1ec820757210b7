//! End-to-end fetches against real local servers. Blocking of private
//! addresses is switched off here (the servers live on 127.0.0.1); every other
//! rule stays on. Redirects from a public hop to a private one are covered by
//! the unit tests in `src/fetch.rs`, which script the responses, because no
//! public address is reachable offline.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use tgmcp_safe_fetch::{
    FetchError, FetchPolicy, Fetcher, StaticResolver, USER_AGENT, fetch, fetch_to_writer,
};

const BODY_LEN: usize = 200 * 1024;

fn pattern() -> Vec<u8> {
    (0..BODY_LEN)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// Policy for loopback test servers: the only switch flipped is the address block.
fn local_policy() -> FetchPolicy {
    FetchPolicy {
        allow_http: true,
        block_private_ips: false,
        total_timeout: Duration::from_secs(20),
        ..FetchPolicy::default()
    }
}

#[derive(Clone, Default)]
struct Seen {
    port: u16,
    loop_hits: Arc<AtomicUsize>,
    hosts: Arc<Mutex<Vec<String>>>,
    agents: Arc<Mutex<Vec<String>>>,
}

impl Seen {
    fn record(&self, headers: &HeaderMap) {
        let get = |name| {
            headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        self.hosts.lock().unwrap().push(get(header::HOST));
        self.agents.lock().unwrap().push(get(header::USER_AGENT));
    }
}

fn found(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn report(State(seen): State<Seen>, headers: HeaderMap) -> Response {
    seen.record(&headers);
    (
        [(header::CONTENT_TYPE, "application/x-test-report")],
        pattern(),
    )
        .into_response()
}

async fn start_axum() -> Seen {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let seen = Seen {
        port: listener.local_addr().unwrap().port(),
        ..Seen::default()
    };
    let app = Router::new()
        .route("/files/report.bin", get(report))
        .route("/redirect", get(|| async { found("/files/report.bin".into()) }))
        .route(
            "/hop",
            get(|State(seen): State<Seen>, headers: HeaderMap| async move {
                seen.record(&headers);
                found(format!("http://hop2.invalid:{}/files/report.bin", seen.port))
            }),
        )
        .route(
            "/loop/{n}",
            get(|State(seen): State<Seen>, Path(n): Path<u32>| async move {
                seen.loop_hits.fetch_add(1, Ordering::SeqCst);
                found(format!("/loop/{}", n + 1))
            }),
        )
        .route("/to-file", get(|| async { found("file:///etc/passwd".into()) }))
        .route(
            "/to-creds",
            get(|State(seen): State<Seen>| async move {
                found(format!("http://user:pw@127.0.0.1:{}/files/report.bin", seen.port))
            }),
        )
        .route(
            "/dl",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/plain"),
                        (header::CONTENT_DISPOSITION, r#"attachment; filename="../../etc/passwd""#),
                    ],
                    "root:x:0:0",
                )
            }),
        )
        .route(
            "/dl-ext",
            get(|| async {
                (
                    [(header::CONTENT_DISPOSITION, "attachment; filename=\"a.txt\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%0A.pdf")],
                    "pdf",
                )
            }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    seen
}

#[tokio::test]
async fn downloads_bytes_type_and_name() {
    let seen = start_axum().await;
    let url = format!("http://127.0.0.1:{}/files/report.bin", seen.port);
    let fetched = fetch(&url, &local_policy()).await.unwrap();
    assert_eq!(fetched.bytes.len(), BODY_LEN);
    assert!(
        fetched.bytes == pattern(),
        "body differs from the served pattern"
    );
    assert_eq!(
        fetched.content_type.as_deref(),
        Some("application/x-test-report")
    );
    assert_eq!(fetched.file_name, "report.bin");
    assert_eq!(fetched.final_url.as_str(), url);
    assert_eq!(*seen.agents.lock().unwrap(), [USER_AGENT]);
    assert!(USER_AGENT.starts_with("fast-mcp-telegram/"));
}

#[tokio::test]
async fn streams_into_a_writer() {
    let seen = start_axum().await;
    let mut out: Vec<u8> = Vec::new();
    let meta = fetch_to_writer(
        &format!("http://127.0.0.1:{}/redirect", seen.port),
        &local_policy(),
        &mut out,
    )
    .await
    .unwrap();
    assert_eq!(meta.bytes_written, BODY_LEN as u64);
    assert!(
        out == pattern(),
        "written bytes differ from the served pattern"
    );
    assert_eq!(meta.file_name, "report.bin");
    assert_eq!(meta.final_url.path(), "/files/report.bin");
}

#[tokio::test]
async fn follows_a_redirect_on_the_same_server() {
    let seen = start_axum().await;
    let fetched = fetch(
        &format!("http://127.0.0.1:{}/redirect", seen.port),
        &local_policy(),
    )
    .await
    .unwrap();
    assert!(fetched.bytes == pattern());
    assert_eq!(
        fetched.final_url.as_str(),
        format!("http://127.0.0.1:{}/files/report.bin", seen.port)
    );
    assert_eq!(fetched.file_name, "report.bin");
}

/// Resolves every name once through the seam and records it.
struct Recording {
    table: StaticResolver,
    names: Mutex<Vec<String>>,
}

impl tgmcp_safe_fetch::Resolver for Recording {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures::future::BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        self.names.lock().unwrap().push(host.to_owned());
        self.table.lookup(host, port)
    }
}

#[tokio::test]
async fn every_hop_is_resolved_through_the_policy_and_pinned() {
    // `.invalid` names can never resolve through real DNS, so the connections
    // can only succeed through the pinned, checked addresses.
    let seen = start_axum().await;
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    let resolver = Arc::new(Recording {
        table: StaticResolver::new()
            .with("hop1.invalid", [lo])
            .with("hop2.invalid", [lo]),
        names: Mutex::new(Vec::new()),
    });
    let fetcher = Fetcher::with_resolver(local_policy(), resolver.clone());
    let fetched = fetcher
        .fetch(&format!("http://hop1.invalid:{}/hop", seen.port))
        .await
        .unwrap();
    assert!(fetched.bytes == pattern());
    assert_eq!(fetched.final_url.host_str(), Some("hop2.invalid"));
    assert_eq!(
        *resolver.names.lock().unwrap(),
        ["hop1.invalid", "hop2.invalid"]
    );
    // The Host header keeps the URL's name although the socket went to 127.0.0.1.
    assert_eq!(
        *seen.hosts.lock().unwrap(),
        [
            format!("hop1.invalid:{}", seen.port),
            format!("hop2.invalid:{}", seen.port)
        ]
    );
}

#[tokio::test]
async fn redirect_hops_are_rechecked_on_a_real_server() {
    let seen = start_axum().await;
    let err = fetch(
        &format!("http://127.0.0.1:{}/to-file", seen.port),
        &local_policy(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, FetchError::SchemeNotAllowed { scheme, .. } if scheme == "file"),
        "{err:?}"
    );

    let err = fetch(
        &format!("http://127.0.0.1:{}/to-creds", seen.port),
        &local_policy(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, FetchError::CredentialsInUrl), "{err:?}");
    assert!(
        seen.agents.lock().unwrap().is_empty(),
        "the refused hop must not be requested"
    );
}

#[tokio::test]
async fn too_many_redirects() {
    let seen = start_axum().await;
    let err = fetch(
        &format!("http://127.0.0.1:{}/loop/0", seen.port),
        &local_policy(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, FetchError::TooManyRedirects { max: 3 }),
        "{err:?}"
    );
    // The first request plus three followed redirects; the fourth Location is refused.
    assert_eq!(seen.loop_hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn error_status_is_reported() {
    let seen = start_axum().await;
    let err = fetch(
        &format!("http://127.0.0.1:{}/missing", seen.port),
        &local_policy(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, FetchError::Http { status: 404 }), "{err:?}");
}

#[tokio::test]
async fn content_disposition_name_is_used_and_sanitised() {
    let seen = start_axum().await;
    let fetched = fetch(
        &format!("http://127.0.0.1:{}/dl", seen.port),
        &local_policy(),
    )
    .await
    .unwrap();
    assert_eq!(fetched.file_name, "passwd");
    assert_eq!(&fetched.bytes[..], b"root:x:0:0");
    assert_eq!(fetched.content_type.as_deref(), Some("text/plain"));

    let fetched = fetch(
        &format!("http://127.0.0.1:{}/dl-ext", seen.port),
        &local_policy(),
    )
    .await
    .unwrap();
    assert_eq!(
        fetched.file_name, "отчёт.pdf",
        "filename* wins and the newline is dropped"
    );
}

/// Reads one request head from `stream`.
async fn read_request_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            return;
        }
        head.push(byte[0]);
    }
}

/// Waits until the peer closes (EOF or reset).
async fn wait_for_close(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while let Ok(n) = stream.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// A raw HTTP/1.1 server for one connection, driven by `serve`.
async fn raw_server<F, Fut>(serve: F) -> SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream).await;
    });
    addr
}

#[tokio::test]
async fn oversize_content_length_is_refused_without_reading_the_body() {
    let (closed_tx, closed_rx) = oneshot::channel();
    let addr = raw_server(|mut stream| async move {
        read_request_head(&mut stream).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 100000000\r\n\r\n")
            .await
            .unwrap();
        // Send no body at all: a client that tried to read it would hang into a Timeout.
        wait_for_close(&mut stream).await;
        let _ = closed_tx.send(());
    })
    .await;
    let policy = FetchPolicy {
        max_bytes: 1_000_000,
        ..local_policy()
    };
    let err = fetch(&format!("http://{addr}/big.zip"), &policy)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: 1_000_000 }),
        "{err:?}"
    );
    closed_rx
        .await
        .expect("server should see the client hang up");
}

#[tokio::test]
async fn endless_chunked_stream_is_cut_off_past_the_limit() {
    let (sent_tx, sent_rx) = oneshot::channel::<u64>();
    let addr = raw_server(|mut stream| async move {
        read_request_head(&mut stream).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let chunk = [b'z'; 16 * 1024];
        let mut sent: u64 = 0;
        // Endless body: this loop only ends when the client drops the connection.
        loop {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&framed).await.is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        let _ = sent_tx.send(sent);
    })
    .await;
    let limit = 100_000;
    let policy = FetchPolicy {
        max_bytes: limit,
        ..local_policy()
    };
    let err = fetch(&format!("http://{addr}/stream"), &policy)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: 100_000 }),
        "{err:?}"
    );
    let sent = sent_rx
        .await
        .expect("server should see the connection dropped");
    // Whatever the socket buffers absorbed, the client stopped a stream that never ends.
    assert!(
        sent < 256 * 1024 * 1024,
        "server pushed {sent} bytes before the drop"
    );
}

#[tokio::test]
async fn silent_server_hits_the_total_deadline() {
    let (closed_tx, closed_rx) = oneshot::channel();
    let addr = raw_server(|mut stream| async move {
        read_request_head(&mut stream).await;
        // Never answer; just notice when the client gives up.
        wait_for_close(&mut stream).await;
        let _ = closed_tx.send(());
    })
    .await;
    let policy = FetchPolicy {
        total_timeout: Duration::from_millis(300),
        ..local_policy()
    };
    let started = std::time::Instant::now();
    let err = fetch(&format!("http://{addr}/slow"), &policy)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "deadline not enforced: {:?}",
        started.elapsed()
    );
    closed_rx
        .await
        .expect("server should see the client hang up");
}
