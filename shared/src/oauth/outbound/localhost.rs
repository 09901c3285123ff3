//! Name resolution for provider calls, with `localhost` names kept on this machine: RFC 6761 §6.3
//! reserves `localhost` and every name under it (`shop.localhost`) for the loopback interface and
//! asks resolvers to answer them with loopback addresses without asking DNS, as browsers do. The
//! system resolver here (glibc's `files dns`) knows `localhost` only from `/etc/hosts` and would
//! send `shop.localhost` to DNS, where any server could answer it with any address. Every other
//! name goes to the system resolver unchanged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves `localhost` names to loopback (RFC 6761 §6.3) and every other name with the system
/// resolver (`getaddrinfo`, off the async executor).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalhostResolver;

/// Whether `name` is `localhost` or a name under it (RFC 6761 §6.3), ignoring case and a final dot.
pub fn is_localhost_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// The loopback addresses, IPv4 first (port 0: the client puts the URL's port in).
fn loopback() -> Vec<SocketAddr> {
    vec![
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
    ]
}

impl Resolve for LocalhostResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = if is_localhost_name(&host) {
                loopback()
            } else {
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect()
            };
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_and_names_under_it_are_local_and_nothing_else_is() {
        for local in ["localhost", "LOCALHOST", "shop.localhost", "a.b.localhost."] {
            assert!(is_localhost_name(local), "{local}");
        }
        for other in [
            "localhost.example",
            "notlocalhost",
            "example.com",
            "shoplocalhost",
        ] {
            assert!(!is_localhost_name(other), "{other}");
        }
    }

    #[tokio::test]
    async fn a_name_under_localhost_resolves_to_loopback_without_dns() {
        let name: Name = "acme-shop.localhost".parse().unwrap();
        let addrs: Vec<_> = LocalhostResolver.resolve(name).await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
