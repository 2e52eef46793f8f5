//! Reading a bundle back (`bundle --list-contents`, `diagnose --from-bundle`). The file is
//! untrusted: it is streamed, never extracted (no name in it is ever opened on disk),
//! every member is hashed, and what it may cost is bounded up front: the compressed
//! size, the bytes it inflates to (a compression bomb ends there), the size any one
//! member may declare (checked on its header, before its data), the number of members,
//! and the few members kept in memory to be read.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use super::TOTAL_CAP;
use super::archive::{Checked, EntryInfo};

const MIB: u64 = 1024 * 1024;
/// The largest `.tar.gz` opened at all: a bundle's content is capped at [`TOTAL_CAP`]
/// and compresses, so a bigger file was not written by `bundle`.
pub const MAX_COMPRESSED: u64 = TOTAL_CAP + 64 * MIB;
/// The most the archive may inflate to: the content cap, plus room for the manifest,
/// the tar headers and padding.
pub const MAX_INFLATED: u64 = TOTAL_CAP + 32 * MIB;
/// The most one member may declare.
pub const MAX_MEMBER: u64 = TOTAL_CAP;
/// Members in one archive (a bundle has a few dozen: outputs, config, log files).
pub const MAX_MEMBERS: usize = 10_000;
/// The largest member kept in memory to be read (health, config, manifest, history).
pub const MAX_KEPT: u64 = 16 * MIB;
/// All kept members together.
pub const MAX_KEPT_TOTAL: u64 = 64 * MIB;
/// The longest member name (GNU long-name records included).
const MAX_NAME: u64 = 4096;
/// The largest pax header read (a long name, times, attributes: a few hundred bytes).
const MAX_PAX: u64 = 64 * 1024;
/// The most JSON values (every string, number, list and object counts one) MANIFEST.json
/// may hold. A bundle's manifest has about five per file it lists, a few dozen more per
/// mdatp call, one per file left out: a few hundred in all, and 200,000 leave room for
/// [`MAX_MEMBERS`] files and as many left out. Parsed whole, each value costs tens of
/// bytes however few it takes in the file: a forged 13.6 MB manifest of small values
/// took 260 MB to 1 GB of memory to list.
pub const MAX_MANIFEST_VALUES: usize = 200_000;

/// One member as the archive holds it.
#[derive(Debug, Clone)]
pub struct Member {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// How many times the archive holds the name (the last copy is the one checked and
    /// kept, as extractors keep the last).
    pub copies: usize,
    /// A link, a directory, a device: listed, never followed or read.
    pub regular: bool,
}

/// A bundle read through once.
#[derive(Debug)]
pub struct Contents {
    pub manifest: serde_json::Value,
    /// In archive order, MANIFEST.json left out.
    pub members: Vec<Member>,
    kept: HashMap<String, Vec<u8>>,
    /// Members asked for but too large to keep (named, so a reader can say why it has
    /// no text for them).
    pub too_large: Vec<String>,
}

impl Contents {
    /// A kept member's bytes (only regular members that were asked for and fitted).
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.kept.get(path).map(Vec::as_slice)
    }

    /// What MANIFEST.json lists (an unreadable list is an empty one: every member then
    /// shows as not in the manifest). Read from the parsed manifest in place, not a copy.
    pub fn listed(&self) -> Vec<EntryInfo> {
        use serde::Deserialize;
        Vec::<EntryInfo>::deserialize(&self.manifest["entries"]).unwrap_or_default()
    }

    /// Every member checked against the manifest: `ok`, `hash mismatch`, `missing`,
    /// `duplicate`, `not a regular file`, or `not in manifest`.
    pub fn check(&self) -> Vec<Checked> {
        check(&self.listed(), &self.members)
    }
}

/// `members` (as read, from an archive or an unpacked folder) checked against what the
/// manifest `listed`: `ok`, `hash mismatch`, `missing`, `duplicate`, `not a regular
/// file`, or `not in manifest`.
pub fn check(listed: &[EntryInfo], members: &[Member]) -> Vec<Checked> {
    let by_name: HashMap<&str, &Member> = members.iter().map(|m| (m.path.as_str(), m)).collect();
    let mut out = Vec::with_capacity(listed.len());
    for e in listed {
        let status = match by_name.get(e.path.as_str()) {
            Some(m) if m.copies > 1 => "duplicate",
            Some(m) if !m.regular => "not a regular file",
            Some(m) if m.size == e.size && m.sha256 == e.sha256 => "ok",
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
    let listed: std::collections::HashSet<&str> = listed.iter().map(|e| e.path.as_str()).collect();
    for m in members.iter().filter(|m| !listed.contains(m.path.as_str())) {
        out.push(Checked {
            path: m.path.clone(),
            size: m.size,
            collector: String::new(),
            status: "not in manifest".into(),
        });
    }
    out
}

/// A member's name as the manifest lists it: without the `./` a repack of the unpacked
/// folder puts before every name.
fn in_bundle(name: &str) -> &str {
    let mut name = name;
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    name
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Counts what the decompressor hands out and stops at the cap.
struct Capped<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > MAX_INFLATED {
            return Err(invalid(format!(
                "it inflates to more than {} MiB, more than any bundle holds (a compression bomb?)",
                MAX_INFLATED / MIB
            )));
        }
        Ok(n)
    }
}

/// Opens the file: without blocking (a FIFO given as the bundle must not hang the
/// run), and only a regular file of a size a bundle can have.
fn open(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len() > MAX_COMPRESSED {
        return Err(invalid(format!(
            "{} bytes, more than any bundle ({} MiB at most)",
            meta.len(),
            MAX_COMPRESSED / MIB
        )));
    }
    Ok(file)
}

/// Reads the whole bundle once, hashing every member and keeping in memory the regular
/// members `keep` asks for (MANIFEST.json always). Fails when the file is not a
/// `.tar.gz`, passes a cap, or has no readable MANIFEST.json.
pub fn read(path: &Path, keep: impl Fn(&str) -> bool) -> io::Result<Contents> {
    let file = open(path)?;
    let stream = Capped {
        inner: GzDecoder::new(io::BufReader::with_capacity(64 * 1024, file)),
        read: 0,
    };
    let mut archive = tar::Archive::new(stream);
    let mut manifest: Option<Vec<u8>> = None;
    let mut members: Vec<Member> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut kept: HashMap<String, Vec<u8>> = HashMap::new();
    let mut kept_total = 0u64;
    let mut too_large = Vec::new();
    let mut long_name: Option<String> = None;
    let mut count = 0usize;
    // Raw entries: GNU long-name records come to us (and are capped here) instead of
    // being read whole into memory by the tar reader.
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        count += 1;
        if count > MAX_MEMBERS {
            return Err(invalid(format!(
                "more than {MAX_MEMBERS} members, more than any bundle holds"
            )));
        }
        let kind = entry.header().entry_type();
        let declared = entry.header().size()?;
        if kind.is_gnu_longname() {
            if declared > MAX_NAME {
                return Err(invalid(format!(
                    "a member name of {declared} bytes, longer than any bundle writes"
                )));
            }
            let mut name = Vec::new();
            entry.read_to_end(&mut name)?;
            let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
            long_name = Some(String::from_utf8_lossy(name).into_owned());
            continue;
        }
        if kind.is_pax_local_extensions() || kind.is_pax_global_extensions() {
            // POSIX tar's records of the next member (or all): only a long `path` is
            // taken; times, owners and attributes say nothing of the content.
            if declared > MAX_PAX {
                return Err(invalid(format!(
                    "a pax header of {declared} bytes, longer than any bundle's"
                )));
            }
            let local = kind.is_pax_local_extensions();
            if let Some(records) = entry.pax_extensions()? {
                for record in records {
                    let record = record?;
                    if local && record.key_bytes() == b"path" {
                        long_name =
                            Some(String::from_utf8_lossy(record.value_bytes()).into_owned());
                    }
                }
            }
            continue;
        }
        let name = long_name
            .take()
            .unwrap_or_else(|| String::from_utf8_lossy(&entry.path_bytes()).into_owned());
        // `tar czf x.tar.gz .` in an unpacked bundle names its members `./MANIFEST.json`,
        // `./mdatp/health.txt`: the same files.
        let name = in_bundle(&name).to_string();
        if kind.is_dir() {
            // The directories a repack adds (`./`, `./mdatp/`) hold no bytes: nothing to
            // check. A directory where the manifest lists a file leaves that file missing.
            continue;
        }
        if declared > MAX_MEMBER {
            return Err(invalid(format!(
                "the member `{}` declares {declared} bytes, more than the {} MiB a bundle holds",
                crate::mdatp::value::visible(&name, 120),
                MAX_MEMBER / MIB
            )));
        }
        let regular = kind.is_file();
        let wanted = regular && (name == super::names::MANIFEST || keep(&name));
        let fits = declared <= MAX_KEPT && kept_total + declared <= MAX_KEPT_TOTAL;
        let mut hasher = Sha256::new();
        let mut buf = [0u8; 64 * 1024];
        let mut size = 0u64;
        let mut bytes = Vec::new();
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            if wanted && fits {
                bytes.extend_from_slice(&buf[..n]);
            }
        }
        if name == super::names::MANIFEST && regular {
            if !fits {
                return Err(invalid(format!(
                    "MANIFEST.json is {declared} bytes, larger than any bundle writes"
                )));
            }
            manifest = Some(bytes);
            continue;
        }
        if wanted {
            if fits {
                // A second copy replaces the first (and is counted against the cap).
                kept_total += bytes.len() as u64;
                kept.insert(name.clone(), bytes);
            } else {
                too_large.push(name.clone());
            }
        }
        let member = Member {
            path: name.clone(),
            size,
            sha256: super::archive::hex(hasher.finalize()),
            copies: 1,
            regular,
        };
        match index.get(&name) {
            Some(&i) => {
                let copies = members[i].copies + 1;
                members[i] = Member { copies, ..member };
            }
            None => {
                index.insert(name, members.len());
                members.push(member);
            }
        }
    }
    let manifest =
        manifest.ok_or_else(|| invalid("no MANIFEST.json: not an mdatp-doctor bundle".into()))?;
    let manifest = parse_manifest(&manifest)?;
    Ok(Contents {
        manifest,
        members,
        kept,
        too_large,
    })
}

/// MANIFEST.json's bytes as a JSON object, refused (with the reason) when they are not
/// one, hold more than [`MAX_MANIFEST_VALUES`] values, or list more entries than a bundle
/// holds members ([`MAX_MEMBERS`]). The values are counted as they are parsed: memory
/// stays bounded however the forged file is shaped.
pub fn parse_manifest(bytes: &[u8]) -> io::Result<serde_json::Value> {
    use serde::de::DeserializeSeed;
    let text = String::from_utf8_lossy(bytes);
    let values = std::cell::Cell::new(0);
    let mut de = serde_json::Deserializer::from_str(&text);
    let manifest = Budget { values: &values }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| invalid(format!("MANIFEST.json: {e}")))?;
    if !manifest.is_object() {
        return Err(invalid("MANIFEST.json is not a JSON object".into()));
    }
    let entries = manifest["entries"].as_array().map_or(0, Vec::len);
    if entries > MAX_MEMBERS {
        return Err(invalid(format!(
            "MANIFEST.json lists {entries} entries, more than the {MAX_MEMBERS} members a bundle may hold"
        )));
    }
    Ok(manifest)
}

/// Builds a [`serde_json::Value`] as serde_json would, counting every value against
/// [`MAX_MANIFEST_VALUES`] and failing past it, before the value is built.
#[derive(Clone, Copy)]
struct Budget<'a> {
    values: &'a std::cell::Cell<usize>,
}

impl Budget<'_> {
    fn spend<E: serde::de::Error>(self) -> Result<(), E> {
        let n = self.values.get() + 1;
        if n > MAX_MANIFEST_VALUES {
            return Err(E::custom(format!(
                "more than {MAX_MANIFEST_VALUES} values, more than any bundle writes"
            )));
        }
        self.values.set(n);
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Budget<'_> {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Budget<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(v.into())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(v.into())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(v.into())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(v.into())
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(v.into())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.spend()?;
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.spend()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        self.spend()?;
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            // A repeated key: the last wins, as serde_json's own parse has it.
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

#[cfg(test)]
mod tests;
