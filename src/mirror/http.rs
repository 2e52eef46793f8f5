//! Probing an HTTP(S) mirror: DNS, TCP to each address, TLS, then the manifest and the
//! package, each bounded by what is left of the per-architecture deadline. Redirects are
//! followed by hand (at most 5) so every hop is reported.

use crate::mirror::StepName;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header;
use serde_json::json;
use url::Url;

use super::package::{self, MAX_MANIFEST_BYTES, SNIFF_BYTES};
use super::{
    ArchProbe, ErrorKind, PackageFacts, ProbeOptions, Step, StepError, Timer, manifest_outcome,
    signature_outcome, tls, verify_outcome,
};

pub const MAX_REDIRECTS: usize = 5;
/// At most this many resolved addresses are tried, so a name with dozens of records
/// cannot multiply the connect timeout.
const MAX_ADDRESSES: usize = 4;

pub fn probe(base: &Url, arch: &str, opts: &ProbeOptions) -> ArchProbe {
    let deadline = Instant::now() + opts.probe_timeout;
    let mut probe = ArchProbe::new(arch, base.to_string());
    let (host, port, via_proxy) = match connect_target(base, opts.proxy.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            probe
                .steps
                .push(Timer::start().fail(StepName::Dns, json!({}), e));
            return probe;
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
            return probe;
        }
    };

    // 2. TCP, each address in turn until one answers
    let t = Timer::start();
    let mut attempts = Vec::new();
    let mut stream = None;
    let mut last_err = None;
    for addr in addrs.iter().take(MAX_ADDRESSES) {
        let budget = opts.connect_timeout.min(left(deadline));
        if budget.is_zero() {
            last_err = Some(StepError::new(
                ErrorKind::Timeout,
                "the probe deadline passed",
            ));
            break;
        }
        let started = Instant::now();
        match TcpStream::connect_timeout(addr, budget) {
            Ok(s) => {
                attempts.push(json!({"address": addr.to_string(), "ok": true, "ms": started.elapsed().as_millis() as u64}));
                stream = Some(s);
                break;
            }
            Err(e) => {
                attempts.push(json!({"address": addr.to_string(), "ok": false, "error": e.to_string(), "ms": started.elapsed().as_millis() as u64}));
                last_err = Some(connect_error(&e, addr, budget));
            }
        }
    }
    let Some(mut stream) = stream else {
        let err = last_err
            .unwrap_or_else(|| StepError::new(ErrorKind::Unreachable, "no address to connect to"));
        probe
            .steps
            .push(t.fail(StepName::Tcp, json!({"attempts": attempts}), err));
        return probe;
    };
    probe
        .steps
        .push(t.ok(StepName::Tcp, json!({"attempts": attempts})));

    // 3. TLS (directly only: through a proxy the tunnel is the HTTP client's business)
    if base.scheme() == "https" && via_proxy.is_none() {
        let t = Timer::start();
        match tls::handshake(&mut stream, &host, &opts.trust, deadline) {
            Ok(facts) => probe.steps.push(t.ok(StepName::Tls, json!(facts))),
            Err(f) => {
                let mut err = StepError::new(
                    ErrorKind::Tls,
                    format!("{}: {}", f.kind.describe(), f.message),
                );
                err.tls = Some(f.kind);
                if f.kind == tls::TlsFailureKind::Timeout {
                    err.kind = ErrorKind::Timeout;
                }
                probe.steps.push(t.fail(StepName::Tls, json!(f.facts), err));
                return probe;
            }
        }
    }
    drop(stream);

    let client = match client(opts) {
        Ok(c) => c,
        Err(e) => {
            probe.steps.push(Timer::start().fail(
                StepName::Http,
                json!({}),
                StepError::new(ErrorKind::Io, e),
            ));
            return probe;
        }
    };

    // 4. manifest.json
    let manifest = manifest_step(&client, opts, base, deadline, &mut probe.manifest);
    let timed_out = is_timeout(&manifest);
    probe.steps.push(manifest);
    // A server that stalls once stalls again: the rest would only wait for the deadline.
    if timed_out {
        return probe;
    }

    // 5. updates.zip: HEAD, then its first bytes, then (on request) all of it
    let zip_url = match base.join("updates.zip") {
        Ok(u) => u,
        Err(e) => {
            probe.steps.push(Timer::start().fail(
                StepName::Package,
                json!({}),
                StepError::new(ErrorKind::Invalid, e.to_string()),
            ));
            return probe;
        }
    };
    let mut facts = PackageFacts::default();
    let head = head_step(&client, opts, &zip_url, deadline, &mut facts);
    let head_missing = head.error.as_ref().is_some_and(|e| e.status == Some(404));
    let timed_out = is_timeout(&head);
    probe.steps.push(head);
    if !head_missing && !timed_out && !opts.light {
        probe.steps.push(signature_step(
            &client, opts, &zip_url, deadline, &mut facts,
        ));
        if opts.verify_package && facts.is_zip == Some(true) {
            // Its own budget: a whole package takes far longer than the probe's steps.
            probe.steps.push(verify_step(
                &client,
                opts,
                &zip_url,
                opts.package_timeout,
                opts.max_package_bytes,
                &mut facts,
            ));
        }
    }
    probe.package = Some(facts);
    probe
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

fn connect_error(e: &std::io::Error, addr: &SocketAddr, budget: Duration) -> StepError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => {
            StepError::new(ErrorKind::Refused, format!("{addr} refused the connection"))
        }
        K::TimedOut | K::WouldBlock => StepError::new(
            ErrorKind::ConnectTimeout,
            format!("{addr} did not answer within {:.1} s", budget.as_secs_f32()),
        ),
        _ => StepError::new(ErrorKind::Unreachable, format!("{addr}: {e}")),
    }
}

fn client(opts: &ProbeOptions) -> Result<Client, String> {
    client_pinned(opts, None)
}

/// The HTTP client; with `pin`, the host is reached only at the addresses given (those
/// checked before a redirect to it was followed), never at a fresh lookup's.
fn client_pinned(
    opts: &ProbeOptions,
    pin: Option<(&str, &[SocketAddr])>,
) -> Result<Client, String> {
    let mut builder = Client::builder()
        .use_preconfigured_tls(opts.trust.client_config()?)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.connect_timeout)
        .user_agent(concat!("mdatp-doctor/", env!("CARGO_PKG_VERSION")));
    // Only the proxy mdatp uses (or the one given): the shell's *_proxy variables are not
    // what the daemon sees.
    builder = match &opts.proxy {
        Some(p) => builder.proxy(reqwest::Proxy::all(p).map_err(|e| format!("proxy `{p}`: {e}"))?),
        None => builder.no_proxy(),
    };
    if let Some((host, addrs)) = pin {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

struct Fetched {
    response: Response,
    hops: Vec<serde_json::Value>,
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
) -> Result<Fetched, (StepError, Vec<serde_json::Value>)> {
    let origin = url.clone();
    let mut url = url.clone();
    let mut seen = vec![url.clone()];
    let mut hops = Vec::new();
    // A client bound to the checked addresses of the host a redirect went to.
    let mut pinned: Option<Client> = None;
    loop {
        let budget = left(deadline);
        if budget.is_zero() {
            return Err((
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
            Err(e) => return Err((request_error(&e, budget), hops)),
        };
        let status = response.status();
        if !status.is_redirection() {
            return Ok(Fetched { response, hops });
        }
        let Some(next) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok())
        else {
            return Ok(Fetched { response, hops });
        };
        let mut hop = json!({"status": status.as_u16(), "from": url.as_str(), "to": next.as_str()});
        let cross_host = !same_host(&origin, &next);
        if cross_host {
            hop["cross_host"] = json!(true);
        }
        hops.push(hop);
        if seen.contains(&next) {
            return Err((
                StepError::new(
                    ErrorKind::RedirectLoop,
                    format!("redirect loop: {next} again"),
                ),
                hops,
            ));
        }
        if hops.len() > MAX_REDIRECTS {
            return Err((
                StepError::new(
                    ErrorKind::TooManyRedirects,
                    format!("more than {MAX_REDIRECTS} redirects"),
                ),
                hops,
            ));
        }
        pinned = if cross_host {
            match redirect_target(&next, opts, deadline) {
                Err(e) => return Err((e, hops)),
                Ok(None) => None,
                Ok(Some((host, addrs))) => match client_pinned(opts, Some((&host, &addrs))) {
                    Ok(c) => Some(c),
                    Err(e) => return Err((StepError::new(ErrorKind::Io, e), hops)),
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

fn manifest_step(
    client: &Client,
    opts: &ProbeOptions,
    base: &Url,
    deadline: Instant,
    manifest: &mut Option<package::Manifest>,
) -> Step {
    let t = Timer::start();
    let url = match base.join("manifest.json") {
        Ok(u) => u,
        Err(e) => {
            return t.fail(
                StepName::Manifest,
                json!({}),
                StepError::new(ErrorKind::Invalid, e.to_string()),
            );
        }
    };
    let fetched = match fetch(client, opts, reqwest::Method::GET, &url, None, deadline) {
        Ok(f) => f,
        Err((e, hops)) => {
            return t.fail(
                StepName::Manifest,
                json!({"url": url.as_str(), "redirects": hops}),
                e,
            );
        }
    };
    let status = fetched.response.status();
    let mut detail = json!({
        "url": url.as_str(),
        "status": status.as_u16(),
        "redirects": fetched.hops,
        "content_type": header_str(&fetched.response, header::CONTENT_TYPE),
    });
    if !status.is_success() {
        return t.fail(
            StepName::Manifest,
            detail,
            status_error(status, "manifest.json"),
        );
    }
    let mut body = Vec::new();
    if let Err(e) = fetched
        .response
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut body)
    {
        detail["bytes"] = json!(body.len());
        let error = body_error("manifest.json", &e, body.len(), &t, deadline);
        return t.fail(StepName::Manifest, detail, error);
    }
    detail["bytes"] = json!(body.len());
    if body.len() as u64 > MAX_MANIFEST_BYTES {
        return t.fail(
            StepName::Manifest,
            detail,
            StepError::new(ErrorKind::TooLarge, "manifest.json is larger than 64 KiB"),
        );
    }
    manifest_outcome(&t, &body, detail, manifest)
}

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
        Err((e, hops)) => {
            return t.fail(
                StepName::Package,
                json!({"url": url.as_str(), "redirects": hops}),
                e,
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
    let mut step = t.ok(StepName::Package, detail);
    if facts
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("text/"))
    {
        step.note = Some(format!(
            "served as {}",
            facts.content_type.as_deref().unwrap_or_default()
        ));
    }
    step
}

/// Reads the first bytes only: enough to tell a zip from an HTML error page.
fn signature_step(
    client: &Client,
    opts: &ProbeOptions,
    url: &Url,
    deadline: Instant,
    facts: &mut PackageFacts,
) -> Step {
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
        Err((e, hops)) => return t.fail(StepName::PackageSignature, json!({"redirects": hops}), e),
    };
    let status = fetched.response.status();
    // A server that ignores Range sends everything; we still read only the first bytes.
    let total = header_str(&fetched.response, header::CONTENT_RANGE).and_then(|cr| {
        cr.rsplit_once('/')
            .and_then(|(_, n)| n.trim().parse::<u64>().ok())
    });
    if facts.size.is_none() {
        facts.size = total;
    }
    let detail = json!({"status": status.as_u16(), "range": range});
    if !status.is_success() {
        return t.fail(
            StepName::PackageSignature,
            detail,
            status_error(status, "updates.zip"),
        );
    }
    let mut first = Vec::new();
    if let Err(e) = fetched.response.take(SNIFF_BYTES).read_to_end(&mut first) {
        let error = body_error("updates.zip", &e, first.len(), &t, deadline);
        return t.fail(StepName::PackageSignature, detail, error);
    }
    signature_outcome(&t, &first, detail, facts)
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
        Err((e, hops)) => return t.fail(StepName::PackageVerify, json!({"redirects": hops}), e),
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
