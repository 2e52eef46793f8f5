//! The names of a bundle's entries, one copy for the writer (`mdatp-doctor bundle`) and
//! the readers (`diagnose --from-bundle`, `--from-dir`, `bundle --list-contents`).

/// mdatp's outputs.
pub const CONNECTIVITY_TEST: &str = "mdatp/connectivity-test.txt";
pub const VERSION: &str = "mdatp/version.txt";
pub const DIAGNOSTIC_CREATE: &str = "mdatp/diagnostic-create.txt";
/// The report in people's words (`report.json` is the machine's).
pub const REPORT_TEXT: &str = "report.txt";
pub const WDAVCFG: &str = "config/wdavcfg";

pub const DEFINITIONS: &str = "mdatp/health-definitions.txt";
pub const HEALTH: &str = "mdatp/health.txt";
pub const HEALTH_JSON: &str = "mdatp/health.json";
pub const CONFIG: &str = "config/mdatp_managed.json";
pub const MIRROR: &str = "mirror.json";
pub const ENDPOINT: &str = "endpoint.json";
pub const SYSTEM: &str = "system.json";
pub const HISTORY: &str = "history.jsonl";
pub const REPORT: &str = "report.json";
pub const MANIFEST: &str = "MANIFEST.json";
/// The entries the snapshot is rebuilt from (and that a folder for `--from-dir` uses),
/// in the order `--from-dir` looks for them.
pub const ALL: [&str; 10] = [
    DEFINITIONS,
    HEALTH,
    HEALTH_JSON,
    CONFIG,
    MIRROR,
    ENDPOINT,
    SYSTEM,
    HISTORY,
    REPORT,
    MANIFEST,
];
