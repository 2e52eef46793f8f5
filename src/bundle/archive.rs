//! Writing the bundle: a `.tar.gz` built in a private temporary file next to the
//! destination (O_EXCL, 0600, never through a symlink), every entry hashed as it is
//! written, then linked into place only if nothing took the name meanwhile. Reading one
//! back (`--list-contents`) checks every hash against the manifest.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One file of the bundle, as the manifest lists it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct EntryInfo {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub collector: String,
    /// Extra facts: the command line, exit status, duration, stderr of an mdatp call.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub source: serde_json::Map<String, serde_json::Value>,
}

pub struct Writer {
    tar: tar::Builder<GzEncoder<File>>,
    tmp: PathBuf,
    dest: PathBuf,
    pub entries: Vec<EntryInfo>,
    pub written: u64,
}

/// Reads through to a hasher, counting bytes.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

impl Writer {
    /// Starts a bundle that will become `dest`, which must not exist yet.
    pub fn create(dest: &Path) -> io::Result<Writer> {
        if std::fs::symlink_metadata(dest).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} already exists (or is a symlink); choose another -o",
                    dest.display()
                ),
            ));
        }
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".mdatp-doctor-bundle-{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(Writer {
            tar,
            tmp,
            dest: dest.to_path_buf(),
            entries: Vec::new(),
            written: 0,
        })
    }

    fn header(size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o600);
        h.set_mtime(jiff::Timestamp::now().as_second().max(0) as u64);
        h.set_cksum();
        h
    }

    pub fn add_bytes(
        &mut self,
        path: &str,
        bytes: &[u8],
        collector: &str,
        source: serde_json::Map<String, serde_json::Value>,
    ) -> io::Result<()> {
        let mut header = Self::header(bytes.len() as u64);
        self.tar.append_data(&mut header, path, bytes)?;
        self.written += bytes.len() as u64;
        self.entries.push(EntryInfo {
            path: path.into(),
            size: bytes.len() as u64,
            sha256: hex(Sha256::digest(bytes)),
            collector: collector.into(),
            source,
        });
        Ok(())
    }

    /// Streams `size` bytes from `reader` (a file read once, never held in memory).
    pub fn add_stream(
        &mut self,
        path: &str,
        reader: impl Read,
        size: u64,
        collector: &str,
    ) -> io::Result<()> {
        let mut header = Self::header(size);
        let mut hashing = Hashing {
            inner: reader.take(size),
            hasher: Sha256::new(),
            count: 0,
        };
        self.tar.append_data(&mut header, path, &mut hashing)?;
        if hashing.count != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{path} shrank while being read"),
            ));
        }
        self.written += size;
        self.entries.push(EntryInfo {
            path: path.into(),
            size,
            sha256: hex(hashing.hasher.finalize()),
            collector: collector.into(),
            source: serde_json::Map::new(),
        });
        Ok(())
    }

    /// Finishes the archive and puts it in place; the name is taken only if still free.
    pub fn finish(self) -> io::Result<PathBuf> {
        let gz = self.tar.into_inner()?;
        let file = gz.finish()?;
        file.sync_all()?;
        drop(file);
        // A hard link fails if the destination appeared meanwhile: never overwrite.
        let linked = std::fs::hard_link(&self.tmp, &self.dest);
        let _ = std::fs::remove_file(&self.tmp);
        linked?;
        Ok(self.dest)
    }

    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// One line of `--list-contents`.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub path: String,
    pub size: u64,
    pub collector: String,
    /// `ok`, `hash mismatch`, `missing`, or `not in manifest`.
    pub status: String,
}

/// Reads a bundle, hashing every entry, and compares with its MANIFEST.json.
pub fn inspect(path: &Path) -> io::Result<(serde_json::Value, Vec<Checked>)> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let mut manifest: Option<serde_json::Value> = None;
    let mut seen: Vec<(String, u64, String)> = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.display().to_string();
        if name == "MANIFEST.json" {
            let mut text = String::new();
            entry
                .by_ref()
                .take(16 * 1024 * 1024)
                .read_to_string(&mut text)?;
            manifest = Some(serde_json::from_str(&text).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("MANIFEST.json: {e}"))
            })?);
            continue;
        }
        let mut hashing = Hashing {
            inner: &mut entry,
            hasher: Sha256::new(),
            count: 0,
        };
        io::copy(&mut hashing, &mut io::sink())?;
        seen.push((name, hashing.count, hex(hashing.hasher.finalize())));
    }
    let manifest = manifest.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "no MANIFEST.json: not an mdatp-doctor bundle",
        )
    })?;
    let listed: Vec<EntryInfo> =
        serde_json::from_value(manifest["entries"].clone()).unwrap_or_default();
    let mut out = Vec::new();
    for e in &listed {
        let status = match seen.iter().find(|(n, _, _)| *n == e.path) {
            Some((_, size, sha)) if *size == e.size && *sha == e.sha256 => "ok",
            Some(_) => "hash mismatch",
            None => "missing",
        };
        out.push(Checked {
            path: e.path.clone(),
            size: e.size,
            collector: e.collector.clone(),
            status: status.into(),
        });
    }
    for (name, size, _) in seen
        .iter()
        .filter(|(n, _, _)| !listed.iter().any(|e| &e.path == n))
    {
        out.push(Checked {
            path: name.clone(),
            size: *size,
            collector: String::new(),
            status: "not in manifest".into(),
        });
    }
    Ok((manifest, out))
}

#[cfg(test)]
mod tests;
