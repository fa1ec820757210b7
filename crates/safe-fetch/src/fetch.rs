//! The redirect loop and the size-capped body readers.

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use url::Url;

use crate::filename::derive_file_name;
use crate::target::check_hop;
use crate::transport::Transport;
use crate::{FetchError, FetchPolicy, Fetched, FetchedMeta, Resolver};

/// Largest buffer reserved up front from a (trusted-but-capped) Content-Length.
const MAX_PREALLOC: u64 = 8 * 1024 * 1024;

/// A successful final response whose body has not been read yet.
pub(crate) struct Opened {
    pub response: reqwest::Response,
    pub final_url: Url,
}

impl Opened {
    fn content_type(&self) -> Option<String> {
        self.response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    fn declared_length(&self) -> Option<u64> {
        self.response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .or_else(|| self.response.content_length())
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Validates, resolves, pins and requests `url`, following redirects by hand
/// with the full policy re-applied to every hop. Returns once a 2xx response
/// arrives whose declared length (if any) fits `max_bytes`.
pub(crate) async fn open(
    url: &str,
    policy: &FetchPolicy,
    resolver: &dyn Resolver,
    transport: &dyn Transport,
) -> Result<Opened, FetchError> {
    let mut url =
        Url::parse(url.trim()).map_err(|e| FetchError::InvalidUrl(format!("{e}: `{url}`")))?;
    let mut redirects: u8 = 0;
    loop {
        let hop = check_hop(url, policy, resolver).await?;
        tracing::debug!(url = %hop.url, addrs = ?hop.addrs, "safe-fetch: requesting checked hop");
        let response = transport.send(&hop, policy).await?;
        let status = response.status();
        url = hop.url;

        if is_followed_redirect(status) {
            let location = response.headers().get(LOCATION).ok_or(FetchError::Http {
                status: status.as_u16(),
            })?;
            let location = location.to_str().map_err(|_| {
                FetchError::InvalidUrl("redirect Location is not valid text".to_owned())
            })?;
            let next = url.join(location).map_err(|e| {
                FetchError::InvalidUrl(format!("redirect Location `{location}`: {e}"))
            })?;
            if redirects >= policy.max_redirects {
                return Err(FetchError::TooManyRedirects {
                    max: policy.max_redirects,
                });
            }
            redirects += 1;
            tracing::debug!(from = %url, to = %next, "safe-fetch: following redirect");
            url = next;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError::Http {
                status: status.as_u16(),
            });
        }
        let opened = Opened {
            response,
            final_url: url,
        };
        if let Some(length) = opened.declared_length()
            && length > policy.max_bytes
        {
            // Dropping the response closes the connection without reading the body.
            return Err(FetchError::TooLarge {
                limit: policy.max_bytes,
            });
        }
        return Ok(opened);
    }
}

/// Runs `work` under the policy's total deadline.
pub(crate) async fn with_deadline<T>(
    policy: &FetchPolicy,
    work: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    match tokio::time::timeout(policy.total_timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(format!(
            "the whole download did not finish within {:?}",
            policy.total_timeout
        ))),
    }
}

/// Downloads into memory. Holds at most `max_bytes` plus the chunk in flight.
pub(crate) async fn fetch_bytes(
    url: &str,
    policy: &FetchPolicy,
    resolver: &dyn Resolver,
    transport: &dyn Transport,
) -> Result<Fetched, FetchError> {
    with_deadline(policy, async {
        let mut opened = open(url, policy, resolver, transport).await?;
        let content_type = opened.content_type();
        let file_name = derive_file_name(opened.response.headers(), &opened.final_url);
        let initial = opened
            .declared_length()
            .unwrap_or(0)
            .min(policy.max_bytes)
            .min(MAX_PREALLOC);
        let mut buffer = BytesMut::with_capacity(initial as usize);
        while let Some(chunk) = next_chunk(&mut opened.response).await? {
            if buffer.len() as u64 + chunk.len() as u64 > policy.max_bytes {
                return Err(FetchError::TooLarge {
                    limit: policy.max_bytes,
                });
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            bytes: buffer.freeze(),
            content_type,
            file_name,
            final_url: opened.final_url,
        })
    })
    .await
}

/// Streams the body into `writer`, never holding more than one chunk.
pub(crate) async fn fetch_into<W: AsyncWrite + Unpin + ?Sized>(
    url: &str,
    policy: &FetchPolicy,
    resolver: &dyn Resolver,
    transport: &dyn Transport,
    writer: &mut W,
) -> Result<FetchedMeta, FetchError> {
    with_deadline(policy, async {
        let mut opened = open(url, policy, resolver, transport).await?;
        let content_type = opened.content_type();
        let file_name = derive_file_name(opened.response.headers(), &opened.final_url);
        let mut written: u64 = 0;
        while let Some(chunk) = next_chunk(&mut opened.response).await? {
            if written + chunk.len() as u64 > policy.max_bytes {
                return Err(FetchError::TooLarge {
                    limit: policy.max_bytes,
                });
            }
            writer.write_all(&chunk).await.map_err(FetchError::Write)?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(FetchError::Write)?;
        Ok(FetchedMeta {
            bytes_written: written,
            content_type,
            file_name,
            final_url: opened.final_url,
        })
    })
    .await
}

async fn next_chunk(response: &mut reqwest::Response) -> Result<Option<Bytes>, FetchError> {
    response.chunk().await.map_err(FetchError::from_reqwest)
}

#[cfg(test)]
mod tests {
    //! The redirect loop against scripted responses: no sockets, so a
    //! "public" first hop can redirect to an internal one deterministically.

    use std::collections::VecDeque;
    use std::io;
    use std::net::{IpAddr, SocketAddr};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use futures::future::BoxFuture;

    use super::*;
    use crate::StaticResolver;
    use crate::target::Hop;

    const PUBLIC: &str = "93.184.216.34";

    /// Hands out pre-built responses in order and records every hop it was asked to send.
    #[derive(Default)]
    struct Scripted {
        responses: Mutex<VecDeque<reqwest::Response>>,
        sent: Mutex<Vec<Hop>>,
        hang: bool,
    }

    impl Scripted {
        fn new(responses: impl IntoIterator<Item = reqwest::Response>) -> Self {
            Self {
                responses: Mutex::new(responses.into_iter().collect()),
                ..Self::default()
            }
        }
        fn sent(&self) -> Vec<Hop> {
            self.sent.lock().unwrap().clone()
        }
    }

    impl Transport for Scripted {
        fn send<'a>(
            &'a self,
            hop: &'a Hop,
            _policy: &'a FetchPolicy,
        ) -> BoxFuture<'a, Result<reqwest::Response, FetchError>> {
            self.sent.lock().unwrap().push(hop.clone());
            if self.hang {
                return Box::pin(futures::future::pending());
            }
            let next = self.responses.lock().unwrap().pop_front();
            Box::pin(
                async move { next.ok_or_else(|| FetchError::Network("unscripted request".into())) },
            )
        }
    }

    /// Records which names were looked up, then answers from a static table.
    struct Counting {
        inner: StaticResolver,
        lookups: Mutex<Vec<String>>,
    }

    impl Counting {
        fn new(inner: StaticResolver) -> Self {
            Self {
                inner,
                lookups: Mutex::new(Vec::new()),
            }
        }
        fn lookups(&self) -> Vec<String> {
            self.lookups.lock().unwrap().clone()
        }
    }

    impl Resolver for Counting {
        fn lookup<'a>(
            &'a self,
            host: &'a str,
            port: u16,
        ) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
            self.lookups.lock().unwrap().push(host.to_owned());
            self.inner.lookup(host, port)
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn resolver() -> Counting {
        Counting::new(
            StaticResolver::new()
                .with("files.example", [ip(PUBLIC)])
                .with("cdn.example", [ip("151.101.1.1")])
                .with("internal.example", [ip("10.0.0.5")])
                .with("sneaky.example", [ip("151.101.1.1"), ip("127.0.0.1")]),
        )
    }

    fn redirect(status: u16, location: &str) -> reqwest::Response {
        http::Response::builder()
            .status(status)
            .header("location", location)
            .body(Vec::<u8>::new())
            .unwrap()
            .into()
    }

    fn ok(body: &'static [u8], content_type: &str) -> reqwest::Response {
        http::Response::builder()
            .status(200)
            .header("content-type", content_type)
            .body(body.to_vec())
            .unwrap()
            .into()
    }

    /// A body of endless 1000-byte chunks that counts how many were produced.
    fn endless(produced: Arc<AtomicUsize>, content_length: Option<u64>) -> reqwest::Response {
        let stream = futures::stream::repeat_with(move || {
            produced.fetch_add(1, Ordering::SeqCst);
            Ok::<_, io::Error>(Bytes::from(vec![7u8; 1000]))
        });
        let mut builder = http::Response::builder().status(200);
        if let Some(length) = content_length {
            builder = builder.header("content-length", length.to_string());
        }
        builder
            .body(reqwest::Body::wrap_stream(stream))
            .unwrap()
            .into()
    }

    async fn run(
        url: &str,
        policy: &FetchPolicy,
        resolver: &Counting,
        transport: &Scripted,
    ) -> Result<Fetched, FetchError> {
        fetch_bytes(url, policy, resolver, transport).await
    }

    #[tokio::test]
    async fn public_first_hop_redirecting_to_private_name_is_blocked() {
        let resolver = resolver();
        let transport = Scripted::new([redirect(302, "https://internal.example/secret")]);
        let err = run(
            "https://files.example/a.bin",
            &FetchPolicy::default(),
            &resolver,
            &transport,
        )
        .await
        .unwrap_err();
        match err {
            FetchError::BlockedAddress { host, addr, reason } => {
                assert_eq!(host, "internal.example");
                assert_eq!(addr, ip("10.0.0.5"));
                assert_eq!(reason, "private");
            }
            other => panic!("expected BlockedAddress, got {other:?}"),
        }
        let sent = transport.sent();
        assert_eq!(sent.len(), 1, "the internal hop must never be requested");
        assert_eq!(sent[0].pin_name.as_deref(), Some("files.example"));
        assert_eq!(sent[0].addrs, vec![SocketAddr::new(ip(PUBLIC), 443)]);
        assert_eq!(resolver.lookups(), ["files.example", "internal.example"]);
    }

    #[tokio::test]
    async fn redirect_to_name_with_one_bad_address_is_blocked() {
        let resolver = resolver();
        let transport = Scripted::new([redirect(301, "https://sneaky.example/")]);
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver,
            &transport,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, FetchError::BlockedAddress { addr, reason: "loopback", .. } if addr == ip("127.0.0.1")),
            "{err:?}"
        );
        assert_eq!(transport.sent().len(), 1);
    }

    #[tokio::test]
    async fn redirect_to_loopback_literal_is_blocked() {
        let resolver = resolver();
        let transport = Scripted::new([redirect(307, "http://127.0.0.1:8080/admin")]);
        let policy = FetchPolicy {
            allow_http: true,
            ..FetchPolicy::default()
        };
        let err = run("https://files.example/", &policy, &resolver, &transport)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, FetchError::BlockedAddress { host, reason: "loopback", .. } if host == "127.0.0.1"),
            "{err:?}"
        );
        assert_eq!(transport.sent().len(), 1);
    }

    #[tokio::test]
    async fn redirect_to_metadata_is_blocked() {
        let resolver = resolver();
        let transport = Scripted::new([redirect(302, "https://169.254.169.254/latest/meta-data/")]);
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver,
            &transport,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::BlockedAddress {
                    reason: "cloud metadata",
                    ..
                }
            ),
            "{err:?}"
        );

        let resolver = self::resolver();
        let transport = Scripted::new([redirect(
            302,
            "https://metadata.google.internal/computeMetadata/v1/",
        )]);
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver,
            &transport,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::BlockedHost {
                    reason: "cloud metadata",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            resolver.lookups(),
            ["files.example"],
            "blocked names must not reach DNS"
        );
    }

    #[tokio::test]
    async fn https_to_http_downgrade_is_refused_unless_allowed() {
        let resolver = resolver();
        let transport = Scripted::new([redirect(302, "http://cdn.example/file.bin")]);
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver,
            &transport,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, FetchError::SchemeNotAllowed { scheme, .. } if scheme == "http"),
            "{err:?}"
        );
        assert_eq!(transport.sent().len(), 1);

        let transport = Scripted::new([
            redirect(302, "http://cdn.example/file.bin"),
            ok(b"data", "application/pdf"),
        ]);
        let policy = FetchPolicy {
            allow_http: true,
            ..FetchPolicy::default()
        };
        let fetched = run("https://files.example/", &policy, &resolver, &transport)
            .await
            .unwrap();
        assert_eq!(fetched.final_url.as_str(), "http://cdn.example/file.bin");
        assert_eq!(
            transport.sent()[1].addrs,
            vec![SocketAddr::new(ip("151.101.1.1"), 80)]
        );
    }

    #[tokio::test]
    async fn redirect_to_other_schemes_or_credentials_is_refused() {
        for (location, want_scheme) in [
            ("file:///etc/passwd", "file"),
            ("ftp://cdn.example/x", "ftp"),
            ("gopher://cdn.example/", "gopher"),
        ] {
            let transport = Scripted::new([redirect(302, location)]);
            let err = run(
                "https://files.example/",
                &FetchPolicy::default(),
                &resolver(),
                &transport,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&err, FetchError::SchemeNotAllowed { scheme, .. } if scheme == want_scheme),
                "{err:?}"
            );
        }
        let transport = Scripted::new([redirect(302, "https://u:p@cdn.example/")]);
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver(),
            &transport,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::CredentialsInUrl), "{err:?}");
    }

    #[tokio::test]
    async fn relative_redirect_is_resolved_and_each_hop_is_resolved_once() {
        let resolver = resolver();
        let transport = Scripted::new([
            redirect(301, "/b/final.txt"),
            redirect(303, "https://cdn.example/c/real%20name.txt?sig=1"),
            ok(b"hello", "text/plain"),
        ]);
        let fetched = run(
            "https://files.example/a",
            &FetchPolicy::default(),
            &resolver,
            &transport,
        )
        .await
        .unwrap();
        assert_eq!(&fetched.bytes[..], b"hello");
        assert_eq!(fetched.content_type.as_deref(), Some("text/plain"));
        assert_eq!(fetched.file_name, "real name.txt");
        assert_eq!(
            fetched.final_url.as_str(),
            "https://cdn.example/c/real%20name.txt?sig=1"
        );
        let urls: Vec<String> = transport.sent().iter().map(|h| h.url.to_string()).collect();
        assert_eq!(
            urls,
            [
                "https://files.example/a",
                "https://files.example/b/final.txt",
                "https://cdn.example/c/real%20name.txt?sig=1"
            ]
        );
        assert_eq!(
            resolver.lookups(),
            ["files.example", "files.example", "cdn.example"]
        );
    }

    #[tokio::test]
    async fn redirect_limit_is_exact() {
        let policy = FetchPolicy {
            max_redirects: 2,
            ..FetchPolicy::default()
        };
        let transport = Scripted::new([
            redirect(302, "/1"),
            redirect(302, "/2"),
            ok(b"x", "text/plain"),
        ]);
        assert!(
            run("https://files.example/", &policy, &resolver(), &transport)
                .await
                .is_ok()
        );

        let transport = Scripted::new([
            redirect(302, "/1"),
            redirect(302, "/2"),
            redirect(302, "/3"),
        ]);
        let err = run("https://files.example/", &policy, &resolver(), &transport)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::TooManyRedirects { max: 2 }),
            "{err:?}"
        );
        assert_eq!(transport.sent().len(), 3);

        let none = FetchPolicy {
            max_redirects: 0,
            ..FetchPolicy::default()
        };
        let transport = Scripted::new([redirect(308, "/elsewhere")]);
        let err = run("https://files.example/", &none, &resolver(), &transport)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::TooManyRedirects { max: 0 }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn error_statuses_and_bad_redirects() {
        let not_found: reqwest::Response = http::Response::builder()
            .status(404)
            .body(Vec::<u8>::new())
            .unwrap()
            .into();
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver(),
            &Scripted::new([not_found]),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::Http { status: 404 }), "{err:?}");

        let no_location: reqwest::Response = http::Response::builder()
            .status(302)
            .body(Vec::<u8>::new())
            .unwrap()
            .into();
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver(),
            &Scripted::new([no_location]),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::Http { status: 302 }), "{err:?}");

        let not_modified = redirect(304, "/x");
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver(),
            &Scripted::new([not_modified]),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::Http { status: 304 }), "{err:?}");

        let bad = redirect(302, "https://[::1/");
        let err = run(
            "https://files.example/",
            &FetchPolicy::default(),
            &resolver(),
            &Scripted::new([bad]),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::InvalidUrl(_)), "{err:?}");
    }

    #[tokio::test]
    async fn declared_length_over_limit_is_refused_without_reading() {
        let produced = Arc::new(AtomicUsize::new(0));
        let policy = FetchPolicy {
            max_bytes: 5000,
            ..FetchPolicy::default()
        };
        let transport = Scripted::new([endless(produced.clone(), Some(5001))]);
        let err = run("https://files.example/", &policy, &resolver(), &transport)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 5000 }),
            "{err:?}"
        );
        assert_eq!(produced.load(Ordering::SeqCst), 0, "body must not be read");
    }

    #[tokio::test]
    async fn stream_is_cut_off_right_after_the_limit() {
        let produced = Arc::new(AtomicUsize::new(0));
        let policy = FetchPolicy {
            max_bytes: 2500,
            ..FetchPolicy::default()
        };
        let transport = Scripted::new([endless(produced.clone(), None)]);
        let err = run("https://files.example/", &policy, &resolver(), &transport)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 2500 }),
            "{err:?}"
        );
        // Chunks 1 and 2 fit (2000 bytes); chunk 3 crosses the limit and stops the read.
        assert_eq!(produced.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn body_exactly_at_limit_is_accepted() {
        let policy = FetchPolicy {
            max_bytes: 5,
            ..FetchPolicy::default()
        };
        let transport = Scripted::new([ok(b"12345", "text/plain")]);
        let fetched = run("https://files.example/", &policy, &resolver(), &transport)
            .await
            .unwrap();
        assert_eq!(&fetched.bytes[..], b"12345");

        let transport = Scripted::new([ok(b"123456", "text/plain")]);
        let err = run("https://files.example/", &policy, &resolver(), &transport)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::TooLarge { limit: 5 }), "{err:?}");
    }

    #[tokio::test]
    async fn writer_variant_streams_and_caps() {
        let mut out = Vec::new();
        let transport = Scripted::new([ok(b"streamed", "application/octet-stream")]);
        let meta = fetch_into(
            "https://files.example/s.bin",
            &FetchPolicy::default(),
            &resolver(),
            &transport,
            &mut out,
        )
        .await
        .unwrap();
        assert_eq!(out, b"streamed");
        assert_eq!(meta.bytes_written, 8);
        assert_eq!(meta.file_name, "s.bin");

        let produced = Arc::new(AtomicUsize::new(0));
        let policy = FetchPolicy {
            max_bytes: 1500,
            ..FetchPolicy::default()
        };
        let transport = Scripted::new([endless(produced.clone(), None)]);
        let mut out = Vec::new();
        let err = fetch_into(
            "https://files.example/",
            &policy,
            &resolver(),
            &transport,
            &mut out,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 1500 }),
            "{err:?}"
        );
        assert_eq!(
            out.len(),
            1000,
            "only whole chunks within the limit are written"
        );
        assert_eq!(produced.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn total_deadline_covers_a_hanging_hop() {
        let transport = Scripted {
            hang: true,
            ..Scripted::default()
        };
        let policy = FetchPolicy {
            total_timeout: Duration::from_millis(50),
            ..FetchPolicy::default()
        };
        let err = run("https://files.example/", &policy, &resolver(), &transport)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Timeout(_)), "{err:?}");
    }
}
