//! `vungcao healthcheck`: the container probe. Asks a running replica's `/readyz` over plain
//! HTTP/1.0, so the image needs nothing but the binary (no shell, curl or `/dev/tcp`).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where to knock for a server that listens on `listen`: a wildcard address (`0.0.0.0`, `::`)
/// is reached through loopback.
pub fn probe_address(listen: &str) -> Result<SocketAddr, String> {
    let addr = listen
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {listen:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{listen:?} names no address"))?;
    Ok(match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    })
}

/// `Ok` when `GET /readyz` answers 200 within `timeout`; otherwise what went wrong, for the
/// operator reading `docker inspect`.
pub fn probe(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("cannot set timeouts: {e}"))?;
    stream
        .write_all(
            b"GET /readyz HTTP/1.0\r\nHost: localhost\r\nUser-Agent: vungcao-healthcheck\r\n\r\n",
        )
        .map_err(|e| format!("cannot send the request to {addr}: {e}"))?;
    // The answer is a status line and a short body; 4 KiB is plenty and bounds a hostile peer.
    let mut answer = Vec::with_capacity(512);
    stream
        .take(4096)
        .read_to_end(&mut answer)
        .map_err(|e| format!("no answer from {addr}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default().trim();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(code) => Err(format!("/readyz answered {code}: {body}")),
        None => Err(format!("not an HTTP answer from {addr}: {status_line:?}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listen_addresses_are_probed_on_loopback() {
        assert_eq!(
            probe_address("0.0.0.0:8080").ok(),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            probe_address("[::]:9000").ok(),
            Some("[::1]:9000".parse().unwrap())
        );
        assert_eq!(
            probe_address("127.0.0.2:81").ok(),
            Some("127.0.0.2:81".parse().unwrap())
        );
        assert!(probe_address("no-port").is_err());
    }

    #[test]
    fn a_closed_port_is_unhealthy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = probe(addr, Duration::from_millis(500)).err();
        assert!(err.is_some_and(|e| e.contains("cannot connect")));
    }
}
