//! One `arch_*` folder of the download tree: `updates.zip` read whole and every zip entry
//! checked against its CRC (a truncated download or an HTML page fails), `manifest.json`,
//! and what a killed run leaves (`updates.zip_temp`, `manifest.xml`).
//!
//! Nothing in the tree is trusted to be what its name says: each file's type is looked at
//! before it is opened, it is opened with `O_NONBLOCK` (a FIFO cannot hang the check) and
//! it must still be a regular file once open. A deadline, when given, bounds the reading.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::mirror::package::{self, Manifest, Signature};

/// A package is 100–300 MB; refuse to read more than this.
pub const MAX_PACKAGE: u64 = 2 * 1024 * 1024 * 1024;
pub const ARCHES: [&str; 2] = ["x86_64", "arm64"];
pub const PACKAGE: &str = "updates.zip";
pub const MANIFEST: &str = "manifest.json";
pub const LEFTOVERS: [&str; 2] = ["updates.zip_temp", "manifest.xml"];

/// Which folder: `<platform>/<ring>[_back]/arch_<arch>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub platform: String,
    pub ring: String,
    pub back: bool,
    pub arch: String,
}

impl Slot {
    pub fn rel(&self) -> PathBuf {
        let ring = if self.back {
            format!("{}_back", self.ring)
        } else {
            self.ring.clone()
        };
        PathBuf::from(&self.platform)
            .join(ring)
            .join(format!("arch_{}", self.arch))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub modified: Option<SystemTime>,
}

/// `updates.zip` as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageState {
    pub meta: FileMeta,
    pub signature: Signature,
    /// Entries that passed their CRC, or why the archive is bad.
    pub zip: Result<usize, String>,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchState {
    pub slot: Slot,
    pub path: PathBuf,
    pub dir_exists: bool,
    pub dir_mode: Option<u32>,
    /// `None`: no file. `Some(Err)`: could not be read.
    pub package: Option<Result<PackageState, String>>,
    pub manifest: Option<Result<Manifest, String>>,
    pub manifest_meta: Option<FileMeta>,
    pub leftovers: Vec<String>,
}

fn meta_of(m: &std::fs::Metadata) -> FileMeta {
    FileMeta {
        size: m.len(),
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        modified: m.modified().ok(),
    }
}

/// Opens `path` for reading only if it is a regular file: its type is looked at first
/// (`lstat`, and `stat` for a symlink, which a mirror may use for shared storage and is
/// followed only to a regular file), then it is opened with `O_NONBLOCK|O_NOCTTY` (and
/// `O_NOFOLLOW` unless it was a symlink) and checked again on the descriptor, so a FIFO,
/// a device or a file swapped in between is refused, never waited on.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), String> {
    let link = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let symlink = link.file_type().is_symlink();
    let target = if symlink {
        std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "a dangling symlink".to_string(),
            _ => format!("a symbolic link that cannot be followed: {e}"),
        })?
    } else {
        link
    };
    let not_regular = |t: std::fs::FileType| {
        format!(
            "{}, not a regular file: never opened (remove it)",
            crate::units::file_kind(t)
        )
    };
    if !target.is_file() {
        return Err(not_regular(target.file_type()));
    }
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if !symlink {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    Ok((file, meta))
}

/// A reader that fails once `deadline` has passed (checked before each read).
struct Until<R> {
    inner: R,
    deadline: Option<Instant>,
    read: u64,
}

impl<R: Read> Read for Until<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "not read to the end: the time allowed for the check ran out after {} bytes",
                    self.read
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Until<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Reads one `arch_*` folder.
pub fn inspect(root: &Path, slot: Slot) -> ArchState {
    inspect_until(root, slot, None)
}

/// [`inspect`], reading nothing after `deadline`: what is not read by then is an error.
pub fn inspect_until(root: &Path, slot: Slot, deadline: Option<Instant>) -> ArchState {
    let path = root.join(slot.rel());
    inspect_dir(&path, slot, deadline)
}

/// [`inspect_until`] of the arch folder at `path` (a stage's, or one being built).
pub fn inspect_dir(path: &Path, slot: Slot, deadline: Option<Instant>) -> ArchState {
    let path = path.to_path_buf();
    let dir = std::fs::metadata(&path).ok().filter(|m| m.is_dir());
    let mut st = ArchState {
        slot,
        dir_exists: dir.is_some(),
        dir_mode: dir.map(|m| m.mode() & 0o7777),
        package: None,
        manifest: None,
        manifest_meta: None,
        leftovers: Vec::new(),
        path: path.clone(),
    };
    if !st.dir_exists {
        return st;
    }
    let pkg = path.join(PACKAGE);
    if std::fs::symlink_metadata(&pkg).is_ok() {
        st.package = Some(read_package_until(&pkg, deadline));
    }
    let man = path.join(MANIFEST);
    if std::fs::symlink_metadata(&man).is_ok() {
        // The mode and owner, even when the manifest cannot be read (stat never opens it).
        st.manifest_meta = std::fs::metadata(&man)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| meta_of(&m));
        st.manifest = Some(read_manifest(&man));
    }
    for l in LEFTOVERS {
        if std::fs::symlink_metadata(path.join(l)).is_ok() {
            st.leftovers.push(l.to_string());
        }
    }
    st
}

pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let (f, _) = open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(package::MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > package::MAX_MANIFEST_BYTES {
        return Err("larger than 64 KiB: not a manifest".into());
    }
    package::parse_manifest(&bytes)
}

/// Reads the package whole: size, mode, SHA-256, and every entry decompressed and checked
/// against its CRC-32 and size.
pub fn read_package(path: &Path) -> Result<PackageState, String> {
    read_package_until(path, None)
}

/// [`read_package`] through one descriptor, reading nothing after `deadline`.
pub fn read_package_until(path: &Path, deadline: Option<Instant>) -> Result<PackageState, String> {
    let (file, m) = open_regular(path)?;
    let meta = meta_of(&m);
    let mut file = Until {
        inner: file,
        deadline,
        read: 0,
    };
    let mut head = vec![0u8; package::SNIFF_BYTES as usize];
    let n = read_full(&mut file, &mut head).map_err(|e| e.to_string())?;
    let signature = package::sniff(&head[..n]);
    if meta.size > MAX_PACKAGE {
        return Ok(PackageState {
            meta,
            signature,
            zip: Err("larger than the 2 GiB cap: not read".into()),
            sha256: None,
        });
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    // The size it had when opened: a file still growing is not read without end.
    let sha256 = sha256_of((&mut file).take(meta.size)).map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let zip = check_zip(file);
    if zip.is_err() && deadline.is_some_and(|d| Instant::now() >= d) {
        return Err("not read to the end: the time allowed for the check ran out".into());
    }
    Ok(PackageState {
        meta,
        signature,
        zip,
        sha256: Some(sha256),
    })
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

pub fn sha256_of(mut r: impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Every entry decompressed (stored or deflated) and compared with its CRC-32 and size.
pub fn check_zip<R: Read + std::io::Seek>(reader: R) -> Result<usize, String> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| format!("not a readable zip archive: {e}"))?;
    if archive.is_empty() {
        return Err("the zip archive has no entries".into());
    }
    let mut buf = vec![0u8; 256 * 1024];
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("entry {i}: {e}"))?;
        let name = entry
            .name()
            .map_or_else(|_| format!("entry {i}"), |n| n.to_string());
        let (want_crc, want_size) = (entry.crc32(), entry.size());
        let method = entry.compression();
        let mut body: Box<dyn Read> = if method == zip::CompressionMethod::STORE {
            Box::new(entry)
        } else if method == zip::CompressionMethod::DEFLATE {
            Box::new(flate2::read::DeflateDecoder::new(entry))
        } else {
            return Err(format!("{name}: compression {method:?} cannot be checked"));
        };
        let mut crc = flate2::Crc::new();
        let mut size = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("{name}: cannot be decompressed: {e}")),
            };
            size += n as u64;
            if size > MAX_PACKAGE * 4 {
                return Err(format!("{name}: expands beyond the cap"));
            }
            crc.update(&buf[..n]);
        }
        if size != want_size {
            return Err(format!(
                "{name}: {size} bytes decompressed, the archive says {want_size}"
            ));
        }
        if crc.sum() != want_crc {
            return Err(format!("{name}: CRC mismatch (truncated or corrupt)"));
        }
    }
    Ok(archive.len())
}

/// The highest `arch_*` slots a settings file asks for: production (and preview), each
/// with its `_back` when backups are on.
pub fn slots(platforms: &[&str], rings: &[&str], backup: bool) -> Vec<Slot> {
    let mut out = Vec::new();
    for p in platforms {
        for r in rings {
            for back in [false, true] {
                if back && !backup {
                    continue;
                }
                for a in ARCHES {
                    out.push(Slot {
                        platform: p.to_string(),
                        ring: r.to_string(),
                        back,
                        arch: a.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// With only a folder: every `<platform>/<ring>[_back]/arch_*` that exists.
pub fn discover(root: &Path) -> Vec<Slot> {
    let mut out = Vec::new();
    for p in ["linux", "mac"] {
        for r in ["production", "preview"] {
            for back in [false, true] {
                for a in ARCHES {
                    let s = Slot {
                        platform: p.into(),
                        ring: r.into(),
                        back,
                        arch: a.into(),
                    };
                    if root.join(s.rel()).is_dir() {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    /// A real zip with one entry (written by hand: the crate is built without writing).
    pub fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let crc = crc.sum();
        let mut z = Vec::new();
        let n = name.len() as u16;
        let len = data.len() as u32;
        z.write_all(b"PK\x03\x04").unwrap();
        for v in [20u16, 0, 0, 0, 0] {
            z.write_all(&v.to_le_bytes()).unwrap();
        }
        z.write_all(&crc.to_le_bytes()).unwrap();
        z.write_all(&len.to_le_bytes()).unwrap();
        z.write_all(&len.to_le_bytes()).unwrap();
        z.write_all(&n.to_le_bytes()).unwrap();
        z.write_all(&0u16.to_le_bytes()).unwrap();
        z.write_all(name.as_bytes()).unwrap();
        z.write_all(data).unwrap();
        let cd = z.len() as u32;
        z.write_all(b"PK\x01\x02").unwrap();
        for v in [20u16, 20, 0, 0, 0, 0] {
            z.write_all(&v.to_le_bytes()).unwrap();
        }
        z.write_all(&crc.to_le_bytes()).unwrap();
        z.write_all(&len.to_le_bytes()).unwrap();
        z.write_all(&len.to_le_bytes()).unwrap();
        for v in [n, 0, 0, 0, 0] {
            z.write_all(&v.to_le_bytes()).unwrap();
        }
        z.write_all(&0u32.to_le_bytes()).unwrap();
        z.write_all(&0u32.to_le_bytes()).unwrap();
        z.write_all(name.as_bytes()).unwrap();
        let cd_len = z.len() as u32 - cd;
        z.write_all(b"PK\x05\x06").unwrap();
        for v in [0u16, 0, 1, 1] {
            z.write_all(&v.to_le_bytes()).unwrap();
        }
        z.write_all(&cd_len.to_le_bytes()).unwrap();
        z.write_all(&cd.to_le_bytes()).unwrap();
        z.write_all(&0u16.to_le_bytes()).unwrap();
        z
    }

    #[test]
    fn a_good_zip_passes_and_a_flipped_byte_fails_its_crc() {
        let z = stored_zip("mpasbase.vdm", b"definitions payload");
        assert_eq!(check_zip(Cursor::new(z.clone())), Ok(1));
        let mut bad = z.clone();
        let at = 30 + "mpasbase.vdm".len() + 3;
        bad[at] ^= 0xff;
        let e = check_zip(Cursor::new(bad)).unwrap_err();
        assert!(e.contains("CRC"), "{e}");
        assert!(check_zip(Cursor::new(b"<html>403</html>".to_vec())).is_err());
        assert!(check_zip(Cursor::new(z[..z.len() / 2].to_vec())).is_err());
    }

    #[test]
    fn deflated_entries_are_decompressed_and_checked() {
        let data =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        let packed = enc.finish().unwrap();
        // Rebuild the stored zip with method 8 and the compressed body.
        let mut z = stored_zip("x", data);
        let body_at = 30 + 1;
        z.splice(body_at..body_at + data.len(), packed.iter().copied());
        let diff = data.len() - packed.len();
        z[8] = 8;
        z[18..22].copy_from_slice(&(packed.len() as u32).to_le_bytes());
        let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        z[cd + 10] = 8;
        z[cd + 20..cd + 24].copy_from_slice(&(packed.len() as u32).to_le_bytes());
        let eocd = z.len() - 22;
        let cd_off = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap());
        z[eocd + 16..eocd + 20].copy_from_slice(&(cd_off - diff as u32).to_le_bytes());
        assert_eq!(check_zip(Cursor::new(z)), Ok(1));
    }

    #[test]
    fn slots_follow_the_settings() {
        let s = slots(&["linux"], &["production"], true);
        let rels: Vec<_> = s.iter().map(|s| s.rel()).collect();
        assert_eq!(
            rels,
            vec![
                PathBuf::from("linux/production/arch_x86_64"),
                PathBuf::from("linux/production/arch_arm64"),
                PathBuf::from("linux/production_back/arch_x86_64"),
                PathBuf::from("linux/production_back/arch_arm64"),
            ]
        );
    }
}
