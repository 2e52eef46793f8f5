//! Probing an HTTP(S) mirror: DNS, TCP to each address, TLS, then the manifest and the
//! package, each bounded by what is left of the per-architecture deadline. Redirects are
//! followed by hand (at most 5) so every hop is reported.

use crate::mirror::StepName;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header;
use serde_json::json;
use url::Url;

use super::package::{self, MAX_MANIFEST_BYTES, SNIFF_BYTES};
use super::status::{self, MAX_STATUS_BYTES, StatusReading};
use super::{
    ArchProbe, ErrorKind, PackageFacts, ProbeOptions, Step, StepError, Timer, conn,
    manifest_outcome, signature_outcome, tls, verify_outcome,
};

pub const MAX_REDIRECTS: usize = 5;
/// At most this many resolved addresses are tried, so a name with dozens of records
/// cannot multiply the connect timeout.
const MAX_ADDRESSES: usize = 4;

pub fn probe(base: &Url, arch: &str, opts: &ProbeOptions) -> ArchProbe {
    probe_with_status(base, arch, opts, None).0
}

/// [`probe`], and with `status` the ring folder's status file read in the same round as
/// the manifest, on a connection of its own to the same addresses, through a client
/// built the same way (proxy, trust, redirects by hand). No reading when the probe got
/// no connection at all: its own failure says why.
pub fn probe_with_status(
    base: &Url,
    arch: &str,
    opts: &ProbeOptions,
    status: Option<&Url>,
) -> (ArchProbe, Option<StatusReading>) {
    let deadline = Instant::now() + opts.probe_timeout;
    let mut probe = ArchProbe::new(arch, base.to_string());
    let (host, port, via_proxy) = match connect_target(base, opts.proxy.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            probe
                .steps
                .push(Timer::start().fail(StepName::Dns, json!({}), e));
            return (probe, None);
        }
    };

    // 1. DNS
    let t = Timer::start();
    let addrs = match resolve(&host, port, opts.connect_timeout.min(left(deadline))) {
        Ok(a) => {
            probe.steps.push(t.ok(
                StepName::Dns,
                json!({"host": host, "addresses": a.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>(), "via_proxy": via_proxy}),
            ));
            a
        }
        Err(e) => {
            probe.steps.push(t.fail(
                StepName::Dns,
                json!({"host": host, "via_proxy": via_proxy}),
                e,
            ));
            return (probe, None);
        }
    };

    let addrs: Vec<SocketAddr> = addrs.into_iter().take(MAX_ADDRESSES).collect();

    // One client for the probe: it connects only to the addresses just resolved (no
    // second lookup), records the certificate its own TLS handshake is shown and times
    // its own connections, so the probe opens no connection beside the requests'.
    let conns = Arc::new(conn::ConnLog::default());
    let (client, recording) = match probe_client(opts, &host, &addrs, &conns) {
        Ok(c) => c,
        Err(e) => {
            probe.steps.push(Timer::start().fail(
                StepName::Http,
                json!({}),
                StepError::new(ErrorKind::Io, e),
            ));
            return (probe, None);
        }
    };
    let (manifest_url, zip_url) = match (base.join("manifest.json"), base.join("updates.zip")) {
        (Ok(m), Ok(z)) => (m, z),
        (Err(e), _) | (_, Err(e)) => {
            probe.steps.push(Timer::start().fail(
                StepName::Http,
                json!({}),
                StepError::new(ErrorKind::Invalid, e.to_string()),
            ));
            return (probe, None);
        }
    };

    // 2. One round of requests: manifest.json and the first bytes of updates.zip. Over
    // plain HTTP they go at once (a TCP connection costs the server little). Over HTTPS
    // the package request waits for the manifest and reuses its kept-alive connection:
    // one TLS handshake per arch instead of one per request, which a mirror serving a
    // fleet pays for every run, at the cost of the manifest's answer time. A manifest
    // that takes more than half of what is left of the budget is not waited for (the
    // package request then goes on a connection of its own with the other half), and
    // after a failed connection the package request is not sent: it would fail the same
    // way, with one more handshake.
    let round = Timer::start();
    // The status file (first arch only) goes with the package request: at once over plain
    // HTTP, after the manifest over HTTPS (not at all after a failed connection), on a
    // connection of its own (over HTTPS one more handshake, no more waiting).
    let status_client = status.map(|u| (u, client_pinned(opts, Some((&host, &addrs)))));
    let (go, gone) = mpsc::channel::<bool>();
    let (
        ((manifest_step, manifest, manifest_conn), (package_steps, mut facts, package_conn)),
        status_reading,
    ) = std::thread::scope(|outer| {
        // Owned here, so a panic in the round drops it and the status thread ends.
        let go = go;
        let status = status_client.as_ref().map(|(u, c)| {
            outer.spawn(move || {
                if !gone.recv().unwrap_or(false) {
                    return None;
                }
                Some(match c {
                    Ok(c) => status_step(c, opts, u, deadline),
                    Err(e) => StatusReading {
                        url: u.to_string(),
                        status: None,
                        error: Some(e.clone()),
                    },
                })
            })
        });
        let round = if base.scheme() == "https" {
            let (done, finished) = std::sync::mpsc::channel::<()>();
            std::thread::scope(|scope| {
                let m = scope.spawn(|| {
                    let m = manifest_step(&client, opts, &manifest_url, deadline);
                    let _ = done.send(());
                    m
                });
                let waited = finished.recv_timeout(left(deadline) / 2).is_ok();
                let join = |m: std::thread::ScopedJoinHandle<'_, _>| {
                    m.join().unwrap_or_else(|_| {
                        (thread_failed(StepName::Manifest), None, Conn::Unknown)
                    })
                };
                if waited {
                    let m = join(m);
                    let failed = matches!(m.2, Conn::Failed(_));
                    let _ = go.send(!failed);
                    let p = if failed {
                        (Vec::new(), PackageFacts::default(), Conn::Unknown)
                    } else {
                        package_steps(&client, opts, &zip_url, deadline)
                    };
                    (m, p)
                } else {
                    let _ = go.send(true);
                    let p = package_steps(&client, opts, &zip_url, deadline);
                    (join(m), p)
                }
            })
        } else {
            let _ = go.send(true);
            std::thread::scope(|scope| {
                let m = scope.spawn(|| manifest_step(&client, opts, &manifest_url, deadline));
                let p = scope.spawn(|| package_steps(&client, opts, &zip_url, deadline));
                (
                    m.join().unwrap_or_else(|_| {
                        (thread_failed(StepName::Manifest), None, Conn::Unknown)
                    }),
                    p.join().unwrap_or_else(|_| {
                        (
                            vec![thread_failed(StepName::Package)],
                            PackageFacts::default(),
                            Conn::Unknown,
                        )
                    }),
                )
            })
        };
        let status = status.and_then(|h| {
            h.join().unwrap_or_else(|_| {
                Some(StatusReading {
                    url: String::new(),
                    status: None,
                    error: Some("the request thread failed unexpectedly".into()),
                })
            })
        });
        (round, status)
    });

    // 3. The connection those requests made (TCP, and TLS over it), or why none was made.
    let tls_direct = base.scheme() == "https" && via_proxy.is_none();
    let peer = [&manifest_conn, &package_conn]
        .into_iter()
        .find_map(|c| match c {
            Conn::Made(peer) => Some(*peer),
            _ => None,
        });
    let connected = match (peer, conns.first_ok()) {
        (Some(peer), took) => Some((peer, took.unwrap_or_default())),
        (None, Some(took)) => Some((None, took)),
        (None, None) => None,
    };
    let Some((peer, took)) = connected else {
        let error = [manifest_conn, package_conn]
            .into_iter()
            .find_map(|c| match c {
                Conn::Failed(e) => Some(e),
                _ => None,
            });
        connection_failed(
            &mut probe,
            &round,
            &addrs,
            error,
            tls_direct,
            &recording,
            opts.connect_timeout.min(opts.probe_timeout),
        );
        return (probe, None);
    };
    let took_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
    let address = peer.map(|p| p.to_string());
    let mut tcp = Timer::start().ok(
        StepName::Tcp,
        json!({
            "attempts": [{"address": address, "ok": true, "ms": took_ms}],
            "connections": conns.count(),
            "includes_tls": tls_direct,
        }),
    );
    tcp.duration_ms = took_ms;
    probe.steps.push(tcp);
    if tls_direct {
        // Timed with the TCP step: the client sets up both in one go.
        let mut detail = json!(recording.facts());
        detail["timed_with"] = json!("tcp");
        probe.steps.push(Timer::start().ok(StepName::Tls, detail));
    }

    let timed_out = is_timeout(&manifest_step) || package_steps.iter().any(is_timeout);
    // A server that kept the probe's own requests waiting kept this one waiting too: what
    // went wrong with it says nothing the probe's timeout does not.
    let status_reading = status_reading.filter(|r| !(timed_out && r.error.is_some()));
    probe.manifest = manifest;
    probe.steps.push(manifest_step);
    probe.steps.extend(package_steps);

    // 4. With --verify-package, the whole package, on its own budget. A server that
    // stalled once would stall again: no download after a timeout.
    if opts.verify_package && facts.is_zip == Some(true) && !timed_out {
        probe.steps.push(verify_step(
            &client,
            opts,
            &zip_url,
            opts.package_timeout,
            opts.max_package_bytes,
            &mut facts,
        ));
    }
    probe.package = Some(facts);
    (probe, status_reading)
}

/// The step of a request whose thread panicked (a bug): failed, never silently missing.
fn thread_failed(name: StepName) -> Step {
    Timer::start().fail(
        name,
        json!({}),
        StepError::new(ErrorKind::Io, "the request thread failed unexpectedly"),
    )
}

/// What a request learnt of its connection to the mirror (or the proxy): made (with the
/// address, when the client says it), refused before any answer, or nothing to say.
enum Conn {
    Made(Option<SocketAddr>),
    Failed(StepError),
    Unknown,
}

/// No request got a connection: the TCP step fails (or the TLS one, when the server
/// showed a certificate and the handshake failed), with no request steps after it.
fn connection_failed(
    probe: &mut ArchProbe,
    round: &Timer,
    addrs: &[SocketAddr],
    error: Option<StepError>,
    tls_direct: bool,
    recording: &tls::Recording,
    budget: Duration,
) {
    let listed = addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let tried = json!({"addresses": addrs.iter().map(ToString::to_string).collect::<Vec<_>>()});
    let error = error.unwrap_or_else(|| {
        StepError::new(
            ErrorKind::ConnectTimeout,
            format!(
                "no connection to {listed} within {:.1} s",
                budget.as_secs_f32()
            ),
        )
    });
    let handshake = tls_direct
        && (error.kind == ErrorKind::Tls
            || (recording.saw_certificate() && error.kind != ErrorKind::Refused));
    if !handshake {
        let error = match error.kind {
            ErrorKind::Refused => StepError::new(
                ErrorKind::Refused,
                format!("{listed} refused the connection"),
            ),
            ErrorKind::Timeout | ErrorKind::ConnectTimeout => StepError::new(
                ErrorKind::ConnectTimeout,
                format!(
                    "{listed} did not answer within {:.1} s",
                    budget.as_secs_f32()
                ),
            ),
            _ => error,
        };
        probe.steps.push(round.fail(StepName::Tcp, tried, error));
        return;
    }
    probe.steps.push(Timer::start().ok(
        StepName::Tcp,
        json!({"addresses": tried["addresses"], "includes_tls": true}),
    ));
    let mut error = error;
    if matches!(error.kind, ErrorKind::Timeout | ErrorKind::ConnectTimeout) {
        error.kind = ErrorKind::Timeout;
        error.tls = Some(tls::TlsFailureKind::Timeout);
        error.message = format!(
            "{}: {}",
            tls::TlsFailureKind::Timeout.describe(),
            error.message
        );
    }
    probe
        .steps
        .push(round.fail(StepName::Tls, json!(recording.facts()), error));
}

fn is_timeout(step: &Step) -> bool {
    step.error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::Timeout)
}

fn left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// How close to the deadline a failed read counts as cut by it (the HTTP client's
/// timer and ours are not the same clock read).
const DEADLINE_SLACK: Duration = Duration::from_millis(250);

/// Whether a failed body read was the deadline: the error says so (reqwest reports its
/// own timeouts as `Other`, wrapping a timeout error), or the deadline has passed.
fn read_timed_out(
    kind: std::io::ErrorKind,
    error: Option<&std::io::Error>,
    deadline: Instant,
) -> bool {
    if kind == std::io::ErrorKind::TimedOut || left(deadline) <= DEADLINE_SLACK {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        error.and_then(|e| e.get_ref()).map(|e| e as _);
    while let Some(err) = source {
        if err
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// The step error for a body that stopped arriving: a timeout when the deadline cut
/// it (with how much arrived in how long), else an I/O error.
fn body_error(
    what: &str,
    e: &std::io::Error,
    got: usize,
    t: &Timer,
    deadline: Instant,
) -> StepError {
    let elapsed = t.0.elapsed();
    if read_timed_out(e.kind(), Some(e), deadline) {
        StepError::new(
            ErrorKind::Timeout,
            format!(
                "{what} stopped arriving at the probe deadline: {got} bytes in {:.1} s ({})",
                elapsed.as_secs_f64(),
                package::throughput(got as u64, elapsed)
            ),
        )
    } else {
        StepError::new(
            ErrorKind::Io,
            format!("reading {what} failed after {got} bytes: {e}"),
        )
    }
}

/// Host and port the first hop connects to: the mirror, or the proxy when there is one.
fn connect_target(
    base: &Url,
    proxy: Option<&str>,
) -> Result<(String, u16, Option<String>), StepError> {
    let (url, via) = match proxy {
        Some(p) => (
            Url::parse(p).map_err(|e| {
                StepError::new(ErrorKind::Invalid, format!("proxy `{p}` is not a URL: {e}"))
            })?,
            Some(p.to_string()),
        ),
        None => (base.clone(), None),
    };
    let host = url
        .host_str()
        .ok_or_else(|| StepError::new(ErrorKind::Invalid, format!("`{url}` has no host")))?
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| StepError::new(ErrorKind::Invalid, format!("`{url}` has no port")))?;
    Ok((host, port, via))
}

/// Resolves in a helper thread: the system resolver has no timeout of its own, and a
/// stuck one must not hold the probe. An abandoned lookup finishes on its own later.
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, StepError> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>()),
        );
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(StepError::new(
            ErrorKind::DnsFailed,
            format!("{host} has no address"),
        )),
        Ok(Err(e)) => Err(StepError::new(
            ErrorKind::DnsFailed,
            format!("cannot resolve {host}: {e}"),
        )),
        Err(_) => Err(StepError::new(
            ErrorKind::DnsFailed,
            format!(
                "resolving {host} took longer than {} s",
                timeout.as_secs_f32()
            ),
        )),
    }
}

/// The probe's client: it connects to `host` only at the addresses resolved for it (the
/// mirror's, or the proxy's), records what the server's TLS presents and times its
/// connections.
fn probe_client(
    opts: &ProbeOptions,
    host: &str,
    addrs: &[SocketAddr],
    conns: &Arc<conn::ConnLog>,
) -> Result<(Client, Arc<tls::Recording>), String> {
    let (config, recording) = opts.trust.recording_config()?;
    let client = builder(opts, config)?
        .resolve_to_addrs(host, addrs)
        .connector_layer(conn::Timed(conns.clone()))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    Ok((client, recording))
}

/// A client for a cross-host redirect: the host is reached only at the addresses given
/// (those checked before the redirect was followed), never at a fresh lookup's.
fn client_pinned(
    opts: &ProbeOptions,
    pin: Option<(&str, &[SocketAddr])>,
) -> Result<Client, String> {
    let mut builder = builder(opts, opts.trust.client_config()?)?;
    if let Some((host, addrs)) = pin {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

fn builder(
    opts: &ProbeOptions,
    tls: rustls::ClientConfig,
) -> Result<reqwest::blocking::ClientBuilder, String> {
    let builder = Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.connect_timeout)
        .user_agent(concat!("mdatp-doctor/", env!("CARGO_PKG_VERSION")));
    // Only the proxy mdatp uses (or the one given): the shell's *_proxy variables are not
    // what the daemon sees.
    Ok(match &opts.proxy {
        Some(p) => builder.proxy(reqwest::Proxy::all(p).map_err(|e| format!("proxy `{p}`: {e}"))?),
        None => builder.no_proxy(),
    })
}

struct Fetched {
    response: Response,
    hops: Vec<serde_json::Value>,
    /// The address the first hop's connection went to.
    peer: Option<SocketAddr>,
}

struct FetchError {
    error: StepError,
    hops: Vec<serde_json::Value>,
    /// The first hop got no connection (refused, unreachable, TLS refused, timed out
    /// before connecting).
    no_connection: bool,
}

impl FetchError {
    fn new(error: StepError, hops: Vec<serde_json::Value>) -> FetchError {
        FetchError {
            error,
            hops,
            no_connection: false,
        }
    }

    fn conn(&self) -> Conn {
        if self.no_connection {
            Conn::Failed(self.error.clone())
        } else {
            Conn::Unknown
        }
    }
}

/// Sends a request, following up to [`MAX_REDIRECTS`] redirects by hand. A hop to
/// another host (or port) is marked `cross_host`; a hop to a link-local address (where
/// cloud metadata services answer) is refused before anything is sent to it.
fn fetch(
    client: &Client,
    opts: &ProbeOptions,
    method: reqwest::Method,
    url: &Url,
    range: Option<&str>,
    deadline: Instant,
) -> Result<Fetched, FetchError> {
    let origin = url.clone();
    let mut url = url.clone();
    let mut seen = vec![url.clone()];
    let mut hops = Vec::new();
    // A client bound to the checked addresses of the host a redirect went to.
    let mut pinned: Option<Client> = None;
    let mut peer = None;
    loop {
        let budget = left(deadline);
        if budget.is_zero() {
            return Err(FetchError::new(
                StepError::new(ErrorKind::Timeout, "the probe deadline passed"),
                hops,
            ));
        }
        let mut req = pinned
            .as_ref()
            .unwrap_or(client)
            .request(method.clone(), url.clone())
            .timeout(budget);
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        let response = match req.send() {
            Ok(r) => r,
            Err(e) => {
                let no_connection = hops.is_empty() && e.is_connect();
                return Err(FetchError {
                    error: request_error(&e, budget),
                    hops,
                    no_connection,
                });
            }
        };
        if hops.is_empty() {
            peer = response.remote_addr();
        }
        let status = response.status();
        if !status.is_redirection() {
            return Ok(Fetched {
                response,
                hops,
                peer,
            });
        }
        let Some(next) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok())
        else {
            return Ok(Fetched {
                response,
                hops,
                peer,
            });
        };
        let mut hop = json!({"status": status.as_u16(), "from": url.as_str(), "to": next.as_str()});
        let cross_host = !same_host(&origin, &next);
        if cross_host {
            hop["cross_host"] = json!(true);
        }
        hops.push(hop);
        if seen.contains(&next) {
            return Err(FetchError::new(
                StepError::new(
                    ErrorKind::RedirectLoop,
                    format!("redirect loop: {next} again"),
                ),
                hops,
            ));
        }
        if hops.len() > MAX_REDIRECTS {
            return Err(FetchError::new(
                StepError::new(
                    ErrorKind::TooManyRedirects,
                    format!("more than {MAX_REDIRECTS} redirects"),
                ),
                hops,
            ));
        }
        pinned = if cross_host {
            match redirect_target(&next, opts, deadline) {
                Err(e) => return Err(FetchError::new(e, hops)),
                Ok(None) => None,
                Ok(Some((host, addrs))) => match client_pinned(opts, Some((&host, &addrs))) {
                    Ok(c) => Some(c),
                    Err(e) => return Err(FetchError::new(StepError::new(ErrorKind::Io, e), hops)),
                },
            }
        } else {
            None
        };
        seen.push(next.clone());
        url = next;
    }
}

/// Same scheme, host and port: a redirect within the mirror.
fn same_host(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Link-local addresses: IPv4 169.254.0.0/16, IPv6 fe80::/10 (and IPv4 ones mapped into
/// IPv6). Cloud metadata services (169.254.169.254) answer there; a mirror never does.
pub fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.segments()[0] & 0xffc0 == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

fn refused(next: &Url, ip: IpAddr) -> StepError {
    StepError::new(
        ErrorKind::RedirectRefused,
        format!(
            "refused to follow the redirect to {next}: {ip} is a link-local address, where cloud metadata services answer; a mirror is never there"
        ),
    )
}

/// Checks where a cross-host redirect goes before anything is sent there: a link-local
/// address literal is refused; a host name (when no proxy resolves it for us) is
/// resolved here, refused if any address is link-local, and returned so the request is
/// pinned to exactly those addresses.
fn redirect_target(
    next: &Url,
    opts: &ProbeOptions,
    deadline: Instant,
) -> Result<Option<(String, Vec<SocketAddr>)>, StepError> {
    let port = next.port_or_known_default().unwrap_or(80);
    match next.host() {
        Some(url::Host::Ipv4(ip)) if is_link_local(ip.into()) => Err(refused(next, ip.into())),
        Some(url::Host::Ipv6(ip)) if is_link_local(ip.into()) => Err(refused(next, ip.into())),
        Some(url::Host::Domain(name)) if opts.proxy.is_none() => {
            let addrs = resolve(name, port, opts.connect_timeout.min(left(deadline)))?;
            if let Some(bad) = addrs.iter().find(|a| is_link_local(a.ip())) {
                return Err(refused(next, bad.ip()));
            }
            Ok(Some((name.to_string(), addrs)))
        }
        _ => Ok(None),
    }
}

fn request_error(e: &reqwest::Error, budget: Duration) -> StepError {
    if e.is_timeout() {
        return StepError::new(
            ErrorKind::Timeout,
            format!("no complete answer within {:.1} s", budget.as_secs_f32()),
        );
    }
    // Walk the cause chain for something we can name.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(tls_err) = err.downcast_ref::<rustls::Error>() {
            let kind = tls::classify(tls_err);
            let mut step =
                StepError::new(ErrorKind::Tls, format!("{}: {tls_err}", kind.describe()));
            step.tls = Some(kind);
            return step;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            // The TLS stack hands its error over wrapped in I/O errors (two deep, through
            // the connector), which `source` skips.
            let mut inner = io.get_ref();
            while let Some(e) = inner {
                if let Some(tls_err) = e.downcast_ref::<rustls::Error>() {
                    let kind = tls::classify(tls_err);
                    let mut step =
                        StepError::new(ErrorKind::Tls, format!("{}: {tls_err}", kind.describe()));
                    step.tls = Some(kind);
                    return step;
                }
                inner = e
                    .downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref());
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return StepError::new(ErrorKind::Refused, io.to_string());
                }
                std::io::ErrorKind::TimedOut => {
                    return StepError::new(ErrorKind::Timeout, io.to_string());
                }
                _ => {}
            }
        }
        source = err.source();
    }
    let kind = if e.is_connect() {
        ErrorKind::Unreachable
    } else {
        ErrorKind::Io
    };
    StepError::new(kind, error_chain(e))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn status_error(status: reqwest::StatusCode, what: &str) -> StepError {
    let mut e = StepError::new(ErrorKind::HttpStatus, format!("{what}: HTTP {status}"));
    e.status = Some(status.as_u16());
    e
}

fn header_str(r: &Response, name: header::HeaderName) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// GET manifest.json: its versions, or why they cannot be read.
fn manifest_step(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    deadline: Instant,
) -> (Step, Option<package::Manifest>, Conn) {
    let t = Timer::start();
    let mut manifest = None;
    let fetched = match fetch(client, opts, reqwest::Method::GET, url, None, deadline) {
        Ok(f) => f,
        Err(fe) => {
            let conn = fe.conn();
            let step = t.fail(
                StepName::Manifest,
                json!({"url": url.as_str(), "redirects": fe.hops}),
                fe.error,
            );
            return (step, None, conn);
        }
    };
    let conn = Conn::Made(fetched.peer);
    let status = fetched.response.status();
    let mut detail = json!({
        "url": url.as_str(),
        "status": status.as_u16(),
        "redirects": fetched.hops,
        "content_type": header_str(&fetched.response, header::CONTENT_TYPE),
    });
    if !status.is_success() {
        let step = t.fail(
            StepName::Manifest,
            detail,
            status_error(status, "manifest.json"),
        );
        return (step, None, conn);
    }
    let mut body = Vec::new();
    if let Err(e) = fetched
        .response
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut body)
    {
        detail["bytes"] = json!(body.len());
        let error = body_error("manifest.json", &e, body.len(), &t, deadline);
        return (t.fail(StepName::Manifest, detail, error), None, conn);
    }
    detail["bytes"] = json!(body.len());
    if body.len() as u64 > MAX_MANIFEST_BYTES {
        let step = t.fail(
            StepName::Manifest,
            detail,
            StepError::new(ErrorKind::TooLarge, "manifest.json is larger than 64 KiB"),
        );
        return (step, None, conn);
    }
    let step = manifest_outcome(&t, &body, detail, &mut manifest);
    (step, manifest, conn)
}

/// GET the ring folder's status file, bounded by [`MAX_STATUS_BYTES`] and the probe's
/// deadline. No such file (404, 410) is no status and no error: the mirror does not run
/// mdatp-doctor. Anything else that is not a status file says why in `error`.
fn status_step(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    deadline: Instant,
) -> StatusReading {
    let t = Timer::start();
    let reading = |status, error: Option<String>| StatusReading {
        url: url.to_string(),
        status,
        error,
    };
    let fetched = match fetch(client, opts, reqwest::Method::GET, url, None, deadline) {
        Ok(f) => f,
        Err(fe) => return reading(None, Some(fe.error.message)),
    };
    let code = fetched.response.status();
    if matches!(code.as_u16(), 404 | 410) {
        return reading(None, None);
    }
    if !code.is_success() {
        return reading(None, Some(format!("HTTP {code}")));
    }
    let announced: Option<u64> =
        header_str(&fetched.response, header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
    if let Some(n) = announced.filter(|n| *n > MAX_STATUS_BYTES) {
        return reading(
            None,
            Some(format!(
                "larger than {} KiB ({n} bytes announced); not read",
                MAX_STATUS_BYTES / 1024
            )),
        );
    }
    let mut body = Vec::new();
    if let Err(e) = fetched
        .response
        .take(MAX_STATUS_BYTES + 1)
        .read_to_end(&mut body)
    {
        let error = body_error(status::STATUS_FILE, &e, body.len(), &t, deadline);
        return reading(None, Some(error.message));
    }
    match status::parse(&body) {
        Ok(s) => reading(Some(s), None),
        Err(e) => reading(None, Some(e)),
    }
}

/// One ranged GET of updates.zip gives both what a HEAD would (a `206` names the whole
/// size in `Content-Range`, with `Last-Modified` and the type) and the first bytes that
/// tell a zip from an error page. A server that ignores `Range` answers `200` with the
/// whole length; only the first bytes are read. A `416` (an empty file, or a server that
/// refuses the range) falls back to a HEAD.
fn package_steps(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    deadline: Instant,
) -> (Vec<Step>, PackageFacts, Conn) {
    let mut facts = PackageFacts::default();
    let t = Timer::start();
    let range = format!("bytes=0-{}", SNIFF_BYTES - 1);
    let fetched = match fetch(
        client,
        opts,
        reqwest::Method::GET,
        url,
        Some(&range),
        deadline,
    ) {
        Ok(f) => f,
        Err(fe) => {
            let conn = fe.conn();
            let step = t.fail(
                StepName::Package,
                json!({"url": url.as_str(), "method": "GET", "range": range, "redirects": fe.hops}),
                fe.error,
            );
            return (vec![step], facts, conn);
        }
    };
    let conn = Conn::Made(fetched.peer);
    let status = fetched.response.status();
    if status == reqwest::StatusCode::RANGE_NOT_SATISFIABLE {
        drop(fetched);
        let head = head_step(client, opts, url, deadline, &mut facts);
        if !head.ok {
            return (vec![head], facts, conn);
        }
        let t = Timer::start();
        let signature = if facts.size == Some(0) {
            signature_outcome(&t, &[], json!({"status": 416}), &mut facts)
        } else {
            // Ranges refused on a non-empty file: the first bytes of a plain GET.
            sniff_step(client, opts, url, deadline, &mut facts)
        };
        return (vec![head, signature], facts, conn);
    }
    let r = &fetched.response;
    let length: Option<u64> =
        header_str(r, header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
    let total = header_str(r, header::CONTENT_RANGE).and_then(|cr| {
        cr.rsplit_once('/')
            .and_then(|(_, n)| n.trim().parse::<u64>().ok())
    });
    let partial = status == reqwest::StatusCode::PARTIAL_CONTENT;
    facts.size = if partial { total } else { length };
    facts.content_type = header_str(r, header::CONTENT_TYPE);
    let last_modified = header_str(r, header::LAST_MODIFIED);
    facts.last_modified = last_modified.as_deref().and_then(parse_http_date);
    let detail = json!({
        "url": url.as_str(),
        "method": "GET",
        "range": range,
        "range_honoured": partial,
        "status": status.as_u16(),
        "redirects": fetched.hops,
        "content_length": facts.size,
        "last_modified": last_modified,
        "content_type": facts.content_type,
    });
    if !status.is_success() {
        let step = t.fail(
            StepName::Package,
            detail,
            status_error(status, "updates.zip"),
        );
        return (vec![step], facts, conn);
    }
    let mut package = t.ok(StepName::Package, detail);
    if let Some(text) = facts
        .content_type
        .as_deref()
        .filter(|c| c.starts_with("text/"))
    {
        package.note = Some(format!("served as {text}"));
    }
    // The first bytes, from the same response.
    let detail = json!({"status": status.as_u16(), "range": range});
    let signature = first_bytes(
        &Timer::start(),
        fetched.response,
        detail,
        deadline,
        &mut facts,
    );
    (vec![package, signature], facts, conn)
}

/// Reads the first bytes of updates.zip from `response` and tells what they are.
fn first_bytes(
    t: &Timer,
    response: Response,
    detail: serde_json::Value,
    deadline: Instant,
    facts: &mut PackageFacts,
) -> Step {
    let mut first = Vec::new();
    match response.take(SNIFF_BYTES).read_to_end(&mut first) {
        Ok(_) => signature_outcome(t, &first, detail, facts),
        Err(e) => {
            let error = body_error("updates.zip", &e, first.len(), t, deadline);
            t.fail(StepName::PackageSignature, detail, error)
        }
    }
}

/// The first bytes of a plain GET, for a server that refuses ranges.
fn sniff_step(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    deadline: Instant,
    facts: &mut PackageFacts,
) -> Step {
    let t = Timer::start();
    let fetched = match fetch(client, opts, reqwest::Method::GET, url, None, deadline) {
        Ok(f) => f,
        Err(fe) => {
            return t.fail(
                StepName::PackageSignature,
                json!({"redirects": fe.hops}),
                fe.error,
            );
        }
    };
    let status = fetched.response.status();
    let detail = json!({"status": status.as_u16()});
    if !status.is_success() {
        return t.fail(
            StepName::PackageSignature,
            detail,
            status_error(status, "updates.zip"),
        );
    }
    first_bytes(&t, fetched.response, detail, deadline, facts)
}

/// The headers of updates.zip alone, when a ranged GET was refused.
fn head_step(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    deadline: Instant,
    facts: &mut PackageFacts,
) -> Step {
    let t = Timer::start();
    let fetched = match fetch(client, opts, reqwest::Method::HEAD, url, None, deadline) {
        Ok(f) => f,
        Err(fe) => {
            return t.fail(
                StepName::Package,
                json!({"url": url.as_str(), "method": "HEAD", "redirects": fe.hops}),
                fe.error,
            );
        }
    };
    let r = &fetched.response;
    let status = r.status();
    facts.size = header_str(r, header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
    facts.content_type = header_str(r, header::CONTENT_TYPE);
    let last_modified = header_str(r, header::LAST_MODIFIED);
    facts.last_modified = last_modified.as_deref().and_then(parse_http_date);
    let detail = json!({
        "url": url.as_str(),
        "method": "HEAD",
        "status": status.as_u16(),
        "redirects": fetched.hops,
        "content_length": facts.size,
        "last_modified": last_modified,
        "content_type": facts.content_type,
    });
    if !status.is_success() {
        return t.fail(
            StepName::Package,
            detail,
            status_error(status, "updates.zip"),
        );
    }
    t.ok(StepName::Package, detail)
}

/// Downloads the whole package within its own budget (`--package-timeout`); a download
/// the deadline cuts is a timeout, with how much arrived in how long, never an invalid
/// package.
fn verify_step(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    budget: Duration,
    max: u64,
    facts: &mut PackageFacts,
) -> Step {
    let t = Timer::start();
    let deadline = Instant::now() + budget;
    let fetched = match fetch(client, opts, reqwest::Method::GET, url, None, deadline) {
        Ok(f) => f,
        Err(fe) => {
            return t.fail(
                StepName::PackageVerify,
                json!({"redirects": fe.hops}),
                fe.error,
            );
        }
    };
    let status = fetched.response.status();
    let length: Option<u64> =
        header_str(&fetched.response, header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
    let detail = json!({"status": status.as_u16(), "content_length": length, "max_bytes": max});
    if !status.is_success() {
        return t.fail(
            StepName::PackageVerify,
            detail,
            status_error(status, "updates.zip"),
        );
    }
    if let Some(n) = length.filter(|n| *n > max) {
        return t.fail(
            StepName::PackageVerify,
            detail,
            StepError::new(
                ErrorKind::TooLarge,
                format!("the server announces {n} bytes, more than the {max}-byte cap (--max-package-size); not downloaded"),
            ),
        );
    }
    let of = length.map(|n| format!(" of {n}")).unwrap_or_default();
    verify_outcome(
        &t,
        package::verify(fetched.response, max, &package::Progress::default()),
        json!({"status": status.as_u16(), "content_length": length}),
        facts,
        |cut| {
            let got = cut.describe().replacen(" bytes", &format!("{of} bytes"), 1);
            if read_timed_out(cut.kind, None, deadline) {
                StepError::new(
                    ErrorKind::Timeout,
                    format!(
                        "the download did not finish within --package-timeout ({:.0} s): {got} arrived; the package may be fine, the link is slow (raise --package-timeout)",
                        budget.as_secs_f64()
                    ),
                )
            } else {
                StepError::new(
                    ErrorKind::Io,
                    format!("the download broke off after {got}: {}", cut.error),
                )
            }
        },
    )
}

/// `Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(s: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(s.trim())
        .ok()
}

#[cfg(test)]
mod tests;
