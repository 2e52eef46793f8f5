//! Real mirror servers for tests: HTTP and HTTPS (with a CA generated per test) on
//! 127.0.0.1 (or another loopback address, for a second host), serving a directory laid out like Microsoft's downloader leaves it, plus
//! servers that misbehave on purpose. Nothing here listens beyond loopback.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A test CA and what it can sign.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    pub ca_pem: String,
}

/// A server certificate and its key.
pub struct ServerCert {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA");
        let ca_pem = ca.pem();
        Pki { ca, ca_pem }
    }

    /// A certificate for `names` (IP addresses or host names), valid between the years.
    pub fn issue(&self, names: &[&str], valid: (i32, i32)) -> ServerCert {
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("params");
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.not_before = rcgen::date_time_ymd(valid.0, 1, 1);
        params.not_after = rcgen::date_time_ymd(valid.1, 1, 1);
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.ca).expect("sign");
        ServerCert {
            chain: vec![cert.der().clone()],
            key: key.serialize_der(),
        }
    }

    /// Writes the CA certificate as a PEM file for `--ca-cert`.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).expect("write CA");
        path
    }
}

/// How a path misbehaves.
#[derive(Clone)]
pub enum Override {
    /// Answer with a redirect to this location.
    Redirect(String),
    /// Claim this many bytes and send a zip signature, then stop.
    HugeZip(u64),
    /// Answer with this status and an HTML error page.
    Status(u16),
    /// Serve the file, its body at this many bytes per second (a slow link).
    Trickle(u64),
    /// Serve the file's headers (its full length announced) and this many bytes of its
    /// body, then say nothing more for a long while (a server that stalls mid-body).
    StallAfter(usize),
}

/// How a file's body is sent.
#[derive(Clone, Copy)]
enum Pace {
    Full,
    Trickle(u64),
    StallAfter(usize),
}

pub struct MirrorServer {
    addr: SocketAddr,
    scheme: &'static str,
    hits: Arc<Mutex<Vec<String>>>,
    /// Connections accepted (each TLS one is one handshake).
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    overrides: Arc<Mutex<HashMap<String, Override>>>,
    stop: Arc<AtomicBool>,
}

impl MirrorServer {
    pub fn http(root: &Path) -> MirrorServer {
        MirrorServer::start(root, None, [127, 0, 0, 1])
    }

    /// An HTTP server on another loopback address (127.0.0.2, say), for a second host.
    pub fn http_at(root: &Path, ip: [u8; 4]) -> MirrorServer {
        assert_eq!(ip[0], 127, "loopback only");
        MirrorServer::start(root, None, ip)
    }

    pub fn https(root: &Path, cert: ServerCert) -> MirrorServer {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            cert.chain,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key)),
        )
        .expect("server config");
        MirrorServer::start(root, Some(Arc::new(config)), [127, 0, 0, 1])
    }

    fn start(root: &Path, tls: Option<Arc<rustls::ServerConfig>>, ip: [u8; 4]) -> MirrorServer {
        let listener = TcpListener::bind(SocketAddr::from((ip, 0))).expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let server = MirrorServer {
            addr,
            scheme: if tls.is_some() { "https" } else { "http" },
            hits: Arc::default(),
            accepted: Arc::default(),
            overrides: Arc::default(),
            stop: Arc::default(),
        };
        let accepted = server.accepted.clone();
        let (hits, overrides, stop, root) = (
            server.hits.clone(),
            server.overrides.clone(),
            server.stop.clone(),
            root.to_path_buf(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let (hits, overrides, root, tls) =
                    (hits.clone(), overrides.clone(), root.clone(), tls.clone());
                std::thread::spawn(move || {
                    // A client slow to send its next request is waited for; only a hang
                    // reaches this.
                    let _ = conn.set_read_timeout(Some(crate::testenv::HANG_GUARD));
                    match tls {
                        Some(cfg) => {
                            let Ok(session) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            let mut stream = rustls::StreamOwned::new(session, conn);
                            serve(&mut stream, &root, &hits, &overrides);
                        }
                        None => {
                            let mut conn = conn;
                            serve(&mut conn, &root, &hits, &overrides);
                        }
                    }
                });
            }
        });
        server
    }

    /// The ring folder URL, `<scheme>://127.0.0.1:<port>/linux/production/`.
    pub fn ring_url(&self) -> String {
        format!("{}://{}/linux/production/", self.scheme, self.addr)
    }

    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Requests served so far, as `METHOD /path`.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().expect("hits").clone()
    }

    pub fn set(&self, path: &str, behaviour: Override) {
        self.overrides
            .lock()
            .expect("overrides")
            .insert(path.to_string(), behaviour);
    }
}

impl Drop for MirrorServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves one connection: kept alive after a plain file answer (as nginx and Apache do),
/// closed after any misbehaviour so each one is seen on a fresh connection.
fn serve(
    stream: &mut (impl Read + Write),
    root: &Path,
    hits: &Mutex<Vec<String>>,
    overrides: &Mutex<HashMap<String, Override>>,
) {
    let mut reader = BufReader::new(&mut *stream);
    while let Some((method, path, range)) = read_request(&mut reader) {
        let stream = reader.get_mut();
        let keep = respond(stream, root, hits, overrides, &method, path, range);
        if stream.flush().is_err() || !keep {
            return;
        }
    }
}

/// The request line's method and path and the `Range` header, or `None` at the end of
/// the connection.
fn read_request(reader: &mut impl BufRead) -> Option<(String, String, Option<String>)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut range = None;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("range")
                {
                    range = Some(value.trim().to_string());
                }
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    Some((
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("/").to_string(),
        range,
    ))
}

/// Answers one request; whether the connection stays open for the next.
fn respond(
    stream: &mut impl Write,
    root: &Path,
    hits: &Mutex<Vec<String>>,
    overrides: &Mutex<HashMap<String, Override>>,
    method: &str,
    path: String,
    range: Option<String>,
) -> bool {
    hits.lock().expect("hits").push(format!("{method} {path}"));
    let head = method == "HEAD";

    // A request through a proxy names the whole URL (absolute form); serve its path.
    let path = match path
        .strip_prefix("http://")
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
    {
        Some(p) => p,
        None => path,
    };
    let behaviour = overrides.lock().expect("overrides").get(&path).cloned();
    match behaviour {
        Some(Override::Redirect(to)) => {
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(Override::HugeZip(size)) => {
            let mut first = b"PK\x03\x04".to_vec();
            first.resize(512, 0);
            if range.is_some() {
                let _ = write!(
                    stream,
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-511/{size}\r\nContent-Length: 512\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(&first);
            } else {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
                );
                if !head {
                    let _ = stream.write_all(&first);
                }
            }
        }
        Some(Override::Status(code)) => {
            let page = format!("<html><body><h1>{code}</h1></body></html>");
            let _ = write!(
                stream,
                "HTTP/1.1 {code} Error\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                page.len()
            );
            if !head {
                let _ = stream.write_all(page.as_bytes());
            }
        }
        Some(Override::Trickle(rate)) => serve_file(
            stream,
            root,
            &path,
            head,
            range.as_deref(),
            Pace::Trickle(rate),
        ),
        Some(Override::StallAfter(n)) => serve_file(
            stream,
            root,
            &path,
            head,
            range.as_deref(),
            Pace::StallAfter(n),
        ),
        None => {
            serve_file(stream, root, &path, head, range.as_deref(), Pace::Full);
            return true;
        }
    }
    false
}

fn serve_file(
    stream: &mut impl Write,
    root: &Path,
    path: &str,
    head: bool,
    range: Option<&str>,
    pace: Pace,
) {
    let rel = path.trim_start_matches('/');
    let file = root.join(rel);
    let Ok(body) = std::fs::read(&file)
        .map_err(|_| ())
        .and_then(|b| if file.is_file() { Ok(b) } else { Err(()) })
    else {
        let page = b"<html><body><h1>404 Not Found</h1></body></html>";
        let _ = write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            page.len()
        );
        if !head {
            let _ = stream.write_all(page);
        }
        return;
    };
    let modified = std::fs::metadata(&file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|ts| {
            jiff::fmt::rfc2822::DateTimePrinter::new()
                .timestamp_to_rfc9110_string(&ts)
                .expect("date")
        })
        .unwrap_or_default();
    let content_type = if rel.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let (status, slice, extra) = match range
        .and_then(|r| r.strip_prefix("bytes=0-"))
        .and_then(|n| n.parse::<usize>().ok())
    {
        // As nginx and Apache answer a range of an empty file.
        Some(_) if body.is_empty() => (
            "416 Range Not Satisfiable",
            &body[..],
            "Content-Range: bytes */0\r\n".to_string(),
        ),
        Some(last) => {
            let end = (last + 1).min(body.len());
            (
                "206 Partial Content",
                &body[..end],
                format!(
                    "Content-Range: bytes 0-{}/{}\r\n",
                    end.saturating_sub(1),
                    body.len()
                ),
            )
        }
        None => ("200 OK", &body[..], String::new()),
    };
    let connection = if matches!(pace, Pace::Full) {
        "keep-alive"
    } else {
        "close"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nLast-Modified: {modified}\r\n{extra}Connection: {connection}\r\n\r\n",
        slice.len()
    );
    if !head {
        send_body(stream, slice, pace);
    }
}

fn send_body(stream: &mut impl Write, body: &[u8], pace: Pace) {
    match pace {
        Pace::Full => {
            let _ = stream.write_all(body);
        }
        Pace::Trickle(rate) => {
            // Ten slices a second, each flushed, so the client sees a steady trickle.
            let slice = ((rate / 10).max(1)) as usize;
            for chunk in body.chunks(slice) {
                if stream
                    .write_all(chunk)
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Pace::StallAfter(n) => {
            let _ = stream.write_all(&body[..n.min(body.len())]);
            let _ = stream.flush();
            // Bounded, so a test's server thread ends on its own; past any probe timeout a
            // test sets, however loaded the machine.
            std::thread::sleep(crate::testenv::HANG_GUARD);
        }
    }
}

/// Accepts connections and never says a word.
pub struct SilentServer {
    addr: SocketAddr,
    _held: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let keep = held.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                keep.lock().expect("held").push(conn);
            }
        });
        SilentServer { addr, _held: held }
    }

    pub fn ring_url(&self, scheme: &str) -> String {
        format!("{scheme}://{}/linux/production/", self.addr)
    }
}

/// A loopback port with nothing listening: connections are refused.
pub fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("addr").port()
}

/// A downloader-style mirror tree: `linux/production/arch_x86_64/{updates.zip,manifest.json}`.
pub struct MirrorTree {
    pub root: tempfile::TempDir,
}

impl MirrorTree {
    /// A healthy x86_64 folder; arm64 exists but is empty (as older downloaders leave it).
    pub fn healthy() -> MirrorTree {
        let tree = MirrorTree {
            root: tempfile::tempdir().expect("tempdir"),
        };
        tree.write(
            "x86_64",
            "manifest.json",
            br#"{"EngineVersion":"1.1.24020.4","DefinitionVersion":"1.407.417.0"}"#,
        );
        tree.write("x86_64", "updates.zip", &tiny_zip());
        std::fs::create_dir_all(tree.arch_dir("arm64")).expect("mkdir");
        tree
    }

    pub fn ring_dir(&self) -> PathBuf {
        self.root.path().join("linux/production")
    }

    pub fn arch_dir(&self, arch: &str) -> PathBuf {
        self.ring_dir().join(format!("arch_{arch}"))
    }

    pub fn write(&self, arch: &str, name: &str, bytes: &[u8]) {
        let dir = self.arch_dir(arch);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(name), bytes).expect("write");
    }

    pub fn remove(&self, arch: &str, name: &str) {
        std::fs::remove_file(self.arch_dir(arch).join(name)).expect("remove");
    }
}

/// A real zip of about `size` bytes (one stored entry of noise), for slow-link tests.
pub fn big_zip(size: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("mpavbase.vdm", opts).expect("start");
    let noise: Vec<u8> = (0..size as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    w.write_all(&noise).expect("write");
    w.finish().expect("finish");
    buf.into_inner()
}

/// A real zip with one entry, as the package would hold.
pub fn tiny_zip() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("mpavbase.vdm", opts).expect("start");
    w.write_all(&[7u8; 4096]).expect("write");
    w.finish().expect("finish");
    buf.into_inner()
}

/// A loopback port whose accept queue is full: new connection attempts get no answer at
/// all (the kernel drops their SYN), as with a firewall that drops packets.
pub struct BlackholePort {
    fd: libc::c_int,
    pub port: u16,
    _fillers: Vec<TcpStream>,
}

impl BlackholePort {
    pub fn new() -> BlackholePort {
        // SAFETY: plain socket calls on a socket we own; every result is checked.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket");
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            addr.sin_port = 0;
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            assert_eq!(
                libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
                0,
                "bind"
            );
            assert_eq!(libc::listen(fd, 0), 0, "listen");
            let mut bound: libc::sockaddr_in = std::mem::zeroed();
            let mut blen = len;
            assert_eq!(
                libc::getsockname(fd, &mut bound as *mut _ as *mut libc::sockaddr, &mut blen),
                0
            );
            let port = u16::from_be(bound.sin_port);
            // Fill the queue; whatever does not fit is left pending and then dropped.
            let mut fillers = Vec::new();
            for _ in 0..3 {
                if let Ok(s) = TcpStream::connect_timeout(
                    &SocketAddr::from(([127, 0, 0, 1], port)),
                    Duration::from_millis(200),
                ) {
                    fillers.push(s);
                }
            }
            BlackholePort {
                fd,
                port,
                _fillers: fillers,
            }
        }
    }
}

impl Drop for BlackholePort {
    fn drop(&mut self) {
        // SAFETY: closing the socket we opened.
        unsafe {
            libc::close(self.fd);
        }
    }
}
