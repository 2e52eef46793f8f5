//! Who runs the downloader and what that user may write, and the SELinux type of the files a
//! local web server hands out. Parsers of /etc/passwd and /etc/group are pure; the readers
//! stat or read one path each, never following a symlink at its last component.

use std::path::{Path, PathBuf};

/// A local account as /etc/passwd and /etc/group describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (the `/etc/group` entries that list the user).
    pub groups: Vec<u32>,
}

/// Owner, group and mode of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perm {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub dir: bool,
}

/// The account `name` (or a numeric uid) from the texts of /etc/passwd and /etc/group.
pub fn account(name: &str, passwd: &str, group: &str) -> Option<Account> {
    let entry = passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 4 && (f[0] == name || f[2] == name)).then_some(f)
    })?;
    let uid = entry[2].parse().ok()?;
    let gid = entry[3].parse().ok()?;
    let user = entry[0];
    let groups = group
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            let listed = f.len() >= 4 && f[3].split(',').any(|m| m.trim() == user);
            listed.then(|| f[2].parse().ok()).flatten()
        })
        .collect();
    Some(Account {
        name: user.to_string(),
        uid,
        gid,
        groups,
    })
}

/// Whether `who` may create or replace files in a directory with `p` (write and search),
/// or write a file with `p`, by the classic owner/group/other bits. Root may always
/// (CAP_DAC_OVERRIDE); ACLs and read-only mounts are not looked at.
pub fn can_write(who: &Account, p: &Perm) -> bool {
    if who.uid == 0 {
        return true;
    }
    let need = if p.dir { 0o3 } else { 0o2 };
    let bits = if p.uid == who.uid {
        p.mode >> 6
    } else if p.gid == who.gid || who.groups.contains(&p.gid) {
        p.mode >> 3
    } else {
        p.mode
    };
    bits & need == need
}

/// The path itself when it exists, else its nearest existing ancestor (what `mkdir -p`
/// or a shell redirection would need to write into), with its permissions.
pub fn nearest_existing(path: &Path) -> Option<(PathBuf, Perm)> {
    use std::os::unix::fs::MetadataExt;
    let mut p = Some(path);
    while let Some(cur) = p {
        if let Ok(m) = std::fs::symlink_metadata(cur) {
            return Some((
                cur.to_path_buf(),
                Perm {
                    uid: m.uid(),
                    gid: m.gid(),
                    mode: m.mode() & 0o7777,
                    dir: m.is_dir(),
                },
            ));
        }
        p = cur.parent();
    }
    None
}

/// The type field of an SELinux context (`user:role:type:level`).
pub fn selinux_type(context: &str) -> Option<&str> {
    context
        .trim_end_matches('\0')
        .split(':')
        .nth(2)
        .filter(|t| !t.is_empty())
}

/// Types the SELinux policies let httpd and nginx (httpd_t) read.
pub const SERVABLE_TYPES: &[&str] = &[
    "httpd_sys_content_t",
    "httpd_sys_rw_content_t",
    "public_content_t",
    "public_content_rw_t",
];

/// The `security.selinux` attribute of `path` (not following a symlink): `Ok(None)` when
/// the file has none.
pub fn selinux_label(path: &Path) -> Result<Option<String>, String> {
    Ok(crate::system::xattr(path, c"security.selinux")
        .map_err(|e| e.to_string())?
        .map(|raw| {
            String::from_utf8_lossy(&raw)
                .trim_end_matches('\0')
                .to_string()
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        wdav:x:991:991::/var/lib/wdav:/sbin/nologin\n\
        broken:x:notanumber:1::/:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nwww-data:x:33:wdav,other\nwdav:x:991:\n";

    fn wdav() -> Account {
        account("wdav", PASSWD, GROUP).unwrap()
    }

    #[test]
    fn accounts_by_name_or_uid_with_their_groups() {
        assert_eq!(
            wdav(),
            Account {
                name: "wdav".into(),
                uid: 991,
                gid: 991,
                groups: vec![33]
            }
        );
        assert_eq!(account("991", PASSWD, GROUP).unwrap().name, "wdav");
        assert_eq!(account("nobody", PASSWD, GROUP), None);
        assert_eq!(account("broken", PASSWD, GROUP), None);
    }

    #[test]
    fn write_access_by_owner_group_and_other_bits() {
        let dir = |uid, gid, mode| Perm {
            uid,
            gid,
            mode,
            dir: true,
        };
        let w = wdav();
        assert!(can_write(&w, &dir(991, 0, 0o755)));
        assert!(!can_write(&w, &dir(0, 0, 0o755)));
        assert!(can_write(&w, &dir(0, 33, 0o775)), "a supplementary group");
        assert!(!can_write(&w, &dir(0, 33, 0o765)), "no search bit");
        assert!(can_write(&w, &dir(0, 0, 0o777)));
        // The owner's bits apply to the owner even when the others' would allow.
        assert!(!can_write(&w, &dir(991, 0, 0o577)));
        let file = Perm {
            uid: 0,
            gid: 991,
            mode: 0o620,
            dir: false,
        };
        assert!(can_write(&w, &file));
        let root = account("root", PASSWD, GROUP).unwrap();
        assert!(can_write(&root, &dir(991, 991, 0o500)));
    }

    #[test]
    fn selinux_types_from_contexts() {
        assert_eq!(
            selinux_type("system_u:object_r:httpd_sys_content_t:s0\0"),
            Some("httpd_sys_content_t")
        );
        assert_eq!(
            selinux_type("unconfined_u:object_r:user_home_t:s0:c0.c1023"),
            Some("user_home_t")
        );
        assert_eq!(selinux_type("garbage"), None);
    }

    #[test]
    fn a_file_without_the_attribute_has_no_label() {
        let f = tempfile::NamedTempFile::new().unwrap();
        // Without SELinux (and without root to set it) the attribute is absent.
        if let Ok(Some(l)) = selinux_label(f.path()) {
            assert!(selinux_type(&l).is_some(), "{l}");
        } else {
            assert_eq!(selinux_label(f.path()), Ok(None));
        }
        assert!(selinux_label(Path::new("/nonexistent/x")).is_err());
    }
}
