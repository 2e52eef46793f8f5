//! Writing the bundle: a `.tar.gz` built in a private temporary file next to the
//! destination (random name, O_EXCL, 0600, never through a symlink; removed if the
//! bundle is abandoned), every entry hashed as it is written, then linked into place
//! only if nothing took the name meanwhile. Reading one back (`--list-contents`) checks
//! every hash against the manifest, in time linear in the number of entries.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::Compression;
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
    /// `None` once finished.
    tar: Option<tar::Builder<GzEncoder<File>>>,
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

/// A digest as lower-case hex, as MANIFEST.json writes it.
pub(crate) fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

impl Writer {
    /// Fails with `AlreadyExists` if `dest` (or a symlink by that name) exists.
    pub fn check_dest(dest: &Path) -> io::Result<()> {
        if std::fs::symlink_metadata(dest).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} already exists (or is a symlink); choose another -o",
                    dest.display()
                ),
            ));
        }
        Ok(())
    }

    /// Starts a bundle that will become `dest`, which must not exist yet. Only `dest`
    /// existing is `AlreadyExists`; failing to find a free temporary name is another
    /// I/O error.
    pub fn create(dest: &Path) -> io::Result<Writer> {
        Writer::check_dest(dest)?;
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (file, tmp) =
            crate::safe_write::create_temp(dir, ".mdatp-doctor-bundle-", ".tmp", 0o600)?;
        let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(Writer {
            tar: Some(tar),
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
        // The test clock, when set, keeps the example bundle the same run to run.
        h.set_mtime(crate::system::now().as_second().max(0) as u64);
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
        self.builder()?.append_data(&mut header, path, bytes)?;
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
        self.builder()?
            .append_data(&mut header, path, &mut hashing)?;
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

    fn builder(&mut self) -> io::Result<&mut tar::Builder<GzEncoder<File>>> {
        self.tar
            .as_mut()
            .ok_or_else(|| io::Error::other("the bundle is already finished"))
    }

    /// Finishes the archive and puts it in place; the name is taken only if still free.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        let tar = self
            .tar
            .take()
            .ok_or_else(|| io::Error::other("the bundle is already finished"))?;
        let file = tar.into_inner()?.finish()?;
        file.sync_all()?;
        drop(file);
        // A hard link fails if the destination appeared meanwhile: never overwrite.
        std::fs::hard_link(&self.tmp, &self.dest)?;
        Ok(self.dest.clone())
    }

    /// Drops the bundle: the temporary file goes (as it does whenever a writer is
    /// dropped, finished or not: an error, an interrupt, a panic).
    pub fn abandon(self) {}
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// One line of `--list-contents`.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub path: String,
    pub size: u64,
    pub collector: String,
    /// `ok`, `hash mismatch`, `missing`, `duplicate` (the archive holds the name more
    /// than once), or `not in manifest`.
    pub status: String,
}

/// Reads a bundle, hashing every entry, and compares with its MANIFEST.json (streamed and
/// capped: see [`super::read`]).
pub fn inspect(path: &Path) -> io::Result<(serde_json::Value, Vec<Checked>)> {
    let contents = super::read::read(path, |_| false)?;
    let checked = contents.check();
    Ok((contents.manifest, checked))
}

#[cfg(test)]
mod tests;
