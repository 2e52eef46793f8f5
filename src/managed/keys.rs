//! Every documented key of `mdatp_managed.json` (Linux), with its type, so a checker can
//! catch a typo anywhere, not only in the offline-update keys. Source: Microsoft Learn
//! "Set preferences for Microsoft Defender for Endpoint on Linux" (2024 to 2026-07).

/// What a key's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Enum(&'static [&'static str]),
    /// A whole number in a range.
    Int(i64, i64),
    /// A number of seconds, more than zero.
    Seconds,
    String,
    Array,
    Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub section: &'static str,
    pub key: &'static str,
    pub kind: Kind,
}

const ON_OFF: &[&str] = &["enabled", "disabled"];

const fn k(section: &'static str, key: &'static str, kind: Kind) -> KeySpec {
    KeySpec { section, key, kind }
}

pub const SECTIONS: &[&str] = &[
    "antivirusEngine",
    "scheduledScan",
    "cloudService",
    "features",
    "networkProtection",
    "edr",
    "exclusionSettings",
];

pub const KEYS: &[KeySpec] = &[
    k(
        "antivirusEngine",
        "enforcementLevel",
        Kind::Enum(&["real_time", "on_demand", "passive", "audit"]),
    ),
    k("antivirusEngine", "behaviorMonitoring", Kind::Enum(ON_OFF)),
    k("antivirusEngine", "scanAfterDefinitionUpdate", Kind::Bool),
    k("antivirusEngine", "scanArchives", Kind::Bool),
    k(
        "antivirusEngine",
        "maximumOnDemandScanThreads",
        Kind::Int(1, 64),
    ),
    k(
        "antivirusEngine",
        "exclusionsMergePolicy",
        Kind::Enum(&["merge", "admin_only"]),
    ),
    k("antivirusEngine", "exclusions", Kind::Array),
    k(
        "antivirusEngine",
        "nonExecMountPolicy",
        Kind::Enum(&["unmute", "mute"]),
    ),
    k("antivirusEngine", "unmonitoredFilesystems", Kind::Array),
    k("antivirusEngine", "enableFileHashComputation", Kind::Bool),
    k("antivirusEngine", "allowedThreats", Kind::Array),
    k("antivirusEngine", "disallowedThreatActions", Kind::Array),
    k("antivirusEngine", "threatTypeSettings", Kind::Array),
    k(
        "antivirusEngine",
        "threatTypeSettingsMergePolicy",
        Kind::Enum(&["merge", "admin_only"]),
    ),
    k(
        "antivirusEngine",
        "scanResultsRetentionDays",
        Kind::Int(1, 180),
    ),
    k(
        "antivirusEngine",
        "scanHistoryMaximumItems",
        Kind::Int(5000, 15000),
    ),
    k("antivirusEngine", "scanFileModifyPermissions", Kind::Bool),
    k("antivirusEngine", "scanFileModifyOwnership", Kind::Bool),
    k("antivirusEngine", "scanNetworkSocketEvent", Kind::Bool),
    k(
        "antivirusEngine",
        "offlineDefinitionUpdate",
        Kind::Enum(ON_OFF),
    ),
    k(
        "antivirusEngine",
        "offlineDefinitionUpdateUrl",
        Kind::String,
    ),
    k(
        "antivirusEngine",
        "offlineDefinitionUpdateFallbackToCloud",
        Kind::Bool,
    ),
    k("antivirusEngine", "enableRealTimeProtection", Kind::Bool),
    k("antivirusEngine", "passiveMode", Kind::Bool),
    k("scheduledScan", "weeklyConfiguration", Kind::Object),
    k("scheduledScan", "dailyConfiguration", Kind::Object),
    k("scheduledScan", "runScanWhenIdle", Kind::Bool),
    k("scheduledScan", "lowPriorityScheduledScan", Kind::Bool),
    k("scheduledScan", "checkForDefinitionsUpdate", Kind::Bool),
    k("scheduledScan", "ignoreExclusions", Kind::Bool),
    k("scheduledScan", "randomizeScanStartTime", Kind::Int(0, 23)),
    k("cloudService", "enabled", Kind::Bool),
    k(
        "cloudService",
        "diagnosticLevel",
        Kind::Enum(&["optional", "required"]),
    ),
    k(
        "cloudService",
        "cloudBlockLevel",
        Kind::Enum(&["normal", "moderate", "high", "high_plus", "zero_tolerance"]),
    ),
    k(
        "cloudService",
        "automaticSampleSubmissionConsent",
        Kind::Enum(&["none", "safe", "all"]),
    ),
    k(
        "cloudService",
        "automaticDefinitionUpdateEnabled",
        Kind::Bool,
    ),
    k("cloudService", "definitionUpdatesInterval", Kind::Seconds),
    k("cloudService", "proxy", Kind::String),
    k("features", "moduleLoad", Kind::Enum(ON_OFF)),
    k(
        "features",
        "supplementarySensorConfigurations",
        Kind::Object,
    ),
    k(
        "features",
        "ebpfSupplementaryEventProvider",
        Kind::Enum(ON_OFF),
    ),
    k("features", "remediateInfectedFile", Kind::Enum(ON_OFF)),
    k(
        "features",
        "offlineDefinitionUpdateVerifySig",
        Kind::Enum(ON_OFF),
    ),
    k(
        "networkProtection",
        "enforcementLevel",
        Kind::Enum(&["disabled", "audit", "block"]),
    ),
    k("networkProtection", "disableIcmpInspection", Kind::Bool),
    k("edr", "groupIds", Kind::String),
    k("edr", "tags", Kind::Array),
    k(
        "exclusionSettings",
        "mergePolicy",
        Kind::Enum(&["merge", "admin_only"]),
    ),
    k("exclusionSettings", "exclusions", Kind::Array),
];

/// Keys Microsoft's own sample file uses as comments; never worth a finding.
pub const COMMENT_KEYS: &[&str] = &["info", "possible values"];

pub fn find(section: &str, key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|s| s.section == section && s.key == key)
}

/// The sections (other than `section`) that document `key`.
pub fn other_sections(section: &str, key: &str) -> Vec<&'static str> {
    KEYS.iter()
        .filter(|s| s.key == key && s.section != section)
        .map(|s| s.section)
        .collect()
}

/// The closest documented name to a misspelled one, when it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (levenshtein(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d > 0 && *d <= 3.max(c.len() / 8))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance (insertions, deletions, substitutions).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
