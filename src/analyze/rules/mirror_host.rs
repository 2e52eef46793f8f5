//! The mirror host (`mirror check`): the downloader's settings, its last run, and the tree
//! it leaves. Facts marked "documented" come from Microsoft's script 0.0.2 and its
//! settings.json (microsoft/mdatp-xplat, linux/definition_downloader); "inferred" ones are
//! our reading of what follows from them.

use std::path::Path;
use std::time::SystemTime;

use super::prelude::*;
use crate::mirror_host::stage::{Stage, StageArch};
use crate::mirror_host::tree::{ArchState, PackageState};
use crate::mirror_host::{MirrorHostSnapshot, StagedRoot, access, settings};

pub static SETTINGS_UNREADABLE: Rule = Rule {
    id: "mirror-host-settings-unreadable",
    severity: "critical (unknown when only unreadable by this user)",
    meaning: "The downloader's settings.json is missing, unreadable or not a JSON object. Documented: the script exits 0 without a word in its log when settings.json is missing, and an invalid file makes it do nothing, so cron never notices.",
    fix: "Put a valid settings.json next to xplat_offline_updates_download.sh (the script reads it from its own directory), or pass --settings PATH.",
    basis: "Critical: the downloader then does nothing and says nothing, so the fleet gets no new package; unknown when only this user cannot read it, or none was found where looked: the tool cannot judge it. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static SETTINGS_KEY_UNKNOWN: Rule = Rule {
    id: "mirror-host-settings-key-unknown",
    severity: "warning",
    meaning: "settings.json has a key the script does not read (documented keys: downloadFolder, downloadLinuxUpdates, downloadMacUpdates, downloadPreviewUpdates, backupPreviousUpdates, logFilePath). A misspelt key is silently ignored and its default (false, or the /tmp path) applies.",
    fix: "Rename the key to the documented spelling (the finding names the closest one).",
    basis: "Warning: the misspelt setting takes its default, for a person to correct within a day; a switch that leaves nothing to download is mirror-host-no-platform. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static SETTINGS_NOT_BOOLEAN: Rule = Rule {
    id: "mirror-host-settings-not-boolean",
    severity: "warning",
    meaning: "A download switch is not a JSON boolean. Documented: the script compares the text `jq -r` prints with `true`, so \"yes\", 1 or \"True\" mean off; the string \"true\" happens to work.",
    fix: "Write the switch as a JSON boolean: true or false, without quotes.",
    basis: "Warning: the switch reads as off (or works by chance), for a person to fix within a day; no platform at all is mirror-host-no-platform. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static NO_PLATFORM: Rule = Rule {
    id: "mirror-host-no-platform",
    severity: "critical",
    meaning: "Neither downloadLinuxUpdates nor downloadMacUpdates is on: the script downloads nothing and still logs `Script completed.` (documented: absent switches mean false).",
    fix: "Set \"downloadLinuxUpdates\": true (and downloadMacUpdates for macOS endpoints) in settings.json.",
    basis: "Critical: the downloader fetches nothing, so the fleet gets no new package. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static FOLDER_VOLATILE: Rule = Rule {
    id: "mirror-host-folder-volatile",
    severity: "warning",
    meaning: "downloadFolder or logFilePath is relative, under /tmp or on tmpfs. Documented: the shipped settings.json puts both under /tmp. Inferred: /tmp is a tmpfs on current Fedora and Debian 13 and is cleaned at boot, so the mirror and the log vanish after a reboot; a relative path depends on cron's working directory.",
    fix: "Move downloadFolder to persistent storage (e.g. /srv/wdav-update) and logFilePath to /var/log, then run the downloader once.",
    basis: "Warning: the mirror works until a reboot wipes it; a person moves it within a day. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static FOLDER_SPACE: Rule = Rule {
    id: "mirror-host-folder-space",
    severity: "warning",
    meaning: "Less than 2 GB free where the downloader writes (documented: Microsoft asks for 2 GB on the mirror's download folder).",
    fix: "Free space on that file system or move downloadFolder.",
    basis: "Warning: the next download may not fit, but the current package is still served; a person frees space within a day. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static FOLDER_UNREADABLE: Rule = Rule {
    id: "mirror-host-folder-unreadable",
    severity: "critical (unknown when only unreadable by this user)",
    meaning: "The download folder does not exist or cannot be read: the mirror serves nothing, or this check cannot see what it serves.",
    fix: "Run the downloader once (it creates the folder), or run mirror check as the user that owns it.",
    basis: "Critical: a download folder that does not exist or cannot be read serves the fleet no package; unknown when only this user cannot read it: the tool cannot judge what it serves. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static NO_PACKAGE: Rule = Rule {
    id: "mirror-host-no-package",
    severity: "critical",
    meaning: "`mirror check --folder DIR` found no arch folder in any layout it reads: neither the downloader's tree (DIR/<platform>/<ring>[_back]/arch_<arch>/, platform linux or mac, ring production or preview) nor a staged root's (DIR/incoming/ or DIR/canary/ holding the same tree). DIR is empty, or is not a download folder: a ring, platform or arch folder, or an unrelated directory. The finding names the paths looked for and what DIR holds.",
    fix: "Pass the download folder (downloadFolder in settings.json: the folder that holds linux/), or --settings PATH; if DIR is that folder, run the downloader (or `mdatp-doctor mirror run`).",
    basis: "Critical: nothing in the folder checked would hand the fleet a package, so a mirror served from it gives the fleet none. Inferred: the layouts are the ones the downloader (xplat_offline_updates_download.sh 0.0.2) writes and mirror promote builds; a folder holding neither serves endpoints only 404s.",
};
pub static PACKAGE_MISSING: Rule = Rule {
    id: "mirror-host-package-missing",
    severity: "critical",
    meaning: "An arch folder the settings call for has no updates.zip, or has a manifest.json without the package or the reverse. Documented: when manifest.json exists but updates.zip was deleted, the script never fetches the package again; a run that failed leaves folders without packages.",
    fix: "Delete the arch folder's manifest.json and run the downloader (or `mdatp-doctor mirror run`) again.",
    basis: "Critical: without updates.zip the fleet gets no package, and a manifest left alone stops the script from fetching it again; a package without its manifest is a run that did not finish. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static PACKAGE_BAD: Rule = Rule {
    id: "mirror-host-package-bad",
    severity: "critical (unknown when only unreadable by this user)",
    meaning: "updates.zip is not a complete zip archive: an HTML page, empty, truncated, or an entry fails its CRC. Documented: the script runs curl without -f, so a proxy's error page is saved as the package and the run still says `Script completed.` (exit 0). Endpoints fail to install it and fall back or stay stale.",
    fix: "Let the downloader reach go.microsoft.com and definitionupdates.microsoft.com (proxy rules), then rerun it; `mdatp-doctor mirror run` keeps the last good package.",
    basis: "Critical: the fleet would be handed a bad package (an error page, empty, truncated, failing its CRC); unknown when only this user cannot read it. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static MANIFEST_BAD: Rule = Rule {
    id: "mirror-host-manifest-bad",
    severity: "critical (unknown when only unreadable by this user)",
    meaning: "manifest.json is missing, unreadable, not JSON, or has an empty EngineVersion/DefinitionVersion. Documented: the versions are scraped from the fwlink's `&action=info` XML; when that returned a proxy page both are \"\".",
    fix: "Rerun the downloader once the fwlink is reachable; check the proxy cron's environment gives curl.",
    basis: "Critical: a manifest the downloader could not fill means its run reached a proxy or error page, not Microsoft, so the package beside it is bad, missing or not renewed; unknown when only this user cannot read it. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static LEFTOVERS: Rule = Rule {
    id: "mirror-host-leftovers",
    severity: "warning",
    meaning: "updates.zip_temp or manifest.xml remain in an arch folder. Documented: the script downloads to these names and removes them at the end, and a failed run removes them itself (handle_error deletes both), so only a run that was killed (timeout, OOM, reboot) leaves them.",
    fix: "Find what killed the last run (a cron timeout, the OOM killer, a reboot), remove the leftovers and rerun the downloader.",
    basis: "Warning: a killed run left files behind, but the package served is the one before it; a person finds what killed the run within a day. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static PACKAGE_OLD: Rule = Rule {
    id: "mirror-host-package-old",
    severity: "warning, critical after 3 days",
    meaning: "The package is older than 24 h or twice the endpoints' update interval, whichever is larger. Inferred: Microsoft publishes definitions several times a day and the script replaces the package whenever the version changes, so an old package means the downloader is not running or not succeeding.",
    fix: "Check the schedule and the last run (`mirror check` lists both), then run the downloader by hand and read its output.",
    basis: "Warning: past 24 h (or twice the interval) the fleet still gets a package, but a person checks the downloader within a day; critical after 3 days, when endpoints that take it are past the default critical age. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static BACKUP_BAD: Rule = Rule {
    id: "mirror-host-backup-bad",
    severity: "warning",
    meaning: "backupPreviousUpdates is on but <ring>_back has no package, or its version is at or above the current one. Documented: a run that fails after the backup copy leaves _back equal to the current version, so n-1 is lost.",
    fix: "Keep the last good package somewhere else until the next good run refreshes _back; `mirror run` snapshots each arch folder before the script runs.",
    basis: "Warning: the current package is served, only the n-1 to roll back to is lost; a person keeps a good copy within a day. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static NOT_WORLD_READABLE: Rule = Rule {
    id: "mirror-host-not-world-readable",
    severity: "critical",
    meaning: "A package, manifest or folder on the mirror is not readable (or a folder not searchable) by other users. Inferred: the web server runs as its own user, so it answers 403 and endpoints cannot update.",
    fix: "chmod o+r the files and o+rx the folders (or run the downloader with umask 022).",
    basis: "Critical: a web server running as its own user answers 403, so the fleet gets no package. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static LOG_UNREADABLE: Rule = Rule {
    id: "mirror-host-log-unreadable",
    severity: "unknown",
    meaning: "The downloader's log (logFilePath; documented default /tmp/mdatp_offline_updates.log) is missing or unreadable, so the last run cannot be judged. The script creates it on its first run.",
    fix: "Run the check as the user that runs the downloader, or point logFilePath at a persistent, readable file.",
    basis: "Unknown: without the log the last run cannot be judged, and what could not be read is never reported as OK. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static RUN_UNFINISHED: Rule = Rule {
    id: "mirror-host-run-unfinished",
    severity: "critical",
    meaning: "The log's last `Script started.` has no `Script completed.` after it. Documented: every failure (curl error, fwlink down) ends the script there, with exit status 0, and its `Error (N):` line goes to stdout only; the first failure skips every remaining arch, ring and platform.",
    fix: "Run the downloader by hand (or through `mdatp-doctor mirror run`, which keeps its output) and fix the error it prints.",
    basis: "Critical: the last run stopped at its first failure, skipping every remaining arch, ring and platform, and exited 0, so the fleet gets no new package until someone fixes it. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static RUN_OLD: Rule = Rule {
    id: "mirror-host-run-old",
    severity: "warning",
    meaning: "The last completed run is older than twice the endpoints' update interval, or the log shows none. Inferred: the schedule stopped or runs less often than endpoints poll.",
    fix: "Check the cron entry or timer that runs the downloader; make it run at least as often as definitionUpdatesInterval.",
    basis: "Warning: the schedule stopped or runs too seldom, but the package served may still be current (mirror-host-package-old grades its age); a person checks within a day. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static RUN_ERRORS: Rule = Rule {
    id: "mirror-host-run-errors",
    severity: "warning",
    meaning: "The log holds `Error (N): …` lines. The script writes them to stdout only; they are in the log when a wrapper appends the output there. N is not curl's exit status: the script calls `handle_error $?` inside `if ! curl …`, where `$?` is the negation's 0, so curl failures read `Error (0)`.",
    fix: "Run the downloader by hand and read curl's own message; check the proxy and that go.microsoft.com is reachable.",
    basis: "Warning: the run that logged them still completed, so the package may be current; a person reads the errors within a day. Inferred from how real mirror setups fail; the meaning says why.",
};

pub static SCHEDULE_MISSING: Rule = Rule {
    id: "mirror-host-schedule-missing",
    severity: "warning",
    meaning: "No cron entry (/etc/crontab, /etc/cron.d, user crontabs readable by this user) and no systemd timer in /etc/systemd/system runs the downloader. Documented: script 0.0.2 cannot create a scheduled task itself. Inferred: without one the mirror stops at its last download; a crontab this user cannot read is not seen.",
    fix: "Add a cron line or timer that runs the script (or `mdatp-doctor mirror run`) at least as often as definitionUpdatesInterval; see \"On the mirror host\" in the README.",
    basis: "Warning: the mirror stops at its last download but still serves it, and a crontab this user cannot read is not seen; a person checks within a day, and mirror-host-package-old grades the age. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static SCHEDULE_SLOW: Rule = Rule {
    id: "mirror-host-schedule-slow",
    severity: "warning",
    meaning: "The schedule that runs the downloader leaves gaps longer than the endpoints' definitionUpdatesInterval (--interval, 8 h by default as documented for mdatp), so endpoints poll a mirror that is behind.",
    fix: "Run the downloader at least as often as the endpoints poll, e.g. `0 */4 * * *`.",
    basis: "Warning: endpoints poll a mirror that is behind but still get a package; a person shortens the schedule within a day. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static SCRIPT_PROBLEM: Rule = Rule {
    id: "mirror-host-script-problem",
    severity: "critical (warning when only not executable or not found)",
    meaning: "The downloader script next to settings.json is missing, not executable, or has CRLF line endings. Documented: the script reads settings.json from its own directory. Inferred: a script saved with CRLF (edited on Windows) fails at its first line; one without the execute bit fails when cron calls it by path.",
    fix: "Put xplat_offline_updates_download.sh next to settings.json, convert it with `sed -i 's/\\r$//'` and chmod 755 it.",
    basis: "Critical: a script with CRLF line endings cannot run at all, so the fleet gets no new package; warning when it is only not executable (a cron line may run it through bash) or not found where looked (it may live elsewhere): a person checks within a day. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static TOOL_MISSING: Rule = Rule {
    id: "mirror-host-tool-missing",
    severity: "critical",
    meaning: "jq or curl is not on the PATH cron gives its jobs (/usr/bin:/bin). Documented: the script needs both and exits 0 when either is missing, so the failure is silent.",
    fix: "Install them (apt-get install curl jq, or dnf install curl jq).",
    basis: "Critical: without jq or curl the script exits 0 without downloading, so the fleet gets no new package. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};

pub static SERVING_MISMATCH: Rule = Rule {
    id: "mirror-host-serving-mismatch",
    severity: "critical (unknown when the URL cannot be probed or nothing on disk can be compared)",
    meaning: "What the web server hands out at --url is not what the downloader left on disk: a request fails (403 from file modes or SELinux labels, 404 from another docroot or nginx's default_server), or the package's size/SHA-256 or the manifest's versions differ. Inferred from real mirror setups; endpoints see only what is served.",
    fix: "Point the docroot at downloadFolder (URL ending at the ring folder), make the files world-readable (httpd_sys_content_t under SELinux), then run mirror check --url again.",
    basis: "Critical: endpoints see only what is served, and what is served fails or differs from the package on disk, so the fleet gets no package or another one; unknown when the URL cannot be probed or nothing on disk can be compared. Inferred from how real mirror setups fail; the meaning says why.",
};

pub static BEHIND_MICROSOFT: Rule = Rule {
    id: "mirror-host-behind-microsoft",
    severity: "warning",
    meaning: "--online: Microsoft's fwlink (`&action=info`, documented as what the downloader reads its versions from) publishes newer definitions than the mirror's manifest.json holds, or the fwlink cannot be reached from the mirror host through the proxy in its environment (then the downloader fails the same way). Since 2026 the mirror must also reach definitionupdates.microsoft.com.",
    fix: "Run the downloader now; if it cannot reach the fwlink, allow go.microsoft.com and definitionupdates.microsoft.com through the proxy and give cron the proxy variables.",
    basis: "Warning: the mirror is behind Microsoft, or cannot reach it, but still serves its package; a person runs the downloader within a day, and mirror-host-package-old grades the age. Inferred from how real mirror setups fail; the meaning says why.",
};

pub static NOT_WRITABLE: Rule = Rule {
    id: "mirror-host-not-writable",
    severity: "critical (log only: warning; user unknown: unknown)",
    meaning: "The user the schedule runs the downloader as (root when none names one) cannot write the download folder, an arch folder in it or the log (for a missing one, the nearest directory above). Documented: the script exits 0 when a write fails, so the run looks fine while the mirror stays as it was. Inferred from owner/group/other bits; ACLs and read-only mounts are not read.",
    fix: "chown the download folder (and the log) to the user that runs the downloader, or run the job as their owner.",
    basis: "Critical: every run fails to write the package and still exits 0, so the fleet gets no new package; warning when only the log is not writable: runs leave no trace, but packages still arrive; unknown when the user is not in /etc/passwd: what it may write cannot be told. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};
pub static LOG_OWNER: Rule = Rule {
    id: "mirror-host-log-owner",
    severity: "info",
    meaning: "The downloader's log belongs to another user than the (non-root) one the schedule runs it as, who can still write it. Inferred: typically left by a run by hand as root; harmless while that user can still append, but the runs in it may not be the scheduled ones.",
    fix: "chown the log to the user that runs the downloader.",
    basis: "Info: context: the user can still write the log, so nothing fails; the owner only hints at a run by hand. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static SELINUX_LABEL: Rule = Rule {
    id: "mirror-host-selinux-label",
    severity: "critical",
    meaning: "SELinux enforces (/sys/fs/selinux/enforce is 1), a local nginx or httpd is installed, and files it would serve lack a type httpd may read (httpd_sys_content_t, public_content_t or their _rw_ forms). Inferred from real setups: files moved from /tmp or a home keep their type, a relabel without a file-context rule resets it: the server answers 403 though modes are right.",
    fix: "semanage fcontext -a -t httpd_sys_content_t '<folder>(/.*)?' && restorecon -R <folder>",
    basis: "Critical: the web server answers 403 for these files, so the fleet gets no package. Inferred from how real mirror setups fail; the meaning says why.",
};
pub static SCRIPT_NO_ARM64: Rule = Rule {
    id: "mirror-host-script-outdated",
    severity: "warning",
    meaning: "The downloader script never mentions arm64, so it fetches no arm64 packages and arm64 endpoints get nothing. Documented: Linux ARM64 is in production and the downloader has supported arm64 since November 2024 (0.0.2 asks for `&arch=arm64`); which version added it is not documented, so the script's text is read, not its version.",
    fix: "Replace the script with the current xplat_offline_updates_download.sh from microsoft/mdatp-xplat (linux/definition_downloader).",
    basis: "Warning: x86_64 endpoints are still served, and whether the fleet has arm64 endpoints is not known here, so a person checks within a day. Documented: xplat_offline_updates_download.sh 0.0.2 and its settings.json (microsoft/mdatp-xplat), read in full; the meaning marks what is inferred.",
};

pub static STAGE_INTERRUPTED: Rule = Rule {
    id: "mirror-stage-interrupted",
    severity: "warning (info while the journal is under 15 minutes old)",
    meaning: "A staged root (`mirror promote`, `mirror rollback`) holds .mdatp-doctor-journal.json: a step was killed (or is still running). The step writes it just before it swaps a new arch folder in and removes it once the previous folder is in `<ring>_back`, so every folder served is whole, but the rollback copy may not be in place yet and a folder built aside still takes space. The next promote or rollback finishes the step (the swap happened) or undoes it (it did not) before anything else.",
    fix: "Run `mdatp-doctor mirror promote --root ROOT --to canary` (it settles the step first, then stages only a verified newer incoming package); find what killed the step.",
    basis: "Warning: nothing served is broken (the swap is one rename), but the rollback copy may be missing until a person runs the next step, within a day; info while the journal is under 15 minutes old, since a step in progress holds one too. This tool's own staging (src/mirror_host/stage.rs) writes the journal before the swap and removes it last.",
};
pub static STAGE_CANARY_BAD: Rule = Rule {
    id: "mirror-stage-canary-bad",
    severity: "critical (unknown when only unreadable by this user)",
    meaning: "A canary arch folder of a staged root (`canary/<platform>/<ring>/arch_<arch>`) is not fit to serve: updates.zip missing, not a complete zip or failing a CRC, or manifest.json missing, unreadable or without versions. `mirror promote` only stages verified packages, so it was changed by hand or on disk; canary endpoints pull it and fail, and `mirror promote --to production` refuses it.",
    fix: "Run the downloader into ROOT/incoming and `mdatp-doctor mirror promote --root ROOT --to canary` (it replaces a bad canary with any good package), or remove the folder.",
    basis: "Critical: the canary endpoints are handed a bad package or none, and production cannot move on; unknown when only this user cannot read it. Inferred: the canary ring is served like any ring folder, and this tool's promote refuses what this rule flags (the same check, src/mirror_host/stage.rs).",
};
pub static STAGE_CANARY_BEHIND: Rule = Rule {
    id: "mirror-stage-canary-behind",
    severity: "info",
    meaning: "A staged root's incoming/ holds a verified package newer than the canary serves (or the canary has none for that arch): the downloader got it, `mirror promote --to canary` has not run since (`mirror run --promote-canary` runs it after each good download).",
    fix: "Run `mdatp-doctor mirror promote --root ROOT --to canary`, or add --promote-canary to the `mirror run` schedule.",
    basis: "Info: context: the canary is a deliberate delay and still serves its package, and production's age is graded by mirror-host-package-old. Inferred from this tool's staging: promote compares the same versions.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &SETTINGS_UNREADABLE,
    &SETTINGS_KEY_UNKNOWN,
    &SETTINGS_NOT_BOOLEAN,
    &NO_PLATFORM,
    &FOLDER_VOLATILE,
    &FOLDER_SPACE,
    &FOLDER_UNREADABLE,
    &NO_PACKAGE,
    &PACKAGE_MISSING,
    &PACKAGE_BAD,
    &MANIFEST_BAD,
    &LEFTOVERS,
    &PACKAGE_OLD,
    &BACKUP_BAD,
    &NOT_WORLD_READABLE,
    &LOG_UNREADABLE,
    &RUN_UNFINISHED,
    &RUN_OLD,
    &RUN_ERRORS,
    &SCHEDULE_MISSING,
    &SCHEDULE_SLOW,
    &SCRIPT_PROBLEM,
    &TOOL_MISSING,
    &SERVING_MISMATCH,
    &STATUS_STALE,
    &SYNC_FAILED,
    &BEHIND_MICROSOFT,
    &NOT_WRITABLE,
    &LOG_OWNER,
    &SELINUX_LABEL,
    &SCRIPT_NO_ARM64,
    &STAGE_INTERRUPTED,
    &STAGE_CANARY_BAD,
    &STAGE_CANARY_BEHIND,
];

const DAY: Duration = Duration::from_secs(86_400);
const MIRROR_MIN_FREE: u64 = 2_000_000_000;

pub static STATUS_STALE: Rule = Rule {
    id: "mirror-host-status-stale",
    severity: "warning",
    meaning: "mdatp-doctor-status.json, which mirror run writes beside the packages so that endpoints can tell how fresh the mirror is (issue 28), does not describe what the ring folder serves: it names another package (size or SHA-256) or another version, cannot be read, or is missing where other ring folders have one. A download run outside mirror run (the script straight from cron) leaves it behind. Nothing is raised when no ring folder has one (mirror run is not in use).",
    fix: "Run the downloader through mdatp-doctor mirror run (its cron line or the shipped timer), which rewrites the file after every run, good or bad.",
    basis: "Warning: endpoints read a sync history that is not this package's and may predict staleness wrongly, while the package itself is fine; a person fixes the cron line within a day. Inferred: the file is mdatp-doctor's own.",
};

pub static SYNC_FAILED: Rule = Rule {
    id: "mirror-host-sync-failed",
    severity: "warning",
    meaning: "The last sync of a ring folder failed, by its mdatp-doctor-status.json (mirror run writes it after every run, good or bad): the downloader could not fetch or check a new package. mirror run puts the last good package back, so the tree itself looks whole and the downloader's log may show no error (a proxy's block page saved as updates.zip ends the script with `Script completed.`); only the status file remembers the failure.",
    fix: "Read the error it names (also in mirror run's output and event log), fix the proxy or the path to go.microsoft.com, then run `mdatp-doctor mirror run` again.",
    basis: "Warning: the folder still serves its last good package, so endpoints keep updating from it, and mirror-host-package-old grades its age; a person fixes the sync within a day. Inferred: the file is mdatp-doctor's own.",
};

fn status_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let any = s.statuses.iter().any(|r| r.status.is_some());
    for r in &s.statuses {
        if let Some(Ok(st)) = &r.status
            && let Some(a) = st.last_attempt.as_ref().filter(|a| !a.ok)
        {
            let error = a.error.as_deref().unwrap_or("no error recorded");
            let since = match &st.last_success {
                Some(t) => format!("; the last good sync was at {t}"),
                None => "; no sync has worked yet".to_string(),
            };
            out.push(SYNC_FAILED.raise(
                Severity::Warning,
                format!(
                    "The last sync of {}/{} (at {}) failed: {error}{since}",
                    r.platform, r.ring, a.at
                ),
                vec![
                    ev(
                        "status",
                        r.path
                            .join(crate::mirror::status::STATUS_FILE)
                            .display()
                            .to_string(),
                        format!("last_attempt.ok false at {}", a.at),
                    ),
                    ev("status", "last_attempt.error", error),
                ],
                SYNC_FAILED.fix.to_string(),
            ));
        }
        let shown = r.path.join(crate::mirror::status::STATUS_FILE);
        let shown = shown.display().to_string();
        let why = match &r.status {
            None if any => Some("missing, while other ring folders have one".to_string()),
            // No ring folder has one: mirror run is not in use; nothing is wrong with
            // what is served.
            None => None,
            Some(Err(e)) => Some(format!("cannot be read: {e}")),
            Some(Ok(st)) => s
                .tree
                .iter()
                .filter(|a| {
                    !a.slot.back && a.slot.platform == r.platform && a.slot.ring == r.ring
                })
                .find_map(|a| {
                    let disk = crate::mirror_host::status::arch_status(a)?;
                    match st.arch.get(&a.slot.arch) {
                        None => Some(format!("says nothing of arch_{}", a.slot.arch)),
                        Some(said) if said.package_sha256 != disk.package_sha256
                            || said.definition_version != disk.definition_version =>
                        {
                            Some(format!(
                                "describes {} (sha256 {}) for arch_{}, the folder holds {} (sha256 {})",
                                said.definition_version,
                                said.package_sha256,
                                a.slot.arch,
                                disk.definition_version,
                                disk.package_sha256
                            ))
                        }
                        Some(_) => None,
                    }
                }),
        };
        if let Some(why) = why {
            out.push(STATUS_STALE.raise(
                Severity::Warning,
                format!(
                    "The status file of {}/{} is not this package's: {why}",
                    r.platform, r.ring
                ),
                vec![ev("status", shown, why.as_str())],
                STATUS_STALE.fix.to_string(),
            ));
        }
    }
}

/// Every mirror-host finding, most severe first.
pub fn check(s: &MirrorHostSnapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    settings_findings(s, &mut out);
    folder_findings(s, &mut out);
    no_package_findings(s, &mut out);
    for a in &s.tree {
        arch_findings(s, a, &mut out);
    }
    backup_findings(s, &mut out);
    log_findings(s, &mut out);
    schedule_findings(s, &mut out);
    install_findings(s, &mut out);
    serving_findings(s, &mut out);
    online_findings(s, &mut out);
    access_findings(s, &mut out);
    selinux_findings(s, &mut out);
    status_findings(s, &mut out);
    if let Some(st) = &s.staged {
        stage_findings(s, st, &mut out);
    }
    super::finding::sort(&mut out);
    out
}

fn ev(source: &str, key: impl Into<String>, value: impl Into<String>) -> Evidence {
    Evidence::new(source, key, value)
}

/// Unreadable by this user, or not found where looked: the state is unknown, not bad.
fn denied(e: &str) -> bool {
    e.contains("ermission denied") || e.starts_with("no settings.json found")
}

fn settings_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let path = s
        .settings_path
        .as_ref()
        .map_or_else(|| "settings.json".into(), |p| p.display().to_string());
    let Some(settings) = &s.settings else { return };
    let st = match settings {
        Err(e) => {
            let sev = if denied(e) {
                Severity::Unknown
            } else {
                Severity::Critical
            };
            out.push(SETTINGS_UNREADABLE.raise(
                sev,
                format!("The downloader's settings cannot be read ({e}): the script would exit 0 and do nothing"),
                vec![ev("file", path, e.as_str())],
                "Put a valid settings.json next to the script (or pass --settings PATH).".into(),
            ));
            return;
        }
        Ok(st) => st,
    };
    for (key, near) in &st.unknown_keys {
        let hint = near.map_or(String::new(), |n| format!(" (did you mean {n}?)"));
        out.push(SETTINGS_KEY_UNKNOWN.raise(
            Severity::Warning,
            format!("settings.json has the key {key}, which the script ignores{hint}"),
            vec![ev("file", format!("{path}: {key}"), "unknown key")],
            near.map_or_else(
                || format!("Remove {key} from {path}."),
                |n| format!("Rename {key} to {n} in {path}."),
            ),
        ));
    }
    for (key, flag) in [
        ("downloadLinuxUpdates", &st.linux),
        ("downloadMacUpdates", &st.mac),
        ("downloadPreviewUpdates", &st.preview),
        ("backupPreviousUpdates", &st.backup),
    ] {
        if let settings::Flag::Other(v) = flag {
            let means = if flag.on() { "on" } else { "off" };
            out.push(SETTINGS_NOT_BOOLEAN.raise(
                Severity::Warning,
                format!("{key} is {v:?}, not a JSON boolean: the script reads it as {means}"),
                vec![ev("file", format!("{path}: {key}"), v.as_str())],
                format!("Write {key} as true or false, without quotes, in {path}."),
            ));
        }
    }
    for key in &st.not_strings {
        out.push(SETTINGS_NOT_BOOLEAN.raise(
            Severity::Warning,
            format!("{key} is not a JSON string"),
            vec![ev("file", format!("{path}: {key}"), "not a string")],
            format!("Write {key} as a quoted absolute path in {path}."),
        ));
    }
    if st.platforms().is_empty() {
        out.push(NO_PLATFORM.raise(
            Severity::Critical,
            "No platform is enabled: the downloader fetches nothing".into(),
            vec![
                ev(
                    "file",
                    format!("{path}: downloadLinuxUpdates"),
                    flag_text(&st.linux),
                ),
                ev(
                    "file",
                    format!("{path}: downloadMacUpdates"),
                    flag_text(&st.mac),
                ),
            ],
            format!("Set \"downloadLinuxUpdates\": true in {path}."),
        ));
    }
}

fn flag_text(f: &settings::Flag) -> String {
    match f {
        settings::Flag::Absent => "absent (false)".into(),
        settings::Flag::Bool(b) => b.to_string(),
        settings::Flag::Other(v) => v.clone(),
    }
}

/// A relative path or one under /tmp (or /var/tmp is kept: it survives reboots).
fn volatile(p: &Path) -> Option<&'static str> {
    if !p.is_absolute() {
        Some("a relative path")
    } else if p.starts_with("/tmp") || p.starts_with("/dev/shm") || p.starts_with("/run") {
        Some("under a directory cleaned at boot")
    } else {
        None
    }
}

fn folder_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    // No folder known: the settings finding already says why.
    if s.folder.as_os_str().is_empty() {
        return;
    }
    let folder = s.folder.display().to_string();
    let mut volatile_ev = Vec::new();
    if let Some(why) = volatile(&s.folder) {
        volatile_ev.push(ev(
            "settings",
            "downloadFolder",
            format!("{folder} ({why})"),
        ));
    } else if s.folder_tmpfs {
        volatile_ev.push(ev(
            "system",
            "downloadFolder",
            format!("{folder} (on tmpfs)"),
        ));
    }
    if let Some(log) = &s.log_path
        && let Some(why) = volatile(log)
    {
        volatile_ev.push(ev(
            "settings",
            "logFilePath",
            format!("{} ({why})", log.display()),
        ));
    }
    if !volatile_ev.is_empty() {
        out.push(FOLDER_VOLATILE.raise(
            Severity::Warning,
            "The downloader writes where files do not survive a reboot".into(),
            volatile_ev,
            "Move downloadFolder (and logFilePath) to persistent storage, e.g. /srv/wdav-update and /var/log/mdatp_offline_updates.log.".into(),
        ));
    }
    if let Some(e) = &s.folder_error {
        let sev = if denied(e) {
            Severity::Unknown
        } else {
            Severity::Critical
        };
        out.push(FOLDER_UNREADABLE.raise(
            sev,
            format!("The download folder {folder} cannot be read: {e}"),
            vec![ev("system", "downloadFolder", format!("{folder}: {e}"))],
            "Run the downloader once (it creates the folder), or check as its owner.".into(),
        ));
        return;
    }
    if let Some(free) = s.folder_free
        && free < MIRROR_MIN_FREE
    {
        out.push(FOLDER_SPACE.raise(
            Severity::Warning,
            format!(
                "Only {} MB free in {folder}; Microsoft asks for 2 GB",
                free / 1_000_000
            ),
            vec![ev(
                "system",
                format!("free space in {folder}"),
                format!("{free} bytes"),
            )],
            format!("Free space on the file system of {folder} or move downloadFolder."),
        ));
    }
}

/// `--folder DIR` holding no arch folder of either layout: the paths looked for, what DIR
/// holds, and the folder meant when DIR is one below it.
fn no_package_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(l) = &s.folder_listing else { return };
    let folder = s.folder.display().to_string();
    let dir = folder.trim_end_matches('/');
    let mut evidence = vec![
        ev(
            "tree",
            "looked for (the downloader's tree)",
            format!("{dir}/{{linux,mac}}/{{production,preview}}{{,_back}}/arch_{{x86_64,arm64}}/"),
        ),
        ev(
            "tree",
            "looked for (a staged root)",
            format!(
                "{dir}/{{incoming,canary}}/{{linux,mac}}/{{production,preview}}/arch_{{x86_64,arm64}}/"
            ),
        ),
        ev("tree", folder.clone(), holds(l)),
    ];
    // DIR is a level of the tree below the download folder: name the one meant.
    let below = if l.has_package {
        Some(("an arch folder (it holds updates.zip or manifest.json)", 3))
    } else if l.has_arch {
        Some(("a ring folder (it holds arch_*)", 2))
    } else if l.has_ring {
        Some(("a platform folder (it holds production/ or preview/)", 1))
    } else {
        None
    };
    let fix = match below {
        Some((what, levels)) => {
            let meant = up(&s.folder, levels).map_or_else(
                || format!("the folder {levels} level(s) above it"),
                |p| p.display().to_string(),
            );
            evidence.push(ev("tree", "looks like", what));
            format!(
                "{folder} is {what}, not a download folder: pass the folder that holds linux/, --folder {meant} (or --settings PATH)."
            )
        }
        None if s.staged.is_some() => format!(
            "{folder} is a staged root with nothing in any stage: run the downloader into {dir}/incoming (or `mdatp-doctor mirror run`), then `mdatp-doctor mirror promote --root {folder} --to canary`."
        ),
        None if l.count == 0 => format!(
            "If {folder} is the download folder, run the downloader (or `mdatp-doctor mirror run`) to fill it; otherwise pass the download folder (downloadFolder in settings.json), or --settings PATH."
        ),
        None => format!(
            "{folder} is not a download folder: pass the one that holds linux/ (downloadFolder in settings.json), or --settings PATH."
        ),
    };
    let title = if l.count == 0 {
        format!("No package in {folder}: the folder is empty")
    } else if s.staged.is_some() {
        format!("No package in {folder}: a staged root with no arch folder in any stage")
    } else {
        format!(
            "No package in {folder}: no linux/*/arch_* or mac/*/arch_* folder of the downloader's tree or a staged root"
        )
    };
    out.push(NO_PACKAGE.raise(Severity::Critical, title, evidence, fix));
}

/// What a folder holds, in a few names.
fn holds(l: &crate::mirror_host::FolderListing) -> String {
    if l.count == 0 {
        return "empty".into();
    }
    let more = l.count.saturating_sub(l.names.len());
    let capped = if l.count >= crate::mirror_host::FolderListing::COUNTED {
        "+"
    } else {
        ""
    };
    if more == 0 {
        format!("holds {}", l.names.join(", "))
    } else {
        format!(
            "holds {}, … ({}{capped} entries)",
            l.names.join(", "),
            l.count
        )
    }
}

/// `p` without its last `n` components, when it has them (`..` and `.` are not undone).
fn up(p: &Path, n: usize) -> Option<std::path::PathBuf> {
    let mut out = p.to_path_buf();
    for _ in 0..n {
        let last = out.components().next_back()?;
        if !matches!(last, std::path::Component::Normal(_)) {
            return None;
        }
        out.pop();
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

fn slot_name(a: &ArchState) -> String {
    a.slot.rel().display().to_string()
}

fn arch_findings(s: &MirrorHostSnapshot, a: &ArchState, out: &mut Vec<Finding>) {
    let name = slot_name(a);
    let dir = a.path.display().to_string();
    if a.slot.back {
        // `_back` is judged against the current ring in backup_findings.
        readable_findings(a, out);
        return;
    }
    match (&a.package, &a.manifest) {
        (None, None) => {
            out.push(PACKAGE_MISSING.raise(
                Severity::Critical,
                format!("{name} has no package and no manifest"),
                vec![ev(
                    "tree",
                    dir.clone(),
                    if a.dir_exists { "empty" } else { "missing" },
                )],
                "Run the downloader (or `mdatp-doctor mirror run`) and read its output.".into(),
            ));
            return;
        }
        (None, Some(_)) => out.push(PACKAGE_MISSING.raise(
            Severity::Critical,
            format!(
                "{name} has manifest.json but no updates.zip: the script will never fetch it again"
            ),
            vec![ev("tree", format!("{dir}/updates.zip"), "missing")],
            format!("Delete {dir}/manifest.json and rerun the downloader."),
        )),
        (Some(_), None) => out.push(PACKAGE_MISSING.raise(
            Severity::Critical,
            format!("{name} has updates.zip but no manifest.json"),
            vec![ev("tree", format!("{dir}/manifest.json"), "missing")],
            "Rerun the downloader; it writes manifest.json after the package.".into(),
        )),
        _ => {}
    }
    if let Some(p) = &a.package {
        package_findings(s, a, p, out);
    }
    match &a.manifest {
        Some(Err(e)) => out.push(MANIFEST_BAD.raise(
            if denied(e) { Severity::Unknown } else { Severity::Critical },
            format!("{name}/manifest.json cannot be read: {e}"),
            vec![ev("tree", format!("{dir}/manifest.json"), e.as_str())],
            "Rerun the downloader once the fwlink is reachable.".into(),
        )),
        Some(Ok(m)) if m.is_empty() => out.push(MANIFEST_BAD.raise(
            Severity::Critical,
            format!("{name}/manifest.json has an empty version: the fwlink answered something other than its XML"),
            vec![
                ev("tree", format!("{dir}/manifest.json: EngineVersion"), format!("{:?}", m.engine_version)),
                ev("tree", format!("{dir}/manifest.json: DefinitionVersion"), format!("{:?}", m.definition_version)),
            ],
            "Check the proxy between the mirror and go.microsoft.com, then rerun the downloader.".into(),
        )),
        _ => {}
    }
    if !a.leftovers.is_empty() {
        out.push(
            LEFTOVERS.raise(
                Severity::Warning,
                format!(
                    "{name} holds {} from a run that was killed",
                    a.leftovers.join(" and ")
                ),
                a.leftovers
                    .iter()
                    .map(|l| ev("tree", format!("{dir}/{l}"), "present"))
                    .collect(),
                format!(
                    "Find what killed the last run (a timeout, the OOM killer, a reboot), remove {} and rerun the downloader.",
                    a.leftovers.join(", ")
                ),
            ),
        );
    }
    readable_findings(a, out);
}

fn package_findings(
    s: &MirrorHostSnapshot,
    a: &ArchState,
    p: &Result<PackageState, String>,
    out: &mut Vec<Finding>,
) {
    let name = slot_name(a);
    let file = format!("{}/updates.zip", a.path.display());
    let p = match p {
        Err(e) => {
            out.push(PACKAGE_BAD.raise(
                if denied(e) {
                    Severity::Unknown
                } else {
                    Severity::Critical
                },
                format!("{name}/updates.zip cannot be read: {e}"),
                vec![ev("tree", file.clone(), e.as_str())],
                if denied(e) {
                    "Check the file's permissions, or run the check as its owner.".into()
                } else if e.contains("not a regular file") {
                    // A FIFO, a device or a folder stands where the package should be.
                    format!("Remove {file} (it is not a file the web server can serve) and rerun the downloader or `mdatp-doctor mirror run`.")
                } else {
                    "Rerun the downloader or `mdatp-doctor mirror run`, then check again.".into()
                },
            ));
            return;
        }
        Ok(p) => p,
    };
    if let Err(e) = &p.zip {
        out.push(PACKAGE_BAD.raise(
            Severity::Critical,
            format!("{name}/updates.zip is {}: {e}", p.signature.describe()),
            vec![
                ev("tree", file.clone(), format!("{} bytes, {}", p.meta.size, p.signature.describe())),
                ev("tree", format!("{file}: zip"), e.as_str()),
            ],
            "Fix what the downloader reached (its proxy), then rerun it; `mdatp-doctor mirror run` restores the last good package.".into(),
        ));
    }
    if let Some(modified) = p.meta.modified {
        let age = s.now.duration_since(modified).unwrap_or_default();
        let warn = DAY.max(s.interval * 2);
        if age > warn {
            let sev = if age > DAY * 3 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            out.push(PACKAGE_OLD.raise(
                sev,
                format!("{name}/updates.zip is {} old", human_age(age)),
                vec![ev(
                    "tree",
                    format!("{file}: modified"),
                    format!("{} ago", human_age(age)),
                )],
                "Check the schedule and the last run, then run the downloader by hand.".into(),
            ));
        }
    }
}

fn readable_findings(a: &ArchState, out: &mut Vec<Finding>) {
    readable_as(a, &slot_name(a), out);
}

/// [`readable_findings`] of an arch folder shown as `name` (a stage's: `canary/linux/…`).
fn readable_as(a: &ArchState, name: &str, out: &mut Vec<Finding>) {
    let mut bad = Vec::new();
    if let Some(m) = a.dir_mode
        && m & 0o005 != 0o005
    {
        bad.push(ev(
            "tree",
            a.path.display().to_string(),
            format!("mode {m:04o}"),
        ));
    }
    if let Some(Ok(p)) = &a.package
        && p.meta.mode & 0o004 == 0
    {
        bad.push(ev(
            "tree",
            format!("{}/updates.zip", a.path.display()),
            format!("mode {:04o}", p.meta.mode),
        ));
    }
    if let Some(m) = &a.manifest_meta
        && m.mode & 0o004 == 0
    {
        bad.push(ev(
            "tree",
            format!("{}/manifest.json", a.path.display()),
            format!("mode {:04o}", m.mode),
        ));
    }
    if !bad.is_empty() {
        out.push(NOT_WORLD_READABLE.raise(
            Severity::Critical,
            format!("{name} is not readable by the web server's user"),
            bad,
            format!("chmod o+rX -R {}", a.path.display()),
        ));
    }
}

fn backup_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    for back in s.tree.iter().filter(|a| a.slot.back) {
        let Some(cur) = s.tree.iter().find(|c| {
            !c.slot.back
                && c.slot.platform == back.slot.platform
                && c.slot.ring == back.slot.ring
                && c.slot.arch == back.slot.arch
        }) else {
            continue;
        };
        let Some(Ok(cur_m)) = &cur.manifest else {
            continue;
        };
        // In a staged root `_back` is the production before the last promote, not the
        // downloader's copy: a promote may move on to a newer engine with the same
        // definitions, and after a rollback production serves the back folder's package.
        let staged_current = s.staged.as_ref().and_then(|st| {
            st.stages.iter().find(|x| {
                x.stage == Stage::Production
                    && x.platform == cur.slot.platform
                    && x.ring == cur.slot.ring
                    && x.arch == cur.slot.arch
            })
        });
        let rolled_back = staged_current
            .and_then(|x| x.marker.as_ref())
            .is_some_and(|m| m.from == Stage::Back);
        let name = slot_name(back);
        match (&back.package, &back.manifest) {
            (Some(Ok(_)), Some(Ok(bm))) => {
                let not_older = match compare(&bm.definition_version, &cur_m.definition_version) {
                    Ordering::Less => false,
                    Ordering::Equal if s.staged.is_some() => {
                        compare(&bm.engine_version, &cur_m.engine_version) != Ordering::Less
                    }
                    _ => true,
                };
                if !bm.definition_version.is_empty() && not_older && !rolled_back {
                    out.push(BACKUP_BAD.raise(
                        Severity::Warning,
                        format!("{name} holds {} — not older than the current {}: n-1 is lost", bm.definition_version, cur_m.definition_version),
                        vec![
                            ev("tree", format!("{}/manifest.json", back.path.display()), bm.definition_version.as_str()),
                            ev("tree", format!("{}/manifest.json", cur.path.display()), cur_m.definition_version.as_str()),
                        ],
                        "Keep the last good package elsewhere until the next good run refreshes the backup.".into(),
                    ));
                }
            }
            _ => out.push(BACKUP_BAD.raise(
                Severity::Warning,
                format!("{name} has no usable backup package and manifest"),
                vec![ev("tree", back.path.display().to_string(), if back.dir_exists { "incomplete" } else { "missing" })],
                if s.staged.is_some() {
                    "The next `mirror promote --to production` puts the production it replaces there; until then `mirror rollback` has nothing to put back.".into()
                } else {
                    "The next run that brings a new version fills it; until then there is no n-1 to fall back to.".into()
                },
            )),
        }
    }
}

/// Dotted versions compared number by number.
fn compare(a: &str, b: &str) -> Ordering {
    let parse = |s: &str| -> Vec<u64> { s.split('.').map(|x| x.parse().unwrap_or(0)).collect() };
    parse(a).cmp(&parse(b))
}

/// A journal younger than this may belong to a step still running.
const JOURNAL_FRESH: Duration = Duration::from_secs(15 * 60);

/// The stages of a staged root (`mirror check --folder ROOT`): a step left unfinished, the
/// canary's folders (production and back are the tree's slots, judged above), and what
/// waits in incoming/.
fn stage_findings(s: &MirrorHostSnapshot, st: &StagedRoot, out: &mut Vec<Finding>) {
    let root = s.folder.display().to_string();
    if let Some(j) = &st.journal {
        let age = j
            .modified
            .map(|m| s.now.duration_since(m).unwrap_or_default());
        let fresh = age.is_some_and(|a| a < JOURNAL_FRESH);
        let what = match (&j.op, &j.folder) {
            (Some(op), Some(f)) => format!("A {op} of {f}"),
            (Some(op), None) => format!("A {op}"),
            _ => "A promote or rollback step".to_string(),
        };
        let to = j
            .to_version
            .as_ref()
            .map_or(String::new(), |v| format!(" (to {v})"));
        let mut evidence = vec![ev(
            "stage",
            j.path.display().to_string(),
            match age {
                Some(a) => format!("present, written {} ago", human_age(a)),
                None => "present".into(),
            },
        )];
        if let Some(e) = &j.error {
            evidence.push(ev(
                "stage",
                format!("{}: contents", j.path.display()),
                e.as_str(),
            ));
        }
        let (sev, title) = if fresh {
            (
                Severity::Info,
                format!(
                    "{what}{to} is in progress or was just interrupted: its journal is in {root}"
                ),
            )
        } else {
            (
                Severity::Warning,
                format!("{what}{to} was interrupted: its journal is still in {root}"),
            )
        };
        out.push(STAGE_INTERRUPTED.raise(
            sev,
            title,
            evidence,
            format!(
                "Run `mdatp-doctor mirror promote --root {root} --to canary`: it first finishes or undoes the interrupted step, then stages only a verified incoming package newer than the canary's. Then find what killed the step (a timeout, the OOM killer, a reboot)."
            ),
        ));
    }
    for c in st.stages.iter().filter(|a| a.stage == Stage::Canary) {
        let name = stage_name(c);
        let dir = c.state.path.display().to_string();
        if let Err(why) = c.good() {
            let unreadable = [
                c.state.package.as_ref().and_then(|p| p.as_ref().err()),
                c.state.manifest.as_ref().and_then(|m| m.as_ref().err()),
            ]
            .into_iter()
            .flatten()
            .any(|e| denied(e) || e.contains("time allowed"));
            let mut evidence = vec![ev("stage", dir.clone(), why.as_str())];
            if let Some(Ok(p)) = &c.state.package {
                evidence.push(ev(
                    "stage",
                    format!("{dir}/updates.zip"),
                    format!("{} bytes, {}", p.meta.size, p.signature.describe()),
                ));
            }
            if let Some(Ok(m)) = &c.state.manifest {
                evidence.push(ev(
                    "stage",
                    format!("{dir}/manifest.json"),
                    format!(
                        "DefinitionVersion {:?}, EngineVersion {:?}",
                        m.definition_version, m.engine_version
                    ),
                ));
            }
            out.push(STAGE_CANARY_BAD.raise(
                if unreadable {
                    Severity::Unknown
                } else {
                    Severity::Critical
                },
                format!("{name} is not fit to serve ({why}): canary endpoints pull it"),
                evidence,
                format!(
                    "Run the downloader into {root}/incoming and `mdatp-doctor mirror promote --root {root} --to canary` (a bad canary is replaced by any good package), or remove {dir}."
                ),
            ));
        }
        readable_as(&c.state, &name, out);
    }
    for inc in st.stages.iter().filter(|a| a.stage == Stage::Incoming) {
        let Ok(new) = inc.good() else { continue };
        let canary = st.stages.iter().find(|a| {
            a.stage == Stage::Canary
                && a.platform == inc.platform
                && a.ring == inc.ring
                && a.arch == inc.arch
        });
        let serves = match canary.map(StageArch::good) {
            // A bad canary is mirror-stage-canary-bad, whose fix is the same promote.
            Some(Err(_)) => continue,
            Some(Ok(m)) => Some(m),
            None => None,
        };
        if let Some(have) = serves
            && !newer(new, have)
        {
            continue;
        }
        let name = stage_name(inc);
        let mut evidence = vec![ev(
            "stage",
            format!("{}/manifest.json", inc.state.path.display()),
            format!(
                "{} (engine {}){}",
                new.definition_version,
                new.engine_version,
                package_age(s, &inc.state).map_or(String::new(), |a| format!(
                    ", downloaded {} ago",
                    human_age(a)
                ))
            ),
        )];
        let title = match (serves, canary) {
            (Some(have), Some(c)) => {
                evidence.push(ev(
                    "stage",
                    format!("{}/manifest.json", c.state.path.display()),
                    format!(
                        "{} (engine {}){}",
                        have.definition_version,
                        have.engine_version,
                        c.since()
                            .map(|t| s.now.duration_since(t).unwrap_or_default())
                            .map_or(String::new(), |a| format!(", served for {}", human_age(a)))
                    ),
                ));
                format!(
                    "{name} holds {}, newer than the {} the canary serves: not promoted to the canary",
                    new.definition_version, have.definition_version
                )
            }
            _ => {
                evidence.push(ev(
                    "stage",
                    Stage::Canary
                        .arch_path(&s.folder, &inc.platform, &inc.ring, &inc.arch)
                        .display()
                        .to_string(),
                    "missing",
                ));
                format!(
                    "{name} holds {}; the canary serves nothing for this arch",
                    new.definition_version
                )
            }
        };
        out.push(STAGE_CANARY_BEHIND.raise(
            Severity::Info,
            title,
            evidence,
            format!(
                "Run `mdatp-doctor mirror promote --root {root} --to canary`, or add --promote-canary to the `mirror run` schedule."
            ),
        ));
    }
}

/// `canary/linux/production/arch_x86_64`: a stage's arch folder below the root.
fn stage_name(a: &StageArch) -> String {
    let mut parts = a.stage.ring_rel(&a.platform, &a.ring);
    parts.push(format!("arch_{}", a.arch));
    parts.join("/")
}

/// `new` offers more than `have`: newer definitions, or the same with a newer engine
/// (what `mirror promote` moves on).
fn newer(new: &crate::mirror::package::Manifest, have: &crate::mirror::package::Manifest) -> bool {
    match crate::units::compare_versions(&new.definition_version, &have.definition_version) {
        Some(Ordering::Greater) => true,
        Some(Ordering::Equal) => {
            crate::units::compare_versions(&new.engine_version, &have.engine_version)
                == Some(Ordering::Greater)
        }
        _ => false,
    }
}

fn package_age(s: &MirrorHostSnapshot, a: &ArchState) -> Option<Duration> {
    match &a.package {
        Some(Ok(p)) => p
            .meta
            .modified
            .map(|m| s.now.duration_since(m).unwrap_or_default()),
        _ => None,
    }
}

fn log_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(log) = &s.log else { return };
    let path = s
        .log_path
        .as_ref()
        .map_or_else(String::new, |p| p.display().to_string());
    let l = match log {
        Err(e) => {
            out.push(LOG_UNREADABLE.raise(
                Severity::Unknown,
                format!("The downloader's log {path} cannot be read ({e}): its last run is unknown"),
                vec![ev("file", path.clone(), e.as_str())],
                "Run the check as the downloader's user, or set logFilePath to a persistent readable file.".into(),
            ));
            return;
        }
        Ok(l) => l,
    };
    if l.unfinished {
        let mut evidence = vec![ev(
            "log",
            path.clone(),
            format!("{} started, {} completed", l.started_runs, l.completed_runs),
        )];
        evidence.extend(
            l.errors
                .iter()
                .rev()
                .take(3)
                .map(|e| ev("log", "error", e.as_str())),
        );
        out.push(RUN_UNFINISHED.raise(
            Severity::Critical,
            "The downloader's last run started but never completed".into(),
            evidence,
            "Run the downloader by hand (or through `mdatp-doctor mirror run`) and fix the error it prints.".into(),
        ));
    }
    let completed_at = l
        .last_completed_unix
        .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64))
        .or(if l.unfinished || l.completed_runs == 0 {
            None
        } else {
            l.modified
        });
    let limit = s.interval * 2;
    match completed_at {
        None if l.completed_runs == 0 => out.push(RUN_OLD.raise(
            Severity::Warning,
            "The log shows no completed run".into(),
            vec![ev("log", path.clone(), "no `Script completed.`")],
            "Check the cron entry or timer that runs the downloader.".into(),
        )),
        Some(at) => {
            let age = s.now.duration_since(at).unwrap_or_default();
            if age > limit {
                out.push(RUN_OLD.raise(
                    Severity::Warning,
                    format!("The last completed run was {} ago, more than twice the endpoints' update interval", human_age(age)),
                    vec![ev("log", format!("{path}: last `Script completed.`"), l.last_completed_date.clone().unwrap_or_else(|| format!("{} ago", human_age(age))))],
                    "Make the schedule run the downloader at least as often as definitionUpdatesInterval.".into(),
                ));
            }
        }
        None => {}
    }
    if !l.errors.is_empty() && !l.unfinished {
        out.push(
            RUN_ERRORS.raise(
                Severity::Warning,
                format!("The log holds {} error line(s)", l.errors.len()),
                l.errors
                    .iter()
                    .rev()
                    .take(3)
                    .map(|e| ev("log", path.clone(), e.as_str()))
                    .collect(),
                "Run the downloader by hand to see curl's own message (the number in `Error (N)` is not curl's exit status); check the proxy and that go.microsoft.com is reachable.".into(),
            ),
        );
    }
}

fn schedule_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(entries) = &s.schedule else { return };
    if entries.is_empty() {
        out.push(SCHEDULE_MISSING.raise(
            Severity::Warning,
            "No cron entry or systemd timer runs the downloader".into(),
            vec![ev(
                "schedule",
                "looked in",
                "/etc/crontab, /etc/cron.d/*, /var/spool/cron{,/crontabs}/*, /etc/systemd/system/*.timer",
            )],
            "Add a cron line or timer that runs the downloader (see \"On the mirror host\" in the README).".into(),
        ));
        return;
    }
    // The most frequent entry is the one that counts.
    let known: Vec<_> = entries
        .iter()
        .filter_map(|e| e.period.map(|p| (p, e)))
        .collect();
    let Some((period, e)) = known.iter().min_by_key(|(p, _)| *p) else {
        return;
    };
    if *period > s.interval {
        let at = if e.line > 0 {
            format!("{}:{}", e.source.display(), e.line)
        } else {
            e.source.display().to_string()
        };
        out.push(SCHEDULE_SLOW.raise(
            Severity::Warning,
            format!(
                "The downloader runs only every {}, less often than endpoints poll ({})",
                human_age(*period),
                human_age(s.interval)
            ),
            vec![
                ev("schedule", at, e.command.as_str()),
                ev("schedule", "user", e.user.clone().unwrap_or_default()),
            ],
            format!(
                "Make the entry in {} run at least every {}.",
                e.source.display(),
                human_age(s.interval)
            ),
        ));
    }
}

fn install_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(i) = &s.install else { return };
    let script = i
        .script
        .as_ref()
        .map_or_else(String::new, |p| p.display().to_string());
    if let Some(e) = &i.script_error {
        out.push(SCRIPT_PROBLEM.raise(
            Severity::Warning,
            format!("The downloader script {script} cannot be read: {e}"),
            vec![ev("install", script.clone(), e.as_str())],
            "Put the script next to its settings.json (or pass --script PATH).".into(),
        ));
    } else {
        if i.crlf {
            out.push(SCRIPT_PROBLEM.raise(
                Severity::Critical,
                format!("{script} has CRLF line endings: bash cannot run it"),
                vec![ev("install", script.clone(), "CRLF line endings")],
                format!("sed -i 's/\\r$//' {script}"),
            ));
        }
        if !i.executable {
            out.push(SCRIPT_PROBLEM.raise(
                Severity::Warning,
                format!("{script} is not executable"),
                vec![ev("install", script.clone(), "no execute bit")],
                format!("chmod 755 {script}"),
            ));
        }
    }
    if i.script_error.is_none() && !i.mentions_arm64 {
        out.push(SCRIPT_NO_ARM64.raise(
            Severity::Warning,
            format!("{script} predates arm64 support: arm64 endpoints get nothing from this mirror"),
            vec![
                ev("install", script.clone(), "no mention of arm64"),
                ev(
                    "install",
                    "scriptVersion",
                    i.version.clone().unwrap_or_else(|| "not stated".into()),
                ),
            ],
            "Replace it with the current xplat_offline_updates_download.sh from microsoft/mdatp-xplat.".into(),
        ));
    }
    for (tool, found) in [("jq", &i.jq), ("curl", &i.curl)] {
        if found.is_none() {
            out.push(TOOL_MISSING.raise(
                Severity::Critical,
                format!(
                    "{tool} is not on cron's PATH: the downloader would exit 0 without downloading"
                ),
                vec![ev(
                    "install",
                    format!("PATH={}", i.path),
                    format!("no {tool}"),
                )],
                format!("Install {tool}."),
            ));
        }
    }
}

/// `mode` as `rwxr-xr-x`.
fn mode_text(mode: u32) -> String {
    (0..9)
        .map(|i| {
            if mode & (0o400 >> i) == 0 {
                '-'
            } else {
                ['r', 'w', 'x'][i % 3]
            }
        })
        .collect()
}

fn access_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(job) = &s.job else { return };
    let who = if job.assumed {
        format!("{} (assumed: {})", job.user, job.source)
    } else {
        format!("{} ({})", job.user, job.source)
    };
    let Some(account) = &job.account else {
        out.push(NOT_WRITABLE.raise(
            Severity::Unknown,
            format!(
                "The downloader runs as {}, who is not in /etc/passwd: what it may write is unknown",
                job.user
            ),
            vec![ev("schedule", "user", who)],
            "Check that the user exists (cron skips entries of unknown users) and owns the download folder.".into(),
        ));
        return;
    };
    let mut critical = Vec::new();
    let mut log_only = Vec::new();
    for t in &job.targets {
        let Some((at, perm)) = &t.checked else {
            continue;
        };
        if access::can_write(account, perm) {
            continue;
        }
        let shown = if at == &t.path {
            t.path.display().to_string()
        } else {
            format!("{} (missing; nearest: {})", t.path.display(), at.display())
        };
        let e = ev(
            "system",
            format!("{}: {shown}", t.what),
            format!(
                "owner {} group {} mode {}",
                perm.uid,
                perm.gid,
                mode_text(perm.mode)
            ),
        );
        if t.what == "logFilePath" {
            log_only.push(e);
        } else {
            critical.push(e);
        }
    }
    if !critical.is_empty() || !log_only.is_empty() {
        let (sev, title) = if critical.is_empty() {
            (
                Severity::Warning,
                format!(
                    "{} cannot write the downloader's log: its runs leave no trace",
                    job.user
                ),
            )
        } else {
            (
                Severity::Critical,
                format!(
                    "{} cannot write where the downloader saves the packages: every run fails, exit 0",
                    job.user
                ),
            )
        };
        let mut evidence = vec![ev(
            "schedule",
            "user",
            format!("{who}, uid {}", account.uid),
        )];
        evidence.extend(critical.into_iter().take(6));
        evidence.extend(log_only);
        out.push(NOT_WRITABLE.raise(
            sev,
            title,
            evidence,
            format!(
                "chown -R {} {} (and the log), or run the job as the folder's owner.",
                job.user,
                s.folder.display()
            ),
        ));
    }
    if let (Some(Ok(l)), Some(path)) = (&s.log, &s.log_path)
        && let Some(owner) = l.owner_uid
        && owner != account.uid
        // root appends to anyone's log; a log of root's under another user is the case.
        && account.uid != 0
    {
        let writable = job
            .targets
            .iter()
            .find(|t| t.what == "logFilePath")
            .and_then(|t| t.checked.as_ref())
            .is_some_and(|(_, p)| access::can_write(account, p));
        if writable {
            out.push(LOG_OWNER.raise(
                Severity::Info,
                format!(
                    "The log belongs to uid {owner}, the downloader runs as {} (uid {})",
                    job.user, account.uid
                ),
                vec![
                    ev(
                        "file",
                        path.display().to_string(),
                        format!("owner uid {owner}"),
                    ),
                    ev("schedule", "user", who),
                ],
                format!("chown {} {}", job.user, path.display()),
            ));
        }
    }
}

fn selinux_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(se) = &s.selinux else { return };
    let Some(server) = &se.server else { return };
    if !se.enforcing {
        return;
    }
    let wrong: Vec<Evidence> = se
        .labels
        .iter()
        .filter_map(|(p, l)| {
            let why = match l {
                Ok(Some(ctx)) => match access::selinux_type(ctx) {
                    Some(t) if access::SERVABLE_TYPES.contains(&t) => return None,
                    _ => ctx.clone(),
                },
                Ok(None) => "no label".into(),
                Err(e) => format!("cannot read the label: {e}"),
            };
            Some(ev("selinux", p.display().to_string(), why))
        })
        .collect();
    if wrong.is_empty() {
        return;
    }
    let n = wrong.len();
    let mut evidence = vec![ev(
        "selinux",
        "web server",
        format!("{} installed, SELinux enforcing", server.display()),
    )];
    evidence.extend(wrong.into_iter().take(6));
    let folder = s.folder.display();
    out.push(SELINUX_LABEL.raise(
        Severity::Critical,
        format!("{n} path(s) the web server would hand out have an SELinux type it may not read: it answers 403"),
        evidence,
        format!("semanage fcontext -a -t httpd_sys_content_t '{folder}(/.*)?' && restorecon -R {folder}"),
    ));
}

fn serving_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(sv) = &s.serving else { return };
    let fix = || {
        "Point the server's docroot at downloadFolder, make the files world-readable, and check again."
            .to_string()
    };
    if let Some(e) = &sv.error {
        out.push(SERVING_MISMATCH.raise(
            Severity::Unknown,
            format!("{} could not be probed: {e}", sv.url),
            vec![ev("serving", sv.url.as_str(), e.as_str())],
            fix(),
        ));
        return;
    }
    if sv.probes.is_empty() {
        out.push(SERVING_MISMATCH.raise(
            Severity::Unknown,
            format!(
                "No package of {}/{} on disk to compare {} with",
                sv.platform, sv.ring, sv.url
            ),
            vec![ev("serving", sv.url.as_str(), "nothing compared")],
            fix(),
        ));
        return;
    }
    for p in &sv.probes {
        let Some(disk) = sv.disk.iter().find(|a| {
            !a.slot.back
                && a.slot.platform == sv.platform
                && a.slot.ring == sv.ring
                && a.slot.arch == p.arch
        }) else {
            continue;
        };
        if let Some((step, e)) = p
            .steps
            .iter()
            .find_map(|st| st.error.as_ref().map(|e| (st, e)))
        {
            let status = e.status.map_or(String::new(), |c| format!(" (HTTP {c})"));
            out.push(SERVING_MISMATCH.raise(
                Severity::Critical,
                format!(
                    "{} serves no usable arch_{}: {:?} failed{status}: {}",
                    sv.url, p.arch, step.name, e.message
                ),
                vec![ev(
                    "serving",
                    p.location.as_str(),
                    format!("{:?}{status}: {}", step.name, e.message),
                )],
                fix(),
            ));
            continue;
        }
        let mut diffs = Vec::new();
        let served = p.package.as_ref().and_then(|f| f.verified.as_ref());
        let on_disk = disk.package.as_ref().and_then(|r| r.as_ref().ok());
        match (served, on_disk) {
            (Some(v), Some(d))
                if Some(&v.sha256) != d.sha256.as_ref() || v.bytes != d.meta.size =>
            {
                diffs.push(ev(
                    "serving",
                    format!("{}updates.zip", p.location),
                    format!(
                        "served {} bytes sha256 {}, on disk {} bytes sha256 {}",
                        v.bytes,
                        v.sha256,
                        d.meta.size,
                        d.sha256.clone().unwrap_or_default()
                    ),
                ));
            }
            (None, Some(_)) => diffs.push(ev(
                "serving",
                format!("{}updates.zip", p.location),
                "not verified as a zip",
            )),
            _ => {}
        }
        if let (Some(m), Some(Ok(dm))) = (&p.manifest, &disk.manifest)
            && m != dm
        {
            diffs.push(ev(
                "serving",
                format!("{}manifest.json", p.location),
                format!(
                    "served {}/{}, on disk {}/{}",
                    m.engine_version,
                    m.definition_version,
                    dm.engine_version,
                    dm.definition_version
                ),
            ));
        }
        if !diffs.is_empty() {
            out.push(SERVING_MISMATCH.raise(
                Severity::Critical,
                format!(
                    "{} serves other files than {} holds (arch_{})",
                    sv.url,
                    disk.path.display(),
                    p.arch
                ),
                diffs,
                fix(),
            ));
        }
    }
}

/// How long a newer version than `have` has been published, when `have` is behind:
/// `Some(0)` when current, `None` when it cannot be told.
pub fn behind_seconds(
    have: &str,
    published: &crate::mirror_host::online::Published,
    now: SystemTime,
) -> Option<f64> {
    if have.is_empty() {
        return None;
    }
    if compare(have, &published.definitions) != Ordering::Less {
        return Some(0.0);
    }
    let date: jiff::Timestamp = published.date.as_deref()?.parse().ok()?;
    let now = jiff::Timestamp::try_from(now).ok()?;
    Some((now.as_second() - date.as_second()).max(0) as f64)
}

fn online_findings(s: &MirrorHostSnapshot, out: &mut Vec<Finding>) {
    let Some(readings) = &s.online else { return };
    let mut unreachable = false;
    for r in readings {
        let slot = format!("{}/{}/arch_{}", r.platform, r.ring, r.arch);
        let via = r.proxy.clone().unwrap_or_else(|| "no proxy".into());
        match &r.result {
            Err(e) => {
                // One finding for the host: the same failure repeats for every slot.
                if !unreachable {
                    unreachable = true;
                    out.push(BEHIND_MICROSOFT.raise(
                        Severity::Warning,
                        format!("Microsoft's fwlink cannot be reached from here ({e}): the next download will fail the same way"),
                        vec![ev("online", r.url.as_str(), format!("{e} (via {via})"))],
                        "Allow go.microsoft.com and definitionupdates.microsoft.com through the proxy and give cron the proxy variables.".into(),
                    ));
                }
            }
            Ok(p) => {
                let Some(disk) = s.tree.iter().find(|a| {
                    !a.slot.back
                        && a.slot.platform == r.platform
                        && a.slot.ring == r.ring
                        && a.slot.arch == r.arch
                }) else {
                    continue;
                };
                let have = match &disk.manifest {
                    Some(Ok(m)) => m.definition_version.clone(),
                    _ => String::new(),
                };
                if !have.is_empty() && compare(&have, &p.definitions) != Ordering::Less {
                    continue;
                }
                let since = behind_seconds(&have, p, s.now)
                    .map(|secs| {
                        format!(
                            ", published {} ago",
                            human_age(Duration::from_secs_f64(secs))
                        )
                    })
                    .unwrap_or_default();
                out.push(BEHIND_MICROSOFT.raise(
                    Severity::Warning,
                    format!(
                        "{slot} holds {}, Microsoft publishes {}{since}",
                        if have.is_empty() {
                            "no version"
                        } else {
                            have.as_str()
                        },
                        p.definitions
                    ),
                    vec![
                        ev(
                            "online",
                            r.url.as_str(),
                            format!("{} (engine {})", p.definitions, p.engine),
                        ),
                        ev(
                            "tree",
                            format!("{}/manifest.json", disk.path.display()),
                            have.as_str(),
                        ),
                    ],
                    "Run the downloader now and check it completes.".into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The stage rules on staged roots built in memory; the real binary on real trees is
    //! tests/integration/mirror_stage_check.rs. The labelled corpus (tests/states/) holds
    //! endpoint states only, so these are the healthy and broken staged roots.

    use super::*;
    use crate::mirror::package::{Manifest, Signature};
    use crate::mirror_host::stage::Marker;
    use crate::mirror_host::tree::{FileMeta, Slot};
    use crate::mirror_host::{StageJournal, StagedRoot};
    use std::path::PathBuf;
    use std::time::UNIX_EPOCH;

    const NOW: u64 = 1_800_000_000;
    const ROOT: &str = "/srv/mdatp-mirror";
    const HOUR: u64 = 3600;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn ago(secs: u64) -> SystemTime {
        now() - Duration::from_secs(secs)
    }

    fn manifest(defs: &str, engine: &str) -> Manifest {
        Manifest {
            engine_version: engine.into(),
            definition_version: defs.into(),
        }
    }

    /// A stage's linux/production/arch_x86_64 holding a good pair of `defs`, its package
    /// written `age` seconds ago and served since then (the marker a promote writes; none
    /// in incoming/).
    fn arch(stage: Stage, defs: &str, engine: &str, age: u64) -> StageArch {
        let meta = FileMeta {
            size: 120,
            mode: 0o644,
            uid: 0,
            modified: Some(ago(age)),
        };
        let from = match stage {
            Stage::Incoming => None,
            Stage::Canary => Some(Stage::Incoming),
            Stage::Production | Stage::Back => Some(Stage::Canary),
        };
        StageArch {
            stage,
            platform: "linux".into(),
            ring: "production".into(),
            arch: "x86_64".into(),
            state: ArchState {
                slot: Slot {
                    platform: "linux".into(),
                    ring: "production".into(),
                    back: stage == Stage::Back,
                    arch: "x86_64".into(),
                },
                path: stage.arch_path(Path::new(ROOT), "linux", "production", "x86_64"),
                dir_exists: true,
                dir_mode: Some(0o755),
                package: Some(Ok(PackageState {
                    meta: meta.clone(),
                    signature: Signature::Zip,
                    zip: Ok(1),
                    sha256: Some(format!("{defs}-sha")),
                })),
                manifest: Some(Ok(manifest(defs, engine))),
                manifest_meta: Some(meta),
                leftovers: Vec::new(),
            },
            marker: from.map(|from| Marker {
                since_unix: (NOW - age) as i64,
                from,
                definition_version: defs.into(),
                engine_version: engine.into(),
                token: String::new(),
            }),
            marker_error: None,
            dir_modified: Some(ago(age)),
        }
    }

    /// A staged root as `mirror check --folder ROOT` gathers it: production and back are
    /// also the tree's slots.
    fn snapshot(stages: Vec<StageArch>, journal: Option<StageJournal>) -> MirrorHostSnapshot {
        let tree = stages
            .iter()
            .filter(|a| matches!(a.stage, Stage::Production | Stage::Back))
            .map(|a| a.state.clone())
            .collect();
        MirrorHostSnapshot {
            settings_path: None,
            settings: None,
            folder: PathBuf::from(ROOT),
            folder_error: None,
            folder_free: Some(1_000_000_000_000),
            folder_tmpfs: false,
            tree,
            log_path: None,
            log: None,
            schedule: None,
            install: None,
            serving: None,
            online: None,
            interval: Duration::from_secs(8 * HOUR),
            now: now(),
            uid: 0,
            hostname: String::new(),
            job: None,
            selinux: None,
            statuses: Vec::new(),
            staged: Some(StagedRoot { stages, journal }),
            folder_listing: None,
        }
    }

    /// incoming and the canary on 1.441.91.0 (downloaded 3 h ago, canary for 2 h),
    /// production on 1.441.90.0 for 20 h, back on 1.441.89.0.
    fn healthy() -> Vec<StageArch> {
        vec![
            arch(Stage::Incoming, "1.441.91.0", "1.1.25090.3001", 3 * HOUR),
            arch(Stage::Canary, "1.441.91.0", "1.1.25090.3001", 2 * HOUR),
            arch(Stage::Production, "1.441.90.0", "1.1.25090.3001", 20 * HOUR),
            arch(Stage::Back, "1.441.89.0", "1.1.25090.3001", 40 * HOUR),
        ]
    }

    fn ids(fs: &[Finding]) -> Vec<(&'static str, Severity)> {
        fs.iter().map(|f| (f.id, f.severity)).collect()
    }

    fn with(
        mut stages: Vec<StageArch>,
        stage: Stage,
        edit: impl FnOnce(&mut StageArch),
    ) -> Vec<StageArch> {
        edit(stages.iter_mut().find(|a| a.stage == stage).unwrap());
        stages
    }

    #[test]
    fn a_healthy_staged_root_raises_nothing() {
        let fs = check(&snapshot(healthy(), None));
        assert_eq!(ids(&fs), []);
        // Only production and back, as a fresh root has them after its first promotes.
        let fs = check(&snapshot(healthy().split_off(2), None));
        assert_eq!(ids(&fs), []);
        // Incoming already on the next version, not staged yet: context only.
        let stages = with(healthy(), Stage::Incoming, |a| {
            *a = arch(Stage::Incoming, "1.441.92.0", "1.1.25090.3001", HOUR)
        });
        let fs = check(&snapshot(stages, None));
        assert_eq!(ids(&fs), [("mirror-stage-canary-behind", Severity::Info)]);
        assert!(fs[0].title.contains("1.441.92.0") && fs[0].title.contains("1.441.91.0"));
        assert!(
            fs[0]
                .fix
                .contains(&format!("mirror promote --root {ROOT} --to canary")),
            "{}",
            fs[0].fix
        );
    }

    #[test]
    fn a_staged_root_with_nothing_in_any_stage_has_no_package() {
        let mut s = snapshot(Vec::new(), None);
        s.folder_listing = Some(crate::mirror_host::FolderListing {
            names: vec!["canary".into(), "incoming".into()],
            count: 2,
            ..Default::default()
        });
        let fs = check(&s);
        assert_eq!(ids(&fs), [("mirror-host-no-package", Severity::Critical)]);
        assert!(
            fs[0].title.contains("no arch folder in any stage"),
            "{}",
            fs[0].title
        );
        assert!(
            fs[0]
                .fix
                .contains(&format!("mirror promote --root {ROOT} --to canary")),
            "{}",
            fs[0].fix
        );
        // An arch folder given for the download folder: three levels up is the one meant.
        s.staged = None;
        s.folder = PathBuf::from("/srv/wdav-update/linux/production/arch_x86_64");
        s.folder_listing = Some(crate::mirror_host::FolderListing {
            names: vec!["manifest.json".into(), "updates.zip".into()],
            count: 2,
            has_package: true,
            ..Default::default()
        });
        let fs = check(&s);
        assert!(
            fs[0].fix.contains("--folder /srv/wdav-update "),
            "{}",
            fs[0].fix
        );
        // A relative one with too few levels to climb: said in words.
        s.folder = PathBuf::from("arch_x86_64");
        assert!(check(&s)[0].fix.contains("the folder 3 level(s) above it"));
    }

    #[test]
    fn after_a_rollback_back_equal_to_production_is_no_lost_backup() {
        // `mirror rollback`: production is a copy of back (its marker says so).
        let mut prod = arch(Stage::Production, "1.441.89.0", "1.1.25090.3001", HOUR);
        prod.marker.as_mut().unwrap().from = Stage::Back;
        let stages = with(healthy(), Stage::Production, |a| *a = prod);
        assert_eq!(ids(&check(&snapshot(stages.clone(), None))), []);
        // The same tree promoted from the canary is the downloader's lost n-1.
        let stages = with(stages, Stage::Production, |a| {
            a.marker.as_mut().unwrap().from = Stage::Canary
        });
        assert_eq!(
            ids(&check(&snapshot(stages, None))),
            [("mirror-host-backup-bad", Severity::Warning)]
        );
    }

    #[test]
    fn a_promote_to_a_newer_engine_with_the_same_definitions_keeps_a_real_backup() {
        let stages = with(healthy(), Stage::Back, |a| {
            *a = arch(Stage::Back, "1.441.90.0", "1.1.25080.1000", 40 * HOUR)
        });
        assert_eq!(ids(&check(&snapshot(stages.clone(), None))), []);
        // Outside a staged root the downloader's rule stands: same definitions, n-1 lost.
        let mut plain = snapshot(stages, None);
        plain.staged = None;
        assert_eq!(
            ids(&check(&plain)),
            [("mirror-host-backup-bad", Severity::Warning)]
        );
    }

    #[test]
    fn a_journal_left_behind_is_a_warning_and_a_fresh_one_is_info() {
        let journal = |age: u64| StageJournal {
            path: Path::new(ROOT).join(crate::mirror_host::stage::JOURNAL),
            modified: Some(ago(age)),
            op: Some("promote to production".into()),
            folder: Some("linux/production/arch_x86_64".into()),
            to_version: Some("1.441.91.0".into()),
            error: None,
        };
        let fs = check(&snapshot(healthy(), Some(journal(2 * HOUR))));
        assert_eq!(ids(&fs), [("mirror-stage-interrupted", Severity::Warning)]);
        let f = &fs[0];
        assert!(
            f.title
                .contains("promote to production of linux/production/arch_x86_64 (to 1.441.91.0) was interrupted"),
            "{}",
            f.title
        );
        assert!(
            f.evidence[0].value.contains("2 hours ago"),
            "{:?}",
            f.evidence
        );
        assert!(
            f.fix.starts_with(&format!(
                "Run `mdatp-doctor mirror promote --root {ROOT} --to canary`"
            )),
            "{}",
            f.fix
        );
        let fs = check(&snapshot(healthy(), Some(journal(60))));
        assert_eq!(ids(&fs), [("mirror-stage-interrupted", Severity::Info)]);
        // One that cannot be read is still there, and said.
        let unread = StageJournal {
            op: None,
            folder: None,
            to_version: None,
            error: Some("not JSON: EOF while parsing".into()),
            ..journal(3 * HOUR)
        };
        let fs = check(&snapshot(healthy(), Some(unread)));
        assert_eq!(ids(&fs), [("mirror-stage-interrupted", Severity::Warning)]);
        assert!(
            fs[0]
                .title
                .starts_with("A promote or rollback step was interrupted")
        );
        assert!(fs[0].evidence.iter().any(|e| e.value.contains("EOF")));
    }

    #[test]
    fn an_html_page_as_the_canary_package_is_critical() {
        let stages = with(healthy(), Stage::Canary, |a| {
            a.state.package = Some(Ok(PackageState {
                meta: FileMeta {
                    size: 64,
                    mode: 0o644,
                    uid: 0,
                    modified: Some(ago(HOUR)),
                },
                signature: Signature::Html,
                zip: Err("not a readable zip archive: invalid Zip archive".into()),
                sha256: Some("x".into()),
            }))
        });
        let fs = check(&snapshot(stages, None));
        // The bad canary is the finding; what waits in incoming/ is not said again.
        assert_eq!(ids(&fs), [("mirror-stage-canary-bad", Severity::Critical)]);
        let f = &fs[0];
        assert!(
            f.title
                .starts_with("canary/linux/production/arch_x86_64 is not fit to serve (updates.zip is not a complete zip"),
            "{}",
            f.title
        );
        assert!(
            f.evidence
                .iter()
                .any(|e| e.value == "64 bytes, an HTML page, not a zip archive"),
            "{:?}",
            f.evidence
        );
        assert!(f.fix.contains(&format!("{ROOT}/incoming")), "{}", f.fix);
    }

    #[test]
    fn a_canary_without_its_pair_is_critical_and_one_this_user_cannot_read_unknown() {
        let stages = with(healthy(), Stage::Canary, |a| a.state.package = None);
        let fs = check(&snapshot(stages, None));
        assert_eq!(ids(&fs), [("mirror-stage-canary-bad", Severity::Critical)]);
        assert!(fs[0].title.contains("no updates.zip"), "{}", fs[0].title);
        let stages = with(healthy(), Stage::Canary, |a| {
            a.state.manifest = Some(Ok(manifest("", "")))
        });
        let fs = check(&snapshot(stages, None));
        assert_eq!(ids(&fs), [("mirror-stage-canary-bad", Severity::Critical)]);
        let stages = with(healthy(), Stage::Canary, |a| {
            a.state.package = Some(Err("Permission denied (os error 13)".into()))
        });
        let fs = check(&snapshot(stages, None));
        assert_eq!(ids(&fs), [("mirror-stage-canary-bad", Severity::Unknown)]);
    }

    #[test]
    fn a_canary_the_web_server_cannot_read_is_named_by_its_stage() {
        let stages = with(healthy(), Stage::Canary, |a| a.state.dir_mode = Some(0o700));
        let fs = check(&snapshot(stages, None));
        assert_eq!(
            ids(&fs),
            [("mirror-host-not-world-readable", Severity::Critical)]
        );
        assert!(
            fs[0]
                .title
                .starts_with("canary/linux/production/arch_x86_64 is not readable"),
            "{}",
            fs[0].title
        );
    }

    #[test]
    fn incoming_ahead_of_the_canary_is_info_and_level_or_behind_is_nothing() {
        // No canary yet for a package in incoming/.
        let stages: Vec<StageArch> = healthy()
            .into_iter()
            .filter(|a| a.stage != Stage::Canary)
            .collect();
        let fs = check(&snapshot(stages, None));
        assert_eq!(ids(&fs), [("mirror-stage-canary-behind", Severity::Info)]);
        assert!(
            fs[0].title.contains("the canary serves nothing"),
            "{}",
            fs[0].title
        );
        // The same definitions with a newer engine is newer (what promote moves on).
        let stages = with(healthy(), Stage::Incoming, |a| {
            *a = arch(Stage::Incoming, "1.441.91.0", "1.1.25100.1", HOUR)
        });
        assert_eq!(
            ids(&check(&snapshot(stages, None))),
            [("mirror-stage-canary-behind", Severity::Info)]
        );
        // Older in incoming (the canary came from an earlier download): nothing.
        let stages = with(healthy(), Stage::Incoming, |a| {
            *a = arch(Stage::Incoming, "1.441.88.0", "1.1.25090.3001", HOUR)
        });
        assert_eq!(ids(&check(&snapshot(stages, None))), []);
        // A bad package in incoming/ waits for nothing (mirror run judges the download).
        let stages = with(healthy(), Stage::Incoming, |a| {
            *a = arch(Stage::Incoming, "1.441.92.0", "1.1.25090.3001", HOUR);
            a.state.manifest = None;
        });
        assert_eq!(ids(&check(&snapshot(stages, None))), []);
    }

    #[test]
    fn outside_a_staged_root_no_stage_rule_speaks() {
        let mut s = snapshot(healthy(), None);
        s.staged = None;
        assert_eq!(ids(&check(&s)), []);
    }

    #[test]
    fn the_stage_rules_are_in_the_catalogue() {
        for id in [
            "mirror-stage-interrupted",
            "mirror-stage-canary-bad",
            "mirror-stage-canary-behind",
        ] {
            assert!(RULES.iter().any(|r| r.id == id), "{id}");
        }
    }

    #[test]
    fn a_status_file_that_is_not_this_packages_is_a_warning_and_none_at_all_is_quiet() {
        use crate::mirror::status::{ArchStatus, MirrorStatus};
        use crate::mirror_host::RingStatus;
        let status = |defs: &str, sha: &str| MirrorStatus {
            schema_version: 1,
            written_at: "2026-12-07T10:00:00Z".into(),
            written_by: "mirror run".into(),
            hostname: None,
            arch: [(
                "x86_64".to_string(),
                ArchStatus {
                    definition_version: defs.into(),
                    engine_version: "1.1.25090.3001".into(),
                    package_bytes: 1,
                    package_sha256: sha.into(),
                },
            )]
            .into(),
            last_attempt: None,
            last_success: None,
            published: None,
        };
        let ring = |st: Option<Result<MirrorStatus, String>>| RingStatus {
            platform: "linux".into(),
            ring: "production".into(),
            path: PathBuf::from(ROOT).join("linux/production"),
            status: st,
        };
        let stale = |st| {
            let mut s = snapshot(healthy(), None);
            s.staged = None;
            s.statuses = vec![st];
            check(&s)
                .iter()
                .filter(|f| f.id == STATUS_STALE.id)
                .map(|f| (f.severity, f.title.clone()))
                .collect::<Vec<_>>()
        };
        // Healthy: the file names the package served; or there is none (mirror run unused).
        assert_eq!(
            stale(ring(Some(Ok(status("1.441.90.0", "1.441.90.0-sha"))))),
            vec![]
        );
        assert_eq!(stale(ring(None)), vec![]);
        // Broken: another package, or unreadable.
        let f = stale(ring(Some(Ok(status("1.441.89.0", "1.441.89.0-sha")))));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, Severity::Warning);
        assert!(f[0].1.contains("describes 1.441.89.0"), "{}", f[0].1);
        let f = stale(ring(Some(Err("not a status file".into()))));
        assert_eq!(f[0].0, Severity::Warning);
    }

    #[test]
    fn a_failed_last_sync_in_the_status_file_warns_and_a_good_one_is_quiet() {
        use crate::mirror::status::{Attempt, MirrorStatus};
        let status = |attempt: Option<(bool, Option<&str>)>, success: Option<&str>| MirrorStatus {
            schema_version: 1,
            written_at: "2026-12-07T10:00:00Z".into(),
            written_by: "mirror run".into(),
            hostname: Some("mirror01".into()),
            arch: Default::default(),
            last_attempt: attempt.map(|(ok, error)| Attempt {
                at: "2026-12-07T10:00:00Z".into(),
                ok,
                error: error.map(str::to_string),
            }),
            last_success: success.map(str::to_string),
            published: None,
        };
        let raised = |st: MirrorStatus| {
            let mut s = snapshot(healthy(), None);
            s.staged = None;
            s.statuses = vec![crate::mirror_host::RingStatus {
                platform: "linux".into(),
                ring: "production".into(),
                path: PathBuf::from(ROOT).join("linux/production"),
                status: Some(Ok(st)),
            }];
            check(&s)
                .iter()
                .filter(|f| f.id == SYNC_FAILED.id)
                .map(|f| (f.severity, f.title.clone()))
                .collect::<Vec<_>>()
        };
        // Healthy: the last attempt worked, or the file records none yet.
        assert_eq!(
            raised(status(Some((true, None)), Some("2026-12-07T10:00:00Z"))),
            []
        );
        assert_eq!(raised(status(None, None)), []);
        // Broken: it failed (a proxy's 403), after an earlier good one or before any.
        let f = raised(status(
            Some((false, Some("the proxy answered 403 Forbidden"))),
            Some("2026-11-28T10:00:00Z"),
        ));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, Severity::Warning);
        assert!(f[0].1.contains("403 Forbidden"), "{}", f[0].1);
        assert!(f[0].1.contains("2026-11-28T10:00:00Z"), "{}", f[0].1);
        let f = raised(status(Some((false, None)), None));
        assert!(f[0].1.contains("no sync has worked yet"), "{}", f[0].1);
    }
}
