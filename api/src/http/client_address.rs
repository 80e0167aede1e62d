//! Which address a request comes from. Forwarded headers (`Forwarded`, `X-Forwarded-For`)
//! are believed only when the connection comes from a configured trusted proxy; anyone else
//! could write whatever they like in them.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::TrustedProxies;

/// The client address of `req`: the peer's, or — when the peer is a trusted proxy — the
/// right-most forwarded address that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(req);
    Some(chain.into_iter().rev().find(|ip| !trusted.contains(*ip)).unwrap_or(peer))
}

/// Addresses named by the forwarding headers, nearest client first. `Forwarded` wins when present.
fn forwarded_chain(req: &HttpRequest) -> Vec<IpAddr> {
    let header = |name: &str| req.headers().get_all(name).filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let forwarded = header("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .split(',')
            .flat_map(|element| element.split(';'))
            .filter_map(|pair| pair.trim().strip_prefix("for=").or_else(|| pair.trim().strip_prefix("For=")))
            .filter_map(parse_node)
            .collect();
    }
    header("x-forwarded-for").split(',').filter_map(parse_node).collect()
}

/// Parses `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:4711"` or `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':').and_then(|(host, _)| host.parse().ok())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use crate::http::client_address::*;

    fn request(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut builder =
            TestRequest::default().peer_addr(format!("{peer}:5000").parse().unwrap_or_else(|_| unreachable!()));
        for (name, value) in headers {
            builder = builder.insert_header((*name, *value));
        }
        builder.to_http_request()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn forwarded_headers_from_untrusted_peers_are_ignored() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap_or_default();
        let req = request("198.51.100.7", &[("x-forwarded-for", "203.0.113.1")]);
        assert_eq!(client_ip(&req, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn a_trusted_proxy_passes_on_the_nearest_untrusted_address() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.0.2.9".parse().unwrap_or_default();
        let req = request("10.1.2.3", &[("x-forwarded-for", "203.0.113.66, 198.51.100.2, 192.0.2.9")]);
        assert_eq!(client_ip(&req, &trusted), ip("198.51.100.2"), "the left-most entry can be forged by the client");
        let forwarded =
            request("10.1.2.3", &[("forwarded", "for=203.0.113.5;proto=https, for=\"[2001:db8::7]:4711\"")]);
        assert_eq!(client_ip(&forwarded, &trusted), ip("2001:db8::7"));
    }

    #[test]
    fn bad_proxy_lists_are_refused() {
        assert!("10.0.0.0/8, nonsense".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().is_ok());
    }
}
