//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn classification_follows_the_certificate_error() {
    use CertificateError as C;
    let cases = [
        (
            rustls::Error::InvalidCertificate(C::UnknownIssuer),
            TlsFailureKind::UnknownIssuer,
        ),
        (
            rustls::Error::InvalidCertificate(C::Expired),
            TlsFailureKind::Expired,
        ),
        (
            rustls::Error::InvalidCertificate(C::NotValidForName),
            TlsFailureKind::NameMismatch,
        ),
        (
            rustls::Error::InvalidCertificate(C::NotValidYet),
            TlsFailureKind::NotYetValid,
        ),
        (
            rustls::Error::InvalidCertificate(C::BadSignature),
            TlsFailureKind::BadCertificate,
        ),
        (
            rustls::Error::HandshakeNotComplete,
            TlsFailureKind::HandshakeFailure,
        ),
    ];
    for (err, kind) in cases {
        assert_eq!(classify(&err), kind, "{err:?}");
    }
}

#[test]
fn extra_ca_files_must_hold_certificates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    assert!(
        Trust::load(&[&bad])
            .expect_err("no cert")
            .contains("no certificate")
    );
    assert!(Trust::load(&[dir.path().join("missing.pem")]).is_err());
    let none: [&Path; 0] = [];
    assert!(Trust::load(&none).is_ok());
}
