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
    let p = Progress::default();
    let v = verify(&zip[..], 1 << 20, &p).expect("valid");
    assert_eq!((v.bytes, v.entries), (zip.len() as u64, 1));
    assert_eq!(p.load(Ordering::Relaxed), zip.len() as u64);
    assert_eq!(v.sha256.len(), 64);
    assert!(matches!(verify(&zip[..], 10, &p), Err(VerifyError::TooLarge(m)) if m.contains("cap")));
    assert!(matches!(
        verify(&b"<html>nope</html>"[..], 1 << 20, &p),
        Err(VerifyError::Invalid(m)) if m.contains("not a readable zip")
    ));
}

/// Gives `first` bytes, then fails like a read cut by a deadline.
struct CutAfter {
    data: Vec<u8>,
    at: usize,
}

impl Read for CutAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.data.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "operation timed out",
            ));
        }
        let n = buf.len().min(self.data.len() - self.at).min(1000);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_cut_read_is_not_an_invalid_package() {
    let zip = tiny_zip();
    let half = zip[..zip.len() / 2].to_vec();
    let p = Progress::default();
    match verify(
        CutAfter {
            data: half.clone(),
            at: 0,
        },
        1 << 20,
        &p,
    ) {
        Err(VerifyError::Cut(c)) => {
            assert_eq!(c.bytes, half.len() as u64);
            assert_eq!(c.kind, std::io::ErrorKind::TimedOut);
            assert!(
                c.describe()
                    .starts_with(&format!("{} bytes in ", half.len())),
                "{}",
                c.describe()
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.load(Ordering::Relaxed), half.len() as u64);
}

#[test]
fn throughput_is_readable() {
    assert_eq!(
        throughput(512 * 1024, Duration::from_secs(1)),
        "512.0 KiB/s"
    );
    assert_eq!(
        throughput(3 * 1024 * 1024, Duration::from_secs(1)),
        "3.0 MiB/s"
    );
    assert_eq!(throughput(0, Duration::ZERO), "0.0 KiB/s");
}

/// A stored zip of `files` entries of `each` pseudo-random bytes.
fn zip_of(files: usize, each: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut x = 0x2545_f491_u32;
    for i in 0..files {
        w.start_file(format!("mpav{i:05}.vdm"), opts)
            .expect("start");
        let data: Vec<u8> = (0..each)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        std::io::Write::write_all(&mut w, &data).expect("write");
    }
    w.finish().expect("finish");
    buf.into_inner()
}

#[test]
fn a_package_bigger_than_the_kept_tail_is_checked_from_its_end() {
    // 3 files of 5 MiB: the local headers of the first two are long gone from the tail.
    let zip = zip_of(3, 5 * 1024 * 1024);
    assert!(zip.len() > 2 * TAIL_BYTES);
    let v = verify(&zip[..], u64::MAX, &Progress::default()).expect("valid");
    assert_eq!((v.bytes, v.entries), (zip.len() as u64, 3));
    let whole: String = Sha256::digest(&zip)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v.sha256, whole, "the hash covers every byte, not the tail");
}

#[test]
fn a_truncated_or_padded_package_is_invalid() {
    let zip = zip_of(2, 64 * 1024);
    let cut = &zip[..zip.len() - 30];
    assert!(matches!(
        verify(cut, u64::MAX, &Progress::default()),
        Err(VerifyError::Invalid(m)) if m.contains("not a readable zip")
    ));
    // A package that does not end where its directory says (an HTML page after it).
    let mut padded = zip.clone();
    padded.extend_from_slice(&[b'x'; 70 * 1024]);
    assert!(matches!(
        verify(&padded[..], u64::MAX, &Progress::default()),
        Err(VerifyError::Invalid(_))
    ));
}

#[test]
fn a_central_directory_beyond_the_tail_is_named_not_misread() {
    // 100k empty entries: a central directory of about 6 MiB, more than the kept tail.
    let zip = zip_of(100_000, 0);
    match verify(&zip[..], u64::MAX, &Progress::default()) {
        Err(VerifyError::Invalid(m)) => assert!(m.contains("does not fit"), "{m}"),
        other => panic!("{other:?}"),
    }
}
