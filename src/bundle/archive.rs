//! Writing the bundle: a `.tar.gz` built in a private temporary file next to the
//! destination (random name, O_EXCL, 0600, never through a symlink; removed if the
//! bundle is abandoned), every entry hashed as it is written, then linked into place
//! only if nothing took the name meanwhile. Reading one back (`--list-contents`) checks
//! every hash against the manifest, in time linear in the number of entries.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
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

fn hex(digest: impl AsRef<[u8]>) -> String {
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

/// Reads a bundle, hashing every entry, and compares with its MANIFEST.json.
pub fn inspect(path: &Path) -> io::Result<(serde_json::Value, Vec<Checked>)> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let mut manifest: Option<serde_json::Value> = None;
    // Name → (size, sha256, how many times the archive holds it), and the names in
    // archive order.
    let mut seen: HashMap<String, (u64, String, usize)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
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
        let (count, sha) = (hashing.count, hex(hashing.hasher.finalize()));
        match seen.get_mut(&name) {
            // Extractors keep the last copy: check that one, and say there were two.
            Some(e) => *e = (count, sha, e.2 + 1),
            None => {
                seen.insert(name.clone(), (count, sha, 1));
                order.push(name);
            }
        }
    }
    let manifest = manifest.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "no MANIFEST.json: not an mdatp-doctor bundle",
        )
    })?;
    let listed: Vec<EntryInfo> =
        serde_json::from_value(manifest["entries"].clone()).unwrap_or_default();
    let mut out = Vec::with_capacity(listed.len());
    for e in &listed {
        let status = match seen.get(&e.path) {
            Some((_, _, copies)) if *copies > 1 => "duplicate",
            Some((size, sha, _)) if *size == e.size && *sha == e.sha256 => "ok",
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
    let listed_paths: HashSet<&str> = listed.iter().map(|e| e.path.as_str()).collect();
    for name in order.iter().filter(|n| !listed_paths.contains(n.as_str())) {
        out.push(Checked {
            path: name.clone(),
            size: seen[name].0,
            collector: String::new(),
            status: "not in manifest".into(),
        });
    }
    Ok((manifest, out))
}

#[cfg(test)]
mod tests;
