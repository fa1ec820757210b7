//! HTTPS to the pinned address: a local TLS server with a test CA shows the certificate is checked for the URL's host name while the connection goes to the address resolved and checked once.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

use crate::fetch::fetch_bytes;
use crate::transport::ReqwestTransport;
use crate::{FetchError, FetchPolicy, Resolver};

/// A test CA and leaf certificates it signs.
struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new() -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "safe-fetch test CA");
        let cert = params.self_signed(&key).unwrap();
        TestCa { cert, key }
    }

    /// As reqwest trusts it.
    fn root(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_pem(self.cert.pem().as_bytes()).unwrap()
    }

    /// A TLS server config presenting a certificate for `host`.
    fn server_for(&self, host: &str) -> Arc<rustls::ServerConfig> {
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec![host.to_string()])
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        let chain = vec![leaf.der().clone(), self.cert.der().clone()];
        let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}

/// What the server saw: the TLS SNI names and the HTTP request heads it got.
#[derive(Default)]
struct Seen {
    sni: Vec<Option<String>>,
    requests: Vec<String>,
}

/// An HTTPS server on 127.0.0.1 answering every request with `hello`.
async fn serve(config: Arc<rustls::ServerConfig>) -> (SocketAddr, Arc<Mutex<Seen>>) {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let acceptor = TlsAcceptor::from(config);
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                log.lock()
                    .unwrap()
                    .sni
                    .push(tls.get_ref().1.server_name().map(str::to_owned));
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .requests
                    .push(String::from_utf8_lossy(&head).into_owned());
                let reply =
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
                let _ = tls.write_all(reply).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, seen)
}

/// Answers every name with 127.0.0.1 and counts the lookups.
#[derive(Default)]
struct CountingResolver {
    lookups: AtomicUsize,
}

impl Resolver for CountingResolver {
    fn lookup<'a>(&'a self, _host: &'a str, _port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]) })
    }
}

/// The local server is on loopback: only the address policy is opened, never TLS.
fn loopback_policy() -> FetchPolicy {
    FetchPolicy {
        block_private_ips: false,
        ..FetchPolicy::default()
    }
}

#[tokio::test]
async fn the_certificate_is_checked_for_the_host_name_on_the_pinned_address() {
    let ca = TestCa::new();
    let (addr, seen) = serve(ca.server_for("files.test")).await;
    let resolver = CountingResolver::default();
    let transport = ReqwestTransport {
        test_roots: vec![ca.root()],
    };
    // `files.test` exists in no DNS: the only way to reach the server is the address the
    // resolver gave and the policy checked (reqwest's own lookups are refused).
    let url = format!("https://files.test:{}/report.pdf", addr.port());
    let got = fetch_bytes(&url, &loopback_policy(), &resolver, &transport)
        .await
        .unwrap();
    assert_eq!(&got.bytes[..], b"hello");
    assert_eq!(got.file_name, "report.pdf");
    assert_eq!(
        resolver.lookups.load(Ordering::SeqCst),
        1,
        "one lookup, no second one"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.sni,
        [Some("files.test".to_string())],
        "SNI names the URL's host, not the address"
    );
    let host = format!("host: files.test:{}\r\n", addr.port());
    assert!(
        seen.requests[0].to_ascii_lowercase().contains(&host),
        "{}",
        seen.requests[0]
    );
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused_before_any_request() {
    let ca = TestCa::new();
    let (addr, seen) = serve(ca.server_for("other.test")).await;
    let transport = ReqwestTransport {
        test_roots: vec![ca.root()],
    };
    let url = format!("https://files.test:{}/report.pdf", addr.port());
    let err = fetch_bytes(
        &url,
        &loopback_policy(),
        &CountingResolver::default(),
        &transport,
    )
    .await
    .unwrap_err();
    let FetchError::Network(message) = &err else {
        panic!("expected a network error, got {err:?}")
    };
    assert!(
        message.contains(r#"certificate not valid for name "files.test""#),
        "{message}"
    );
    assert!(
        seen.lock().unwrap().requests.is_empty(),
        "no request was sent over it"
    );
}

#[tokio::test]
async fn without_the_test_root_a_real_build_trusts_only_the_web_roots() {
    let ca = TestCa::new();
    let (addr, seen) = serve(ca.server_for("files.test")).await;
    let url = format!("https://files.test:{}/report.pdf", addr.port());
    let err = fetch_bytes(
        &url,
        &loopback_policy(),
        &CountingResolver::default(),
        &ReqwestTransport::default(),
    )
    .await
    .unwrap_err();
    let FetchError::Network(message) = &err else {
        panic!("expected a network error, got {err:?}")
    };
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(seen.lock().unwrap().requests.is_empty());
}
