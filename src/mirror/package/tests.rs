//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

/// A small valid zip with one stored entry, built by the zip crate itself.
pub fn tiny_zip() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("mpavbase.vdm", opts).expect("start");
    std::io::Write::write_all(&mut w, b"definitions").expect("write");
    w.finish().expect("finish");
    buf.into_inner()
}

#[test]
fn manifests() {
    let m = parse_manifest(br#"{"EngineVersion":"1.1.24020.4","DefinitionVersion":"1.407.417.0"}"#)
        .expect("ok");
    assert_eq!(m.definition_version, "1.407.417.0");
    assert!(!m.is_empty());
    let empty =
        parse_manifest(b"\xef\xbb\xbf{ \"EngineVersion\": \"\", \"DefinitionVersion\": \"\" }")
            .expect("ok");
    assert!(empty.is_empty());
    assert!(parse_manifest(b"").is_err());
    assert!(parse_manifest(b"<html>").is_err());
    assert!(parse_manifest(b"{\"EngineVersion\": 5}").is_err());
}

#[test]
fn signatures() {
    assert_eq!(sniff(b"PK\x03\x04rest"), Signature::Zip);
    assert_eq!(sniff(b"PK\x05\x06"), Signature::EmptyZip);
    assert_eq!(sniff(b"\n  <!DOCTYPE html><html>"), Signature::Html);
    assert_eq!(sniff(b"<HTML><body>403"), Signature::Html);
    assert_eq!(sniff(b""), Signature::Empty);
    assert_eq!(sniff(b"\x00\x01\x02"), Signature::Other("000102".into()));
}

#[test]
fn verify_reads_hashes_and_caps() {
    let zip = tiny_zip();
    let v = verify(&zip[..], 1 << 20).expect("valid");
    assert_eq!((v.bytes, v.entries), (zip.len() as u64, 1));
    assert_eq!(v.sha256.len(), 64);
    assert!(matches!(verify(&zip[..], 10), Err(VerifyError::TooLarge(m)) if m.contains("cap")));
    assert!(matches!(
        verify(&b"<html>nope</html>"[..], 1 << 20),
        Err(VerifyError::Invalid(m)) if m.contains("not a readable zip")
    ));
}
