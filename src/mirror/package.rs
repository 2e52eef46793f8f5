//! What the downloader leaves in an `arch_*` folder, read without trusting it:
//! `manifest.json` (`{"EngineVersion","DefinitionVersion"}`, both `""` when the downloader
//! got a proxy page) and `updates.zip` (which may be an HTML error page: the downloader
//! runs curl without `-f`).

use std::io::{Read, Seek};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A manifest is two short strings; anything bigger is not one.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// How much of `updates.zip` is read to recognise it.
pub const SNIFF_BYTES: u64 = 512;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Manifest {
    pub engine_version: String,
    pub definition_version: String,
}

impl Manifest {
    pub fn is_empty(&self) -> bool {
        self.engine_version.is_empty() || self.definition_version.is_empty()
    }
}

pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err("the file is empty".into());
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let field = |name: &str| -> Result<String, String> {
        match obj.get(name) {
            None => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.trim().to_string()),
            Some(other) => Err(format!("{name} is not a string: {other}")),
        }
    };
    Ok(Manifest {
        engine_version: field("EngineVersion")?,
        definition_version: field("DefinitionVersion")?,
    })
}

/// What the first bytes of `updates.zip` say it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Signature {
    Zip,
    /// A zip with no entries (`PK\x05\x06`).
    EmptyZip,
    /// An HTML page (an error or proxy block page saved as the package).
    Html,
    Empty,
    /// Something else; the first bytes in hex.
    Other(String),
}

impl Signature {
    pub fn is_zip(&self) -> bool {
        matches!(self, Signature::Zip)
    }

    pub fn describe(&self) -> String {
        match self {
            Signature::Zip => "a zip archive".into(),
            Signature::EmptyZip => "an empty zip archive".into(),
            Signature::Html => "an HTML page, not a zip archive".into(),
            Signature::Empty => "empty".into(),
            Signature::Other(hex) => format!("not a zip archive (starts with {hex})"),
        }
    }
}

pub fn sniff(first: &[u8]) -> Signature {
    if first.is_empty() {
        return Signature::Empty;
    }
    if first.starts_with(b"PK\x03\x04") {
        return Signature::Zip;
    }
    if first.starts_with(b"PK\x05\x06") {
        return Signature::EmptyZip;
    }
    let head = String::from_utf8_lossy(first)
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<?xml")
        || head.contains("<html")
    {
        return Signature::Html;
    }
    Signature::Other(first.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// A whole package read and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Verified {
    pub bytes: u64,
    pub sha256: String,
    pub entries: usize,
}

/// Why a package failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    TooLarge(String),
    Invalid(String),
    /// Reading stopped before the end (a deadline, a dropped connection, an I/O error):
    /// says nothing about the package, only how much of it arrived in how long.
    Cut(Cut),
}

/// A read that stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    pub bytes: u64,
    pub elapsed: Duration,
    pub kind: std::io::ErrorKind,
    pub error: String,
}

impl Cut {
    /// `1234567 bytes in 5.0 s (241.1 KiB/s)`.
    pub fn describe(&self) -> String {
        format!(
            "{} bytes in {:.1} s ({})",
            self.bytes,
            self.elapsed.as_secs_f64(),
            throughput(self.bytes, self.elapsed)
        )
    }
}

/// Bytes per second, for messages: `241.1 KiB/s`.
pub fn throughput(bytes: u64, elapsed: Duration) -> String {
    let per_second = bytes as f64 / elapsed.as_secs_f64().max(0.001);
    if per_second >= 1024.0 * 1024.0 {
        format!("{:.1} MiB/s", per_second / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB/s", per_second / 1024.0)
    }
}

/// How many bytes a verification has read so far, readable from another thread (a
/// directory probe that gives up on a hung mount still says how far it got).
pub type Progress = std::sync::Arc<std::sync::atomic::AtomicU64>;

/// How much of the end of a package is kept for the zip check: the central directory
/// and its end record live there. A Defender package lists a handful of files (a few KiB
/// of directory); 4 MiB is room for tens of thousands.
pub const TAIL_BYTES: usize = 4 * 1024 * 1024;

/// Reads `reader` to the end (at most `max` bytes) while hashing it, keeping only its last
/// [`TAIL_BYTES`], then checks that those end with a readable zip central directory that
/// lists at least one file. Nothing is written anywhere: memory stays bounded whatever
/// the package's size, and no temporary file lands on a tmpfs. `progress` counts the
/// bytes read as they arrive.
pub fn verify<R: Read>(
    mut reader: R,
    max: u64,
    progress: &Progress,
) -> Result<Verified, VerifyError> {
    use VerifyError::{Invalid, TooLarge};
    const CHUNK: usize = 256 * 1024;
    let started = Instant::now();
    // Reading and hashing overlap: this thread reads whole chunks, a second one hashes
    // them and keeps the last ones for the zip check (no copy), handing spent buffers back.
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let (read, hashed) = std::thread::scope(|scope| {
        let hasher = scope.spawn(move || {
            let mut hasher = Sha256::new();
            let mut kept: std::collections::VecDeque<Vec<u8>> = Default::default();
            let mut kept_len = 0usize;
            for chunk in full_rx {
                hasher.update(&chunk);
                kept_len += chunk.len();
                kept.push_back(chunk);
                while kept
                    .front()
                    .is_some_and(|f| kept_len - f.len() >= TAIL_BYTES)
                {
                    if let Some(old) = kept.pop_front() {
                        kept_len -= old.len();
                        let _ = free_tx.send(old);
                    }
                }
            }
            (hasher.finalize(), kept)
        });
        let mut total = 0u64;
        let read = (|| loop {
            let mut buf = free_rx.try_recv().unwrap_or_default();
            buf.resize(CHUNK, 0);
            let mut filled = 0;
            while filled < CHUNK {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => {
                        filled += n;
                        progress.store(total + filled as u64, Ordering::Relaxed);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(VerifyError::Cut(Cut {
                            bytes: total + filled as u64,
                            elapsed: started.elapsed(),
                            kind: e.kind(),
                            error: e.to_string(),
                        }));
                    }
                }
            }
            total += filled as u64;
            if total > max {
                return Err(TooLarge(format!(
                    "larger than the {} cap",
                    crate::units::format_bytes(max as usize)
                )));
            }
            if filled == 0 {
                return Ok(total);
            }
            buf.truncate(filled);
            if full_tx.send(buf).is_err() {
                return Err(Invalid("the hashing thread stopped".into()));
            }
        })();
        drop(full_tx);
        (read, hasher.join())
    });
    let total = read?;
    let (digest, kept) = hashed.map_err(|_| Invalid("the hashing thread failed".into()))?;
    let tail = TailReader::new(kept.iter().flatten().copied().collect(), total);
    let config = zip::read::Config {
        archive_offset: zip::read::ArchiveOffset::Known(0),
    };
    let archive = zip::ZipArchive::with_config(config, tail).map_err(|e| {
        if e.to_string().contains(BEFORE_TAIL) {
            Invalid(format!(
                "its zip central directory does not fit in the last {} (a Defender package lists a handful of files)",
                crate::units::format_bytes(TAIL_BYTES)
            ))
        } else {
            Invalid(format!("not a readable zip archive: {e}"))
        }
    })?;
    if archive.is_empty() {
        return Err(Invalid("the zip archive has no entries".into()));
    }
    Ok(Verified {
        bytes: total,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        entries: archive.len(),
    })
}

const BEFORE_TAIL: &str = "read before the kept end of the package";

/// Seeks anywhere in the stream's length; reads succeed only within the kept tail.
struct TailReader {
    bytes: Vec<u8>,
    start: u64,
    total: u64,
    pos: u64,
}

impl TailReader {
    /// The stream's last bytes as the hashing thread kept them (whole chunks, up to one
    /// chunk more than [`TAIL_BYTES`]), trimmed to [`TAIL_BYTES`].
    fn new(mut bytes: Vec<u8>, total: u64) -> TailReader {
        let cut = bytes.len().saturating_sub(TAIL_BYTES);
        bytes.drain(..cut);
        TailReader {
            start: total - bytes.len() as u64,
            total,
            pos: 0,
            bytes,
        }
    }
}

impl Read for TailReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.total || out.is_empty() {
            return Ok(0);
        }
        let Some(at) = self.pos.checked_sub(self.start) else {
            return Err(std::io::Error::other(BEFORE_TAIL));
        };
        let at = usize::try_from(at).map_err(std::io::Error::other)?;
        let n = out.len().min(self.bytes.len() - at);
        out[..n].copy_from_slice(&self.bytes[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for TailReader {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.total.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek outside the package")
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
pub(crate) mod tests;
