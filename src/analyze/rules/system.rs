//! The machine around mdatp: free space where definitions land and on a directory mirror.

use super::prelude::*;

pub static DISK_SPACE_LOW: Rule = Rule {
    id: "disk-space-low",
    severity: "warning",
    meaning: "Little free space where an update must land: below 2 GB on a mounted-directory mirror (the size Microsoft documents for the mirror's download folder), or below 1 GiB under /var/opt/microsoft/mdatp on the endpoint (inferred: a package is 100–200 MB and is unpacked beside the current one).",
    fix: "Free space on that file system (or move the download folder) and run the update again.",
    basis: "Warning: the next update may not land, but the definitions in place still protect; a person frees space within a day. Documented for the mirror (about 2 GB, offline page); the endpoint's 1 GiB is inferred.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&DISK_SPACE_LOW];

const GIB: u64 = 1024 * 1024 * 1024;
/// Microsoft asks for 2 GB on the mirror.
const MIRROR_MIN: u64 = 2_000_000_000;
const ENDPOINT_MIN: u64 = GIB;

pub(super) fn disk_space(s: &Snapshot, out: &mut Vec<Finding>) {
    let checks = [
        (
            &s.endpoint.definitions_free,
            ENDPOINT_MIN,
            "where mdatp keeps its definitions",
        ),
        (
            &s.endpoint.mirror_free,
            MIRROR_MIN,
            "on the directory mirror",
        ),
    ];
    for (free, min, what) in checks {
        let Some((dir, bytes)) = free else { continue };
        if *bytes >= min {
            continue;
        }
        out.push(DISK_SPACE_LOW.raise(
            Severity::Warning,
            format!(
                "Only {} free {what} ({dir}); an update needs at least {}",
                mib(*bytes),
                mib(min)
            ),
            vec![Evidence::new(
                "system",
                format!("free space in {dir}"),
                format!("{bytes} bytes"),
            )],
            format!(
                "Free space in {dir} (or the file system it is on), then run the update again."
            ),
        ));
    }
}

fn mib(bytes: u64) -> String {
    if bytes >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB as f64)
    } else {
        format!("{} MiB", bytes / (1024 * 1024))
    }
}
