//! Gathering for `mirror check`: find the downloader's settings, then read the tree, the
//! log, the schedule and the install they point at. Every read is of one local file or
//! folder; nothing leaves the host here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::mirror_host::schedule::{self, ScheduleEntry};
use crate::mirror_host::stage::{self, Stage};
use crate::mirror_host::tree::{self, ArchState};
use crate::mirror_host::{
    InstallFacts, JobAccess, MirrorHostSnapshot, OnlineReading, SelinuxFacts, Serving,
    StageJournal, StagedRoot, WriteTarget, access, log, online, settings,
};

/// The script's file name, as Microsoft ships it.
pub const SCRIPT_NAME: &str = "xplat_offline_updates_download.sh";
/// Where the settings are looked for when neither --settings nor --folder is given
/// (inferred: where setup guides put the script).
pub const SETTINGS_CANDIDATES: &[&str] = &[
    "/opt/wdav-update/settings.json",
    "/opt/mdatp-offline-updates/settings.json",
    "/usr/local/bin/settings.json",
    "/root/settings.json",
];

#[derive(Debug, Clone)]
pub struct MirrorHostPlan {
    pub settings: Option<PathBuf>,
    pub folder: Option<PathBuf>,
    /// Prefix for the machine's own files (schedule, settings candidates); `/` normally.
    pub root: PathBuf,
    pub interval: Duration,
    /// `$HOME`, for the script's default download folder.
    pub home: Option<String>,
    /// The downloader script [default: next to settings.json].
    pub script: Option<PathBuf>,
    /// The ring folder URL endpoints use, to compare what is served with the disk.
    pub url: Option<String>,
    /// The whole probe of one architecture (download included).
    pub probe_timeout: Duration,
    /// `--online`: the fwlink base to ask (Microsoft's unless a test says otherwise).
    pub online: Option<String>,
    /// Nothing in the tree is read after this (`mirror run` bounds its checks by the run's
    /// deadline); what is not read by then is reported as not read.
    pub deadline: Option<Instant>,
}

/// The downloader's base URL (documented).
pub const FWLINK: &str = "https://go.microsoft.com/fwlink/";
/// Each info request is bounded by this.
pub const ONLINE_TIMEOUT: Duration = Duration::from_secs(15);

/// The PATH cron gives its jobs unless the crontab sets one (Debian's and cronie's default).
pub const CRON_PATH: &str = "/usr/bin:/bin";

/// The message of a settings file that was not found anywhere.
pub const NOT_FOUND: &str = "no settings.json found";

pub fn gather(plan: &MirrorHostPlan) -> MirrorHostSnapshot {
    let settings_path = plan.settings.clone().or_else(|| {
        if plan.folder.is_some() {
            return None;
        }
        SETTINGS_CANDIDATES
            .iter()
            .map(|c| plan.root.join(c.trim_start_matches('/')))
            .find(|p| p.exists())
    });
    let settings = match (&settings_path, &plan.folder) {
        (Some(p), _) => Some(read_settings(p)),
        (None, Some(_)) => None,
        (None, None) => Some(Err(format!(
            "{NOT_FOUND} (looked in {}); pass --settings PATH or --folder DIR",
            SETTINGS_CANDIDATES.join(", ")
        ))),
    };
    let ok = settings.as_ref().and_then(|s| s.as_ref().ok());
    let folder = plan
        .folder
        .clone()
        .or_else(|| ok.and_then(|s| s.folder(plan.home.as_deref())))
        .unwrap_or_default();
    let log_path = ok.map(|s| s.log());
    let slots = match ok {
        Some(s) => tree::slots(&s.platforms(), &s.rings(), s.backup.on()),
        None => tree::discover(&folder),
    };
    let folder_error = if folder.as_os_str().is_empty() {
        Some("not known".to_string())
    } else {
        std::fs::read_dir(&folder).err().map(|e| e.to_string())
    };
    // `--folder ROOT` of a staged mirror: every stage is read. Its production and back
    // folders are the tree's current and `_back` slots, read once for both.
    let staged = (plan.folder.is_some() && folder_error.is_none() && stage::is_staged(&folder))
        .then(|| read_staged(&folder, plan.deadline));
    let tree: Vec<ArchState> = if folder_error.is_some() {
        Vec::new()
    } else {
        slots
            .into_iter()
            .map(|s| {
                staged
                    .as_ref()
                    .and_then(|st| {
                        st.stages.iter().find(|a| {
                            matches!(a.stage, Stage::Production | Stage::Back) && a.state.slot == s
                        })
                    })
                    .map(|a| a.state.clone())
                    .unwrap_or_else(|| tree::inspect_until(&folder, s, plan.deadline))
            })
            .collect()
    };
    let log = log_path.as_ref().map(|p| log::read(p));
    let schedule = find_schedule(&plan.root, script_name(plan, settings_path.as_deref()));
    let install = install(plan, settings_path.as_deref());
    let serving = plan.url.as_ref().map(|u| {
        let disk = served_disk(u, &folder, &tree, plan.deadline);
        serve(u, disk, plan.probe_timeout)
    });
    let online = plan.online.as_ref().map(|base| ask_microsoft(base, &tree));
    let job = (!folder.as_os_str().is_empty())
        .then(|| job_access(&plan.root, &schedule, &folder, log_path.as_deref(), &tree));
    // What the web server hands out: the current rings, and a staged root's canary.
    let served: Vec<&ArchState> = tree
        .iter()
        .filter(|a| !a.slot.back)
        .chain(
            staged
                .iter()
                .flat_map(|st| &st.stages)
                .filter(|a| a.stage == Stage::Canary)
                .map(|a| &a.state),
        )
        .collect();
    let selinux = (!folder.as_os_str().is_empty()).then(|| selinux(&plan.root, &folder, &served));
    let mut statuses: Vec<crate::mirror_host::RingStatus> = Vec::new();
    for a in tree.iter().filter(|a| !a.slot.back) {
        if statuses
            .iter()
            .any(|r| r.platform == a.slot.platform && r.ring == a.slot.ring)
        {
            continue;
        }
        let path = folder.join(&a.slot.platform).join(&a.slot.ring);
        statuses.push(crate::mirror_host::RingStatus {
            platform: a.slot.platform.clone(),
            ring: a.slot.ring.clone(),
            status: crate::mirror_host::status::read(&path),
            path,
        });
    }
    // `--folder` without one arch folder in any layout: say what it holds instead.
    let no_arch = tree.is_empty() && staged.as_ref().is_none_or(|st| st.stages.is_empty());
    let folder_listing =
        (plan.folder.is_some() && folder_error.is_none() && no_arch).then(|| listing(&folder));
    MirrorHostSnapshot {
        folder_listing,
        hostname: crate::system::hostname(),
        statuses,
        staged,
        job,
        selinux,
        serving,
        online,
        settings_path,
        settings,
        folder_free: crate::system::free_bytes(&folder),
        folder_tmpfs: is_tmpfs(&folder),
        folder,
        folder_error,
        tree,
        log_path,
        log,
        schedule: Some(schedule),
        install,
        interval: plan.interval,
        now: SystemTime::now(),
        // SAFETY: getuid cannot fail.
        uid: unsafe { libc::getuid() },
    }
}

/// The names in `dir`, read without opening anything in it (a huge folder is counted up
/// to a cap).
fn listing(dir: &Path) -> crate::mirror_host::FolderListing {
    use crate::mirror_host::FolderListing;
    let mut l = FolderListing::default();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return l;
    };
    let mut names = Vec::new();
    for e in rd.flatten().take(FolderListing::COUNTED) {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        l.has_arch |= is_dir && tree::ARCHES.iter().any(|a| name == format!("arch_{a}"));
        l.has_ring |= is_dir && stage::RINGS.contains(&name.as_str());
        l.has_package |= name == tree::PACKAGE || name == tree::MANIFEST;
        names.push(name);
    }
    l.count = names.len();
    names.sort();
    names.truncate(FolderListing::SHOWN);
    l.names = names;
    l
}

/// Reads settings.json (at most 1 MiB; a FIFO or a device is refused, never waited on).
pub fn read_settings(path: &Path) -> Result<settings::Settings, String> {
    use std::io::Read;
    let (f, _) = tree::open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(1024 * 1024 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > 1024 * 1024 {
        return Err("larger than 1 MiB: not a settings file".into());
    }
    settings::parse(&bytes)
}

fn is_tmpfs(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs fills the struct we pass; the path is a valid C string.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    st.f_type as i64 == TMPFS_MAGIC
}

fn script_path(plan: &MirrorHostPlan, settings: Option<&Path>) -> Option<PathBuf> {
    plan.script
        .clone()
        .or_else(|| settings.and_then(Path::parent).map(|d| d.join(SCRIPT_NAME)))
}

fn script_name(plan: &MirrorHostPlan, settings: Option<&Path>) -> String {
    script_path(plan, settings)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| SCRIPT_NAME.into())
}

/// The script next to the settings (documented: it reads settings.json from its own
/// directory), and jq and curl on cron's PATH under `root`.
fn install(plan: &MirrorHostPlan, settings: Option<&Path>) -> Option<InstallFacts> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let script = script_path(plan, settings)?;
    let mut facts = InstallFacts {
        path: CRON_PATH.into(),
        ..InstallFacts::default()
    };
    let on_path = |tool: &str| {
        CRON_PATH
            .split(':')
            .map(|d| plan.root.join(d.trim_start_matches('/')).join(tool))
            .find(|p| {
                std::fs::metadata(p)
                    .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false)
            })
    };
    facts.jq = on_path("jq");
    facts.curl = on_path("curl");
    match tree::open_regular(&script) {
        Err(e) => facts.script_error = Some(e),
        Ok((f, meta)) => {
            facts.executable = meta.permissions().mode() & 0o111 != 0;
            let mut bytes = Vec::new();
            let _ = f.take(1024 * 1024).read_to_end(&mut bytes);
            facts.crlf = bytes.windows(2).any(|w| w == b"\r\n");
            let text = String::from_utf8_lossy(&bytes);
            facts.mentions_arm64 = text.contains("arm64");
            facts.version = text.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("scriptVersion=")
                    .map(|v| v.trim_matches('"').to_string())
            });
        }
    }
    facts.script = Some(script);
    Some(facts)
}

/// Every cron entry and systemd timer under `root` that runs the downloader.
fn find_schedule(root: &Path, script_name: String) -> Vec<ScheduleEntry> {
    let read = |p: &Path| -> Option<String> {
        use std::io::Read;
        let (f, _) = tree::open_regular(p).ok()?;
        let mut s = String::new();
        f.take(1024 * 1024).read_to_string(&mut s).ok()?;
        Some(s)
    };
    let list = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map(|it| it.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut out = Vec::new();
    let etc = root.join("etc");
    let mut system = vec![etc.join("crontab")];
    system.extend(list(&etc.join("cron.d")).into_iter().filter(|p| {
        // cron ignores names with dots (Debian) and backups.
        p.file_name()
            .is_some_and(|n| !n.to_string_lossy().contains(['.', '~']))
    }));
    for f in system {
        if let Some(text) = read(&f) {
            out.extend(schedule::parse_crontab(&f, &text, true));
        }
    }
    for dir in ["var/spool/cron", "var/spool/cron/crontabs"] {
        for f in list(&root.join(dir)).into_iter().filter(|p| p.is_file()) {
            if let Some(text) = read(&f) {
                let user = f.file_name().map(|n| n.to_string_lossy().into_owned());
                out.extend(
                    schedule::parse_crontab(&f, &text, false)
                        .into_iter()
                        .map(|mut e| {
                            e.user = user.clone();
                            e
                        }),
                );
            }
        }
    }
    let units = root.join("etc/systemd/system");
    for t in list(&units)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "timer"))
    {
        let Some(text) = read(&t) else { continue };
        let service = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Unit=").map(str::to_string))
            .unwrap_or_else(|| {
                t.file_stem()
                    .map(|s| format!("{}.service", s.to_string_lossy()))
                    .unwrap_or_default()
            });
        let service_text = read(&units.join(service));
        out.extend(schedule::parse_timer(&t, &text, service_text.as_deref()));
    }
    out.retain(|e| schedule::runs_downloader(&e.command, &script_name));
    out
}

/// What `url` should serve: the download tree, except where the download folder is a
/// staged root's `incoming/`, which no endpoint pulls: then the stage the URL names
/// (`…/canary/<platform>/<ring>/` the canary, anything else production).
fn served_disk(
    url: &str,
    folder: &Path,
    tree: &[ArchState],
    deadline: Option<std::time::Instant>,
) -> Vec<ArchState> {
    let staged_root = crate::mirror_host::stage::staged_root_of(folder);
    let Some(root) = staged_root else {
        return tree.to_vec();
    };
    let stage = if url.contains("/canary/") {
        Stage::Canary
    } else {
        Stage::Production
    };
    let mut out = Vec::new();
    for platform in crate::mirror_host::stage::PLATFORMS {
        for ring in crate::mirror_host::stage::RINGS {
            out.extend(
                crate::mirror_host::stage::read_ring(root, stage, platform, ring, deadline)
                    .into_iter()
                    .map(|a| a.state),
            );
        }
    }
    out
}

/// Probes `url` (a ring folder) for every arch whose package is on disk: manifest and the
/// whole package through the same prober `connectivity` uses, without a proxy (the check
/// runs on the mirror host).
fn serve(url: &str, disk: Vec<ArchState>, timeout: Duration) -> Serving {
    let tree = &disk;
    let checked = crate::mirror::url::check(url);
    let segs: Vec<&str> = url.trim_end_matches('/').rsplit('/').take(2).collect();
    let (platform, ring) = match segs[..] {
        [r, p] if ["linux", "mac"].contains(&p) && ["production", "preview"].contains(&r) => {
            (p.to_string(), r.to_string())
        }
        _ => ("linux".to_string(), "production".to_string()),
    };
    let mut serving = Serving {
        url: url.to_string(),
        platform,
        ring,
        disk: Vec::new(),
        probes: Vec::new(),
        error: None,
    };
    let Some(location) = checked.location else {
        serving.error = Some(format!("not a usable URL: {:?}", checked.problems));
        return serving;
    };
    let arches: Vec<&str> = tree
        .iter()
        .filter(|a| {
            !a.slot.back
                && a.slot.platform == serving.platform
                && a.slot.ring == serving.ring
                && matches!(a.package, Some(Ok(_)))
        })
        .map(|a| a.slot.arch.as_str())
        .collect();
    let trust = match crate::mirror::tls::Trust::load(&[] as &[PathBuf]) {
        Ok(t) => t,
        Err(e) => {
            serving.error = Some(e);
            return serving;
        }
    };
    let opts = crate::mirror::ProbeOptions {
        connect_timeout: Duration::from_secs(5).min(timeout),
        probe_timeout: timeout,
        proxy: None,
        trust,
        verify_package: true,
        max_package_bytes: tree::MAX_PACKAGE,
        // The serving check downloads the whole package within the same budget.
        package_timeout: timeout,
    };
    serving.probes = crate::mirror::probe_all(&location, &arches, &opts);
    serving.disk = disk;
    serving
}

/// The proxy curl would take from the environment for `url` (curl reads `https_proxy` or
/// `HTTPS_PROXY` for https, only lowercase `http_proxy` for http, then `all_proxy`).
pub fn env_proxy(url: &str, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let keys: &[&str] = if url.starts_with("https:") {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    };
    keys.iter().find_map(|k| env(k)).filter(|v| !v.is_empty())
}

/// Asks the fwlink once per current slot (never the package), one at a time, each
/// bounded by [`ONLINE_TIMEOUT`].
fn ask_microsoft(base: &str, tree: &[ArchState]) -> Vec<OnlineReading> {
    let tls = crate::mirror::tls::Trust::load(&[] as &[PathBuf]).and_then(|t| t.client_config());
    tree.iter()
        .filter(|a| !a.slot.back)
        .map(|a| {
            let url = online::info_url(base, &a.slot.platform, &a.slot.ring, &a.slot.arch);
            let proxy = env_proxy(&url, |k| std::env::var(k).ok());
            let result = match &tls {
                Ok(cfg) => online::fetch(&url, proxy.as_deref(), cfg.clone(), ONLINE_TIMEOUT),
                Err(e) => Err(e.clone()),
            };
            OnlineReading {
                platform: a.slot.platform.clone(),
                ring: a.slot.ring.clone(),
                arch: a.slot.arch.clone(),
                url,
                proxy,
                result,
            }
        })
        .collect()
}

/// At most this much of /etc/passwd or /etc/group is read.
const ACCOUNTS_MAX: u64 = 4 * 1024 * 1024;

fn read_small(path: &Path, max: u64) -> Option<String> {
    use std::io::Read;
    let (f, _) = tree::open_regular(path).ok()?;
    let mut s = String::new();
    f.take(max).read_to_string(&mut s).ok()?;
    Some(s)
}

/// The user the schedule runs the downloader as (its most frequent entry; root when none
/// says, as cron's /etc/crontab and systemd default to), and what that user can write:
/// the download folder, the arch folders in it and the log.
fn job_access(
    root: &Path,
    schedule: &[ScheduleEntry],
    folder: &Path,
    log_path: Option<&Path>,
    tree: &[ArchState],
) -> JobAccess {
    let entry = schedule
        .iter()
        .filter(|e| e.period.is_some())
        .min_by_key(|e| e.period)
        .or_else(|| schedule.first());
    let (user, source, assumed) = match entry {
        Some(e) => {
            let at = if e.line > 0 {
                format!("{}:{}", e.source.display(), e.line)
            } else {
                e.source.display().to_string()
            };
            match &e.user {
                Some(u) if !u.is_empty() => (u.clone(), at, false),
                _ => ("root".to_string(), format!("{at} names no user"), true),
            }
        }
        None => (
            "root".to_string(),
            "no cron entry or timer runs the downloader".to_string(),
            true,
        ),
    };
    let passwd = read_small(&root.join("etc/passwd"), ACCOUNTS_MAX).unwrap_or_default();
    let group = read_small(&root.join("etc/group"), ACCOUNTS_MAX).unwrap_or_default();
    // root is uid 0 whatever /etc/passwd says (or when it cannot be read).
    let account = access::account(&user, &passwd, &group).or_else(|| {
        (user == "root").then(|| access::Account {
            name: user.clone(),
            uid: 0,
            gid: 0,
            groups: Vec::new(),
        })
    });
    let mut targets = vec![WriteTarget {
        what: "downloadFolder".into(),
        path: folder.to_path_buf(),
        checked: access::nearest_existing(folder),
    }];
    for a in tree.iter().filter(|a| a.dir_exists) {
        targets.push(WriteTarget {
            what: a.slot.rel().display().to_string(),
            path: a.path.clone(),
            checked: access::nearest_existing(&a.path),
        });
    }
    if let Some(log) = log_path {
        targets.push(WriteTarget {
            what: "logFilePath".into(),
            path: log.to_path_buf(),
            checked: access::nearest_existing(log),
        });
    }
    JobAccess {
        user,
        source,
        assumed,
        account,
        targets,
    }
}

/// Every stage of the staged root `root` (nothing read after `deadline`), and its journal.
fn read_staged(root: &Path, deadline: Option<Instant>) -> StagedRoot {
    StagedRoot {
        stages: stage::read_all(root, deadline),
        journal: read_journal(root),
    }
}

/// The journal of a step in progress or killed, when there is one: its time and, as far as
/// it can be read, what the step was doing. It is mdatp-doctor's own file; a journal that
/// cannot be read is still reported as present.
fn read_journal(root: &Path) -> Option<StageJournal> {
    use std::io::Read;
    const MAX: u64 = 64 * 1024;
    let path = root.join(stage::JOURNAL);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let mut j = StageJournal {
        path: path.clone(),
        modified: meta.modified().ok(),
        ..StageJournal::default()
    };
    let value = tree::open_regular(&path).and_then(|(f, _)| {
        let mut bytes = Vec::new();
        f.take(MAX + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > MAX {
            return Err(format!("larger than {MAX} bytes"));
        }
        serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|e| format!("not JSON: {e}"))
    });
    match value {
        Err(e) => j.error = Some(e),
        Ok(v) => {
            // Shown in titles: a few hundred characters at most, whatever the file holds.
            let short = |t: &str| t.chars().take(256).collect::<String>();
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(short);
            j.op = text("op");
            j.to_version = text("to_version");
            let ring: Option<Vec<&str>> = v
                .get("ring")
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|n| n.as_str()).collect());
            j.folder = match (ring, text("arch")) {
                (Some(r), Some(a)) => Some(short(&format!("{}/{a}", r.join("/")))),
                (None, a) => a,
                (Some(r), None) => Some(short(&r.join("/"))),
            };
        }
    }
    Some(j)
}

/// Where a local web server's binary is looked for (the distributions' packages).
const WEB_SERVERS: &[&str] = &[
    "usr/sbin/nginx",
    "usr/sbin/httpd",
    "usr/sbin/apache2",
    "usr/bin/nginx",
];

/// SELinux's mode, and when it enforces and a local web server is installed, the labels
/// of what that server would hand out: the folder, each served arch folder and its files.
fn selinux(root: &Path, folder: &Path, served: &[&ArchState]) -> SelinuxFacts {
    let enforcing =
        read_small(&root.join("sys/fs/selinux/enforce"), 16).is_some_and(|s| s.trim() == "1");
    let server = WEB_SERVERS
        .iter()
        .map(|s| root.join(s))
        .find(|p| p.is_file());
    let mut labels = Vec::new();
    if enforcing && server.is_some() {
        let mut paths = vec![folder.to_path_buf()];
        for a in served.iter().filter(|a| a.dir_exists) {
            paths.push(a.path.clone());
            for f in [tree::PACKAGE, tree::MANIFEST] {
                let p = a.path.join(f);
                if std::fs::symlink_metadata(&p).is_ok() {
                    paths.push(p);
                }
            }
        }
        labels = paths
            .into_iter()
            .map(|p| {
                let l = access::selinux_label(&p);
                (p, l)
            })
            .collect();
    }
    SelinuxFacts {
        enforcing,
        server,
        labels,
    }
}
