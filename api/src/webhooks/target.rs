//! Where webhooks may go. A target must be a public address: every special-purpose range of
//! the IANA registries (loopback, private, shared, link-local, documentation, benchmarking,
//! reserved, multicast, and the IPv6 forms that carry an IPv4 address inside: mapped,
//! compatible, NAT64, 6to4, Teredo) is refused unless the configuration allows private
//! targets. Names are checked when a subscription is made and again by the delivery client's
//! own resolver, which hands the HTTP client only the addresses it checked, so a name that
//! changes what it resolves to between the check and the connection (DNS rebinding) cannot
//! slip through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved and broadcast
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let [first, second, ..] = v6.segments();
    // Only global unicast (2000::/3) is public, less the special blocks inside it: IETF
    // protocol assignments with Teredo (2001::/23), documentation (2001:db8::/32,
    // 3fff::/20) and 6to4 (2002::/16). Everything outside it, NAT64 (64:ff9b::/96),
    // IPv4-compatible (::/96), unique-local, link- and site-local and multicast included,
    // is not.
    (first & 0xe000) == 0x2000
        && (first & 0xfe00) != 0x2000
        && !(first == 0x2001 && second == 0x0db8)
        && first != 0x2002
        && (first & 0xfff0) != 0x3ff0
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

const NOT_PUBLIC: &str = "resolves to an address that is not public (private, loopback or special-purpose), which this service does not call";

/// Checks a target URL's form: http(s) with a host, and an address given as such public.
/// Returns the host when it is a name, for resolving.
fn check_form(url: &str, allow_private: bool) -> Result<Option<String>, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".to_owned());
    }
    let host = parsed.host_str().ok_or("has no host")?;
    match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) if !allow_private && !is_public(ip) => Err(format!("{ip} {NOT_PUBLIC}")),
        Ok(_) => Ok(None),
        Err(_) => Ok(Some(host.to_owned())),
    }
}

/// Resolves `host` and returns its addresses if every one of them may be called.
async fn resolve_checked(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((host, 0)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    if addresses.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if !allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(format!("{host} {NOT_PUBLIC}"));
    }
    Ok(addresses)
}

/// Checks a target URL when a subscription is made: its form, and what its name resolves to now.
pub async fn check(url: &str, allow_private: bool) -> Result<(), String> {
    if let Some(host) = check_form(url, allow_private)? {
        resolve_checked(&host, allow_private).await?;
    }
    Ok(())
}

/// Checks a target URL before a delivery. A name is not resolved here: the client's
/// resolver (`CheckedResolver`) resolves and checks it once, for the connection itself.
pub fn check_before_delivery(url: &str, allow_private: bool) -> Result<(), String> {
    check_form(url, allow_private).map(|_| ())
}

/// The delivery client's resolver: it gives the client only addresses that passed the check,
/// so the connection goes to exactly an address that was checked.
pub struct CheckedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addresses = resolve_checked(name.as_str(), allow_private).await?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl CheckedResolver {
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

#[cfg(test)]
mod tests {
    use crate::webhooks::target::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))
    }

    #[test]
    fn private_and_loopback_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "::127.0.0.1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "3fff::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "198.20.0.1", "2606:4700::1111", "2400:3200::1", "2a00:1450::1"] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowed() {
        assert!(check("http://127.0.0.1:9/hook", false).await.is_err());
        assert!(check("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check("ftp://example.org/", true).await.is_err());
        assert!(check("http://[64:ff9b::7f00:1]:9/hook", false).await.is_err());
        assert!(check("http://localhost:9/hook", false).await.is_err());
    }

    /// The delivery client resolves names only through the checked resolver: a name that
    /// resolves to loopback is not connected to, although a server listens there.
    #[tokio::test]
    async fn the_delivery_client_connects_only_to_checked_addresses() -> Result<(), Box<dyn std::error::Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let client = |allow_private| {
            reqwest::Client::builder().dns_resolver(CheckedResolver::shared(allow_private)).no_proxy().build()
        };
        let serve = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut socket, _) = listener.accept().await?;
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            socket.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await
        });
        let refused = client(false)?.get(format!("http://localhost:{port}/")).send().await;
        assert!(refused.as_ref().is_err_and(|e| format!("{e:?}").contains("not public")), "{refused:?}");
        let allowed = client(true)?.get(format!("http://localhost:{port}/")).send().await?;
        assert_eq!(allowed.status(), 204);
        serve.await??;
        Ok(())
    }
}
