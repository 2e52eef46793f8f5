//! TLS towards the mirror: one trust store (the system's CA certificates plus any
//! `--ca-cert`) for the HTTP client, and a verifier that records what the server presented
//! on the client's own connection, and why it was refused.
//!
//! Internal PKIs are the normal case for mirrors, so a failure is classified (unknown
//! issuer, expired, name mismatch, ...) rather than shown as a raw error.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use serde::Serialize;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The trust store: system CAs plus extra PEM files. The `--ca-cert` files are read and
/// checked at once (a bad one is a usage error); the system store, a few hundred files,
/// only when a TLS connection first needs it, so runs that probe nothing never read it.
#[derive(Debug, Clone)]
pub struct Trust {
    extra: Arc<RootCertStore>,
    all: Arc<OnceLock<Arc<RootCertStore>>>,
}

impl Trust {
    pub fn load(extra_pems: &[impl AsRef<Path>]) -> Result<Trust, String> {
        let mut extra = RootCertStore::empty();
        for pem in extra_pems {
            let pem = pem.as_ref();
            let bytes = read_capped(pem, 1024 * 1024)
                .map_err(|e| format!("--ca-cert {}: {e}", pem.display()))?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    format!(
                        "--ca-cert {}: not a PEM certificate file: {e:?}",
                        pem.display()
                    )
                })?;
            if certs.is_empty() {
                return Err(format!(
                    "--ca-cert {}: no certificate in the file",
                    pem.display()
                ));
            }
            let (added, _) = extra.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "--ca-cert {}: no usable certificate in the file",
                    pem.display()
                ));
            }
        }
        Ok(Trust {
            extra: Arc::new(extra),
            all: Arc::new(OnceLock::new()),
        })
    }

    /// The system CAs and the `--ca-cert` ones.
    pub fn roots(&self) -> Arc<RootCertStore> {
        self.all
            .get_or_init(|| {
                let mut roots = (*self.extra).clone();
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                Arc::new(roots)
            })
            .clone()
    }

    /// A client configuration for the HTTP client.
    pub fn client_config(&self) -> Result<ClientConfig, String> {
        Ok(ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(self.roots())
            .with_no_client_auth())
    }
}

fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The server's certificate and session, as seen in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TlsFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub names: Vec<String>,
}

/// Why a handshake failed, in the terms an admin acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsFailureKind {
    UnknownIssuer,
    Expired,
    NotYetValid,
    NameMismatch,
    BadCertificate,
    HandshakeFailure,
    Timeout,
}

impl TlsFailureKind {
    pub fn describe(self) -> &'static str {
        match self {
            TlsFailureKind::UnknownIssuer => "the certificate's issuer is not trusted",
            TlsFailureKind::Expired => "the certificate has expired",
            TlsFailureKind::NotYetValid => "the certificate is not valid yet",
            TlsFailureKind::NameMismatch => "the certificate is not valid for this host name",
            TlsFailureKind::BadCertificate => "the certificate was rejected",
            TlsFailureKind::HandshakeFailure => "the TLS handshake failed",
            TlsFailureKind::Timeout => "the server did not complete the TLS handshake in time",
        }
    }
}

pub fn classify(err: &rustls::Error) -> TlsFailureKind {
    use CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsFailureKind::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => TlsFailureKind::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsFailureKind::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailureKind::NameMismatch,
            _ => TlsFailureKind::BadCertificate,
        },
        _ => TlsFailureKind::HandshakeFailure,
    }
}

/// Delegates to webpki but keeps what the server presented on the probe's connections:
/// the end-entity certificate (so a refused one can still be described: its issuer, its
/// expiry, its names) and the protocol version its handshake signature used. The HTTP
/// client's own connection is the one observed: no handshake of our own beside it.
#[derive(Debug)]
pub struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<CertificateDer<'static>>>,
    protocol: Mutex<Option<&'static str>>,
}

impl Recording {
    /// The certificate and protocol seen so far (the last connection's).
    pub fn facts(&self) -> TlsFacts {
        TlsFacts {
            protocol: self
                .protocol
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .map(str::to_string),
            certificate: self
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .and_then(|c| cert_info(c)),
        }
    }

    /// Whether a server got as far as presenting a certificate (the TCP connection was
    /// made).
    pub fn saw_certificate(&self) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn note_protocol(&self, name: &'static str) {
        *self.protocol.lock().unwrap_or_else(|p| p.into_inner()) = Some(name);
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(end_entity.clone().into_owned());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.note_protocol("TLSv1_2");
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.note_protocol("TLSv1_3");
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

impl Trust {
    /// A client configuration that verifies exactly as [`Trust::client_config`] does and
    /// records what the server presented.
    pub fn recording_config(&self) -> Result<(ClientConfig, Arc<Recording>), String> {
        let inner = WebPkiServerVerifier::builder_with_provider(self.roots(), provider())
            .build()
            .map_err(|e| e.to_string())?;
        let recording = Arc::new(Recording {
            inner,
            seen: Mutex::new(None),
            protocol: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(recording.clone())
            .with_no_client_auth();
        Ok((config, recording))
    }
}

/// Reads the parts of a certificate an admin needs to act on.
pub fn cert_info(der: &CertificateDer<'_>) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let time = |t: x509_parser::time::ASN1Time| {
        jiff::Timestamp::from_second(t.timestamp())
            .map(|ts| ts.to_string())
            .unwrap_or_else(|_| t.to_string())
    };
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(d) => names.push(d.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(ip) => names.push(match ip.len() {
                    4 => std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
                    16 => <[u8; 16]>::try_from(*ip)
                        .map(|b| std::net::Ipv6Addr::from(b).to_string())
                        .unwrap_or_default(),
                    _ => continue,
                }),
                _ => {}
            }
        }
    }
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: time(cert.validity().not_before),
        not_after: time(cert.validity().not_after),
        names,
    })
}

#[cfg(test)]
mod tests;
