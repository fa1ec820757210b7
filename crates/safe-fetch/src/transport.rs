//! Sends one already-checked request. Kept behind a small crate-private trait
//! so the redirect loop can be unit-tested with scripted responses.

use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::dns::{Name, Resolve, Resolving};
use reqwest::redirect;

use crate::target::Hop;
use crate::{FetchError, FetchPolicy, USER_AGENT};

/// Performs a single GET for a checked [`Hop`]; must not follow redirects.
pub(crate) trait Transport: Send + Sync {
    /// Sends the request and returns the response with its body unread.
    fn send<'a>(
        &'a self,
        hop: &'a Hop,
        policy: &'a FetchPolicy,
    ) -> BoxFuture<'a, Result<reqwest::Response, FetchError>>;
}

/// The production transport: a fresh, locked-down `reqwest` client per hop,
/// trusting the built-in web roots only.
#[derive(Default)]
pub(crate) struct ReqwestTransport {
    /// Extra trusted roots, for this crate's own tests (a local TLS server with a
    /// test CA). Compiled only into `cfg(test)` builds of this crate: no feature,
    /// setting or environment variable can add a root to a real build.
    #[cfg(test)]
    pub(crate) test_roots: Vec<reqwest::Certificate>,
}

/// A DNS resolver that refuses every lookup. Installed under the per-hop
/// overrides so that a name which is not pinned can never fall through to a
/// second, unchecked system lookup.
struct RefuseDns;

impl Resolve for RefuseDns {
    fn resolve(&self, name: Name) -> Resolving {
        let message = format!("refusing unpinned DNS lookup of `{}`", name.as_str());
        Box::pin(async move { Err(message.into()) })
    }
}

impl Transport for ReqwestTransport {
    fn send<'a>(
        &'a self,
        hop: &'a Hop,
        policy: &'a FetchPolicy,
    ) -> BoxFuture<'a, Result<reqwest::Response, FetchError>> {
        Box::pin(async move {
            let mut builder = reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .no_proxy()
                .pool_max_idle_per_host(0)
                .connect_timeout(policy.connect_timeout)
                .user_agent(USER_AGENT)
                .referer(false)
                .https_only(!policy.allow_http)
                .dns_resolver(Arc::new(RefuseDns));
            #[cfg(test)]
            for root in &self.test_roots {
                builder = builder.add_root_certificate(root.clone());
            }
            if let Some(name) = &hop.pin_name {
                // Connect only to the addresses that were checked; TLS SNI and
                // the Host header still use the name from the URL.
                builder = builder.resolve_to_addrs(name, &hop.addrs);
            }
            let client = builder
                .build()
                .map_err(|e| FetchError::Network(format!("building HTTP client: {e}")))?;
            client
                .get(hop.url.clone())
                .send()
                .await
                .map_err(FetchError::from_reqwest)
        })
    }
}
