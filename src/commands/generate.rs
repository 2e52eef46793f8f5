//! Hidden `generate` subcommand: writes shell completions and man pages from the clap
//! definition, so they can never drift from it (a test regenerates and compares).

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, GenerateArgs};
use crate::commands::Finished;
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::safe_write;

pub const BIN: &str = "mdatp-doctor";

/// Every generated file as (relative path, contents).
pub fn artifacts() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), BIN, &mut buf);
        if shell == Shell::Bash {
            buf = fix_bash_arms(&buf);
        }
        let name = match shell {
            Shell::Bash => format!("{BIN}.bash"),
            Shell::Zsh => format!("_{BIN}"),
            Shell::Fish => format!("{BIN}.fish"),
            Shell::PowerShell => format!("_{BIN}.ps1"),
            _ => format!("{BIN}.elv"),
        };
        out.push((format!("completions/{name}"), buf));
    }

    // No `help` subcommand in the man pages: it has no page of its own, so naming it
    // would leave a dangling reference.
    let mut cmd = without_help_subcommand(Cli::command());
    // Building propagates global options into subcommands, so each page lists them, and
    // names each subcommand both for its page (`mdatp-doctor-config-check`) and for its
    // synopsis (`mdatp-doctor config check`).
    cmd.build();
    man_pages(&cmd, &[], &mut out);
    out
}

fn without_help_subcommand(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let mut cmd = cmd.disable_help_subcommand(true);
    for name in names {
        cmd = cmd.mut_subcommand(name, without_help_subcommand);
    }
    cmd
}

/// The page of `cmd` (at `path` below the binary), then those of its visible subcommands.
fn man_pages(cmd: &clap::Command, path: &[&str], out: &mut Vec<(String, Vec<u8>)>) {
    out.push((
        format!("man/{}.1", man::page_name(path)),
        man::render(cmd, path),
    ));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut below = path.to_vec();
        below.push(sub.get_name());
        man_pages(sub, &below, out);
    }
}

/// clap_complete's bash script names the subcommand states `mdatp__doctor__subcmd__X`
/// but writes their case arms as `mdatp__subcmd__doctor__subcmd__X` when the binary name
/// has a hyphen, so completion stops after the subcommand. Spell the arms the way the
/// states are set.
fn fix_bash_arms(script: &[u8]) -> Vec<u8> {
    let wrong = BIN.replace('-', "__subcmd__");
    let right = BIN.replace('-', "__");
    String::from_utf8_lossy(script)
        .replace(&format!("{wrong}__"), &format!("{right}__"))
        .into_bytes()
}

/// Man pages: clap_mangen renders what the clap definition knows (name, synopsis,
/// description, options, subcommands); the sections it cannot know (exit status,
/// environment, files, examples, see also) are written here, per page.
pub mod man {
    use super::BIN;

    /// What one page adds to the clap definition.
    pub struct Extra {
        /// (status, meaning), in order.
        pub exit: &'static [(&'static str, &'static str)],
        /// The FILES entries that concern this command (keys of [`FILES`]).
        pub files: &'static [&'static str],
        /// Related pages, as paths below the binary (`&["config", "check"]`).
        pub see_also: &'static [&'static [&'static str]],
    }

    /// `mdatp-doctor`, `mdatp-doctor-health`, `mdatp-doctor-config-check`.
    pub fn page_name(path: &[&str]) -> String {
        std::iter::once(BIN)
            .chain(path.iter().copied())
            .collect::<Vec<_>>()
            .join("-")
    }

    const USAGE: (&str, &str) = (
        "64",
        "Usage error: an unknown or refused option, a bad value (clap's errors included).",
    );
    const FINDINGS: [(&str, &str); 4] = [
        (
            "0",
            "Nothing wrong (no finding, or only informational ones).",
        ),
        ("1", "The worst finding is a warning."),
        ("2", "The worst finding is critical."),
        (
            "3",
            "Unknown: the state could not be determined (mdatp missing, timed out or unreadable).",
        ),
    ];

    /// FILES entries: (key, path, what it is).
    const FILES: &[(&str, &str, &str)] = &[
        (
            "managed",
            "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json",
            "The managed configuration file mdatp reads (--managed-config, MDATP_DOCTOR_MANAGED_CONFIG).",
        ),
        (
            "client",
            "/opt/microsoft/mdatp/sbin/wdavdaemonclient",
            "The mdatp client, used when no `mdatp` is on PATH (--mdatp, MDATP_DOCTOR_MDATP).",
        ),
        (
            "state",
            "/var/lib/mdatp-doctor/",
            "The state directory when run as root (--state-dir, MDATP_DOCTOR_STATE_DIR); for \
             other users $XDG_STATE_HOME/mdatp-doctor, else ~/.local/state/mdatp-doctor, else \
             $XDG_RUNTIME_DIR/mdatp-doctor. It must belong to the user alone.",
        ),
        (
            "history",
            "<state dir>/history.jsonl",
            "The run history: health, diagnose, check and update append one JSON line per run \
             (mode 0600, the newest 1000 kept); diagnose reads it to date toggles of the offline \
             update setting.",
        ),
        (
            "update.lock",
            "<state dir>/update.lock",
            "Held while update (or config fix) changes mdatp, so two runs never overlap.",
        ),
        (
            "backups",
            "<state dir>/backups/",
            "config fix: a 0600 copy of the managed file before each change (--backup-dir), \
             which --undo restores.",
        ),
        (
            "mirror-run.lock",
            "<state dir>/mirror-run.lock",
            "Held by mirror run, promote and rollback, so no two of them ever overlap; the \
             copies of the good arch folders mirror run keeps during a run also live in the \
             state directory.",
        ),
        (
            "logs",
            "/var/log/microsoft/mdatp/",
            "mdatp's logs, whose tails the support bundle collects (--log-dir).",
        ),
        (
            "wdavcfg",
            "/etc/opt/microsoft/mdatp/wdavcfg",
            "mdatp's local configuration, collected redacted (--wdavcfg).",
        ),
        (
            "bundle",
            "./mdatp-doctor-<hostname>-<UTC time>.tar.gz",
            "The support bundle written when -o is not given.",
        ),
        (
            "check.prom",
            "<DIR>/mdatp_doctor.prom",
            "Written atomically (0644) with --textfile-dir DIR, for node_exporter's textfile collector.",
        ),
        (
            "downloader",
            "/opt/wdav-update/xplat_offline_updates_download.sh",
            "Microsoft's offline update downloader (mirror run --script); it reads settings.json \
             from its own directory.",
        ),
        (
            "settings",
            "settings.json",
            "The downloader's settings (downloadFolder, logFilePath, platforms, rings), next to \
             the script; mirror check looks in common places when --settings is not given.",
        ),
        (
            "downloader-log",
            "<logFilePath of settings.json>",
            "The downloader's log: mirror check reads its last run and `Error (N):` lines.",
        ),
        (
            "schedule",
            "/etc/crontab, /etc/cron.d/, /etc/systemd/system/",
            "Where mirror check looks for the schedule that runs the downloader.",
        ),
        (
            "mirror.prom",
            "<DIR>/mdatp_mirror.prom",
            "mirror check's metrics, written atomically with --textfile-dir DIR.",
        ),
        (
            "mirror_run.prom",
            "<DIR>/mdatp_mirror_run.prom",
            "mirror run's result, written atomically with --textfile-dir DIR.",
        ),
    ];

    /// ENVIRONMENT entries every page lists: (name, meaning). The variables tests use to
    /// move the machine's files are not settings and are not listed.
    const ENVIRONMENT: &[(&str, &str)] = &[
        (
            "MDATP_DOCTOR_MDATP",
            "The mdatp client to run, as --mdatp (which wins).",
        ),
        (
            "MDATP_DOCTOR_MANAGED_CONFIG",
            "The managed configuration file, as --managed-config (which wins).",
        ),
        (
            "MDATP_DOCTOR_STATE_DIR",
            "The state directory (run history, locks, backups), as --state-dir (which wins).",
        ),
        (
            "NO_COLOR",
            "When set and not empty, --color auto prints no colours.",
        ),
        ("TERM", "When `dumb`, --color auto prints no colours."),
        (
            "COLUMNS",
            "The width tables fit, when set to a number above 0; else the terminal's width, \
             else 80 columns. JSON never wraps.",
        ),
        (
            "XDG_STATE_HOME, HOME, XDG_RUNTIME_DIR",
            "Where a user other than root keeps the state directory, when neither --state-dir \
             nor MDATP_DOCTOR_STATE_DIR says.",
        ),
    ];

    /// For the pages of commands that reach a mirror.
    const PROXY: (&str, &str) = (
        "http_proxy, https_proxy, all_proxy",
        "Not used to reach the mirror: the endpoint commands probe it through mdatp's own proxy \
         (cloudService.proxy), as the daemon does, or --proxy. Only mirror check --online reads \
         them, as curl would.",
    );
    const PROXY_PAGES: &[&[&str]] = &[
        &[],
        &["connectivity"],
        &["diagnose"],
        &["check"],
        &["bundle"],
        &["mirror"],
        &["mirror", "check"],
    ];

    const ENDPOINT_FILES: &[&str] = &["managed", "client", "state", "history"];

    /// The extra sections of the page at `path`; `None` for a command without a page spec
    /// (a test makes sure there is none).
    pub fn extra(path: &[&str]) -> Option<Extra> {
        Some(match path {
            [] => Extra {
                exit: &[
                    FINDINGS[0],
                    FINDINGS[1],
                    FINDINGS[2],
                    FINDINGS[3],
                    USAGE,
                    (
                        "",
                        "Where a command differs (its page has the details): aggregate exits \
                         with the worst verdict of the fleet (its endpoints' and its mirror \
                         check reports'), and 3 when a report could not be \
                         read or was skipped unless a verdict is critical (2 beats 3; \
                         --exit-zero for report-only use); check \
                         --format prometheus|checkmk|icinga and mirror check in those formats exit 0 \
                         (the state is in the output); update exits 1 when the update came \
                         from the cloud through fallback; bundle exits 1 when a collector \
                         failed; config fix exits 1 when it proposes changes; mirror run exits \
                         2 for a bad run even when the downloader exited 0, 3 when another run \
                         holds the lock.",
                    ),
                ],
                files: &["managed", "client", "state", "history", "logs"],
                see_also: &[&["diagnose"], &["connectivity"], &["update"], &["check"]],
            },
            ["health"] => Extra {
                exit: &[
                    ("0", "The health output was read."),
                    (
                        "3",
                        "mdatp could not be run, or its output (or the --from-file file) could not be read.",
                    ),
                    USAGE,
                ],
                files: &["client", "state", "history"],
                see_also: &[&["diagnose"]],
            },
            ["connectivity"] => Extra {
                exit: &[
                    FINDINGS[0],
                    FINDINGS[1],
                    FINDINGS[2],
                    (
                        "3",
                        "Nothing could be probed: no URL anywhere and mdatp unusable.",
                    ),
                    USAGE,
                ],
                files: &["managed", "client"],
                see_also: &[&["diagnose"], &["mirror", "check"]],
            },
            ["diagnose"] => Extra {
                exit: &[
                    FINDINGS[0],
                    FINDINGS[1],
                    FINDINGS[2],
                    (
                        "3",
                        "Unknown: mdatp could not be read and nothing critical was found.",
                    ),
                    (
                        "64",
                        "Usage error, an unknown finding id for --explain included. --list and \
                         --explain exit 0.",
                    ),
                ],
                files: ENDPOINT_FILES,
                see_also: &[
                    &["connectivity"],
                    &["update"],
                    &["check"],
                    &["config", "check"],
                ],
            },
            ["check"] => Extra {
                exit: &[
                    (
                        "0, 1, 2, 3",
                        "OK, WARNING, CRITICAL, UNKNOWN in the nagios, human and json formats. \
                         UNKNOWN also when --deadline runs out; in the nagios format every \
                         internal error and bad command line is UNKNOWN (3) too.",
                    ),
                    (
                        "0",
                        "Always with --format prometheus, checkmk or icinga: the state is in the output \
                         (3 when the --textfile-dir file could not be written).",
                    ),
                    ("64", "Usage error, in the formats other than nagios."),
                ],
                files: &["managed", "client", "state", "history", "check.prom"],
                see_also: &[&["diagnose"], &["mirror", "check"]],
            },
            ["update"] => Extra {
                exit: &[
                    ("0", "Updated from the mirror, or already current."),
                    (
                        "1",
                        "Updated from Microsoft's cloud through fallback: the mirror is broken.",
                    ),
                    (
                        "2",
                        "The update failed (a fail reason, update_failed, or mdatp's update \
                         command failing while nothing changed).",
                    ),
                    (
                        "3",
                        "Could not tell: timeout, mdatp failed, health stopped answering, the lock \
                         is held, interrupted.",
                    ),
                    USAGE,
                ],
                files: &["managed", "client", "state", "history", "update.lock"],
                see_also: &[&["diagnose"], &["connectivity"]],
            },
            ["bundle"] => Extra {
                exit: &[
                    (
                        "0",
                        "Every collector worked (--list-contents: the bundle is intact).",
                    ),
                    (
                        "1",
                        "Some collectors failed; the bundle is still written and its manifest \
                         says which and why.",
                    ),
                    (
                        "2",
                        "No bundle could be written (--list-contents: an entry is missing or altered).",
                    ),
                    (
                        "64",
                        "Usage error, an existing file or a symlink at -o included.",
                    ),
                ],
                files: &[
                    "managed", "client", "state", "history", "logs", "wdavcfg", "bundle",
                ],
                see_also: &[&["diagnose"]],
            },
            ["aggregate"] => Extra {
                exit: &[
                    (
                        "0",
                        "Every endpoint's verdict is ok (or info) and every input was read.",
                    ),
                    (
                        "1",
                        "The fleet's worst verdict is a warning, and every input was read.",
                    ),
                    (
                        "2",
                        "Some endpoint's verdict is critical, even when reports could not be \
                         read or were skipped: a problem seen outranks one not known \
                         (critical beats unknown, as in every verdict).",
                    ),
                    (
                        "3",
                        "Nothing is critical, and an endpoint's verdict is unknown, a report \
                         could not be read or was skipped (so the fleet is not known whole: \
                         this beats warning and ok), or no report could be read at all (the \
                         paths and why are named).",
                    ),
                    (
                        "",
                        "Precedence, highest first: critical (2), unknown or unreadable (3), \
                         warning (1), ok (0). With --exit-zero: 0 whatever the fleet's verdict \
                         (report only); no readable report at all is still 3.",
                    ),
                    USAGE,
                ],
                files: &[],
                see_also: &[&["diagnose"]],
            },
            ["config"] => Extra {
                exit: &[(
                    "",
                    "As the subcommand's: see mdatp-doctor-config-check(1) and mdatp-doctor-config-fix(1).",
                )],
                files: &["managed", "backups"],
                see_also: &[&["config", "check"], &["config", "fix"]],
            },
            ["config", "check"] => Extra {
                exit: &[
                    FINDINGS[0],
                    FINDINGS[1],
                    (
                        "2",
                        "The worst finding is critical (invalid JSON, a key mdatp ignores where it matters).",
                    ),
                    (
                        "3",
                        "A file named on the command line (PATH, or --managed-config) is missing or unreadable.",
                    ),
                    USAGE,
                ],
                files: &["managed"],
                see_also: &[&["config", "fix"], &["diagnose"]],
            },
            ["config", "fix"] => Extra {
                exit: &[
                    (
                        "0",
                        "Nothing to change (dry run), or every change taken by mdatp.",
                    ),
                    (
                        "1",
                        "Changes proposed, findings left for a person, or a change mdatp did not pick up.",
                    ),
                    ("2, 3", "The fix cannot be computed or written."),
                    USAGE,
                ],
                files: &["managed", "state", "backups", "update.lock"],
                see_also: &[&["config", "check"], &["diagnose"]],
            },
            ["mirror"] => Extra {
                exit: &[(
                    "",
                    "As the subcommand's: see mdatp-doctor-mirror-check(1), mdatp-doctor-mirror-run(1), mdatp-doctor-mirror-promote(1) and mdatp-doctor-mirror-rollback(1).",
                )],
                files: &["downloader", "settings"],
                see_also: &[
                    &["mirror", "check"],
                    &["mirror", "run"],
                    &["mirror", "promote"],
                    &["mirror", "rollback"],
                ],
            },
            ["mirror", "check"] => Extra {
                exit: &[
                    FINDINGS[0],
                    FINDINGS[1],
                    FINDINGS[2],
                    ("3", "Unknown: what should be checked could not be read."),
                    (
                        "",
                        "With --format prometheus, checkmk or icinga: 0, the state is in the output (3 \
                         when the --textfile-dir file could not be written).",
                    ),
                    USAGE,
                ],
                files: &[
                    "downloader",
                    "settings",
                    "downloader-log",
                    "schedule",
                    "mirror.prom",
                ],
                see_also: &[&["mirror", "run"], &["connectivity"]],
            },
            ["mirror", "run"] => Extra {
                exit: &[
                    ("0", "The run went well and left a good tree."),
                    (
                        "1",
                        "The worst finding on the tree is a warning, or no copy of the previous package could be kept.",
                    ),
                    (
                        "2",
                        "The run was bad (the script failed, timed out or could not be started, \
                         or left a bad tree), even when the script exited 0.",
                    ),
                    ("3", "Another run holds the lock."),
                    USAGE,
                ],
                files: &[
                    "downloader",
                    "settings",
                    "downloader-log",
                    "state",
                    "mirror-run.lock",
                    "mirror_run.prom",
                ],
                see_also: &[&["mirror", "check"], &["mirror", "promote"]],
            },
            ["mirror", "promote"] => Extra {
                exit: &[
                    ("0", "Promoted, or nothing newer to promote."),
                    (
                        "1",
                        "Swapped in, but a retired folder could not be removed (its path is printed).",
                    ),
                    (
                        "2",
                        "Refused (a bad or older package, or the canary gate not met; each \
                         reason and what to do next is printed), or a step failed; what was \
                         served before still is.",
                    ),
                    (
                        "3",
                        "Another mirror run, promote or rollback holds the lock.",
                    ),
                    USAGE,
                ],
                files: &["state", "mirror-run.lock"],
                see_also: &[&["mirror", "rollback"], &["mirror", "run"], &["aggregate"]],
            },
            ["mirror", "rollback"] => Extra {
                exit: &[
                    (
                        "0",
                        "Rolled back, or production already serves the back folder's package.",
                    ),
                    (
                        "2",
                        "Nothing to roll back to, the back folder is not fit to serve, or a step \
                         failed; what was served before still is.",
                    ),
                    (
                        "3",
                        "Another mirror run, promote or rollback holds the lock.",
                    ),
                    USAGE,
                ],
                files: &["state", "mirror-run.lock"],
                see_also: &[&["mirror", "promote"], &["mirror", "check"]],
            },
            _ => return None,
        })
    }

    /// One page: clap_mangen's sections, then ours.
    pub fn render(cmd: &clap::Command, path: &[&str]) -> Vec<u8> {
        let page = page_name(path);
        let version = cmd.get_version().unwrap_or_default();
        let man = clap_mangen::Man::new(cmd.clone())
            .title(page.clone())
            .source(format!("{BIN} {version}"))
            .manual("User Commands");
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut push = |f: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
            let mut buf = Vec::new();
            // Writing into memory cannot fail; a short page would fail the staleness test.
            let _ = f(&mut buf);
            parts.push(buf);
        };
        push(&|w| man.render_title(w));
        push(&|w| man.render_name_section(w));
        push(&|w| man.render_synopsis_section(w));
        push(&|w| man.render_description_section(w));
        if cmd.get_arguments().any(|a| !a.is_hide_set()) {
            push(&|w| man.render_options_section(w));
        }
        if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
            push(&|w| man.render_subcommands_section(w));
        }
        let mut text = String::new();
        for (i, part) in parts.iter().enumerate() {
            let part = String::from_utf8_lossy(part);
            // Each render_* call starts with the apostrophe preamble; keep the first.
            let body = match (i, part.find(".el .ds Aq '\n")) {
                (0, _) | (_, None) => &part[..],
                (_, Some(at)) => &part[at + ".el .ds Aq '\n".len()..],
            };
            text.push_str(body);
        }
        if let Some(extra) = extra(path) {
            text.push_str(&sections(&extra, path));
        }
        text.into_bytes()
    }

    fn sections(extra: &Extra, path: &[&str]) -> String {
        let mut r = String::new();
        r.push_str(".SH \"EXIT STATUS\"\n");
        for (code, meaning) in extra.exit {
            if code.is_empty() {
                r.push_str(".PP\n");
            } else {
                r.push_str(&format!(".TP\n\\fB{}\\fR\n", escape(code)));
            }
            r.push_str(&format!("{}\n", escape(meaning)));
        }
        r.push_str(".SH ENVIRONMENT\n");
        let proxy = PROXY_PAGES.contains(&path).then_some(&PROXY);
        for (name, meaning) in ENVIRONMENT.iter().chain(proxy) {
            r.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                escape(name),
                escape(meaning)
            ));
        }
        let files: Vec<_> = FILES
            .iter()
            .filter(|(key, _, _)| extra.files.contains(key))
            .collect();
        if !files.is_empty() {
            r.push_str(".SH FILES\n");
            for (_, file, meaning) in files {
                r.push_str(&format!(
                    ".TP\n\\fI{}\\fR\n{}\n",
                    escape(file),
                    escape(meaning)
                ));
            }
        }
        r.push_str(".SH EXAMPLES\n");
        for (line, what) in crate::cli::examples(path) {
            r.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                escape(line),
                escape(what)
            ));
        }
        let mut see: Vec<String> = Vec::new();
        if !path.is_empty() {
            see.push(page_name(&[]));
        }
        see.extend(extra.see_also.iter().map(|p| page_name(p)));
        r.push_str(".SH \"SEE ALSO\"\n");
        let refs: Vec<String> = see
            .iter()
            .map(|p| format!("\\fB{}\\fR(1)", escape(p)))
            .collect();
        r.push_str(&format!("{}\n", refs.join(", ")));
        r
    }

    /// Text as roff reads it literally: backslashes, hyphens (as minus signs, which
    /// man pages use for options), apostrophes, and a leading control character.
    fn escape(text: &str) -> String {
        let out = text
            .replace('\\', "\\e")
            .replace('-', "\\-")
            .replace('\'', "\\*(Aq");
        if out.starts_with('.') {
            format!("\\&{out}")
        } else {
            out
        }
    }
}

/// The findings catalogue sits between these lines in [`FINDINGS_DOC`]; `generate`
/// rewrites it.
pub const TABLE_START: &str = "<!-- findings table: generated by `cargo run -- generate` -->\n";
pub const TABLE_END: &str = "<!-- end of findings table -->\n";

/// The page that holds the findings table, relative to the repository.
pub const FINDINGS_DOC: &str = "docs/findings.md";

/// `doc` with its findings table regenerated, when it has the markers.
pub fn with_findings_table(doc: &str) -> Option<String> {
    let start = doc.find(TABLE_START)? + TABLE_START.len();
    let end = start + doc[start..].find(TABLE_END)?;
    Some(format!(
        "{}{}{}",
        &doc[..start],
        crate::render::diagnose::catalogue_markdown(),
        &doc[end..]
    ))
}

pub fn run(args: &GenerateArgs) -> Result<Finished, Failure> {
    let mut written = String::new();
    let mut files = artifacts();
    // The page is not made here, only its table: regenerate it where there is one.
    if let Ok(doc) = std::fs::read_to_string(args.out_dir.join(FINDINGS_DOC))
        && let Some(new) = with_findings_table(&doc)
    {
        files.push((FINDINGS_DOC.into(), new.into_bytes()));
    }
    for (rel, bytes) in files {
        let path = args.out_dir.join(&rel);
        write(&path, &bytes).map_err(|e| {
            Failure::unknown(
                "write_failed",
                format!("could not write {}: {e}", path.display()),
                "check the directory exists and is writable",
            )
        })?;
        written.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(Finished {
        stdout: written,
        exit: ExitCode::Ok,
    })
}

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Checked-in, installable files: world-readable like any man page.
    safe_write::replace(path, bytes, 0o644)
}
