//! Every documented key of `mdatp_managed.json` (Linux), with its type, so a checker can
//! catch a typo anywhere, not only in the offline-update keys. Sources (docs/config.md):
//! Microsoft Learn "Set preferences for Microsoft Defender for Endpoint on Linux" (2024
//! to 2026) and its full sample profile, "Schedule antivirus scans on Linux" (2026), the
//! Intune Linux antivirus settings, the macOS schema for the update interval.

/// What a key's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Enum(&'static [&'static str]),
    /// A whole number in a range.
    Int(i64, i64),
    /// `cloudService.definitionUpdatesInterval`: a number of seconds; the documented
    /// ranges are checked apart ([`INTERVAL_MACOS_SCHEMA`], [`INTERVAL_INTUNE_LINUX`]).
    Interval,
    /// `"enabled"` / `"disabled"`, or an object (`antivirusEngine.scheduledScan`: the
    /// shared key list documents the switch, the 2026 Linux scheduling page an object).
    SwitchOrObject,
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

pub const ON_OFF: &[&str] = &["enabled", "disabled"];
const SENSORS: &str = "features.supplementarySensorConfigurations";

const fn k(section: &'static str, key: &'static str, kind: Kind) -> KeySpec {
    KeySpec { section, key, kind }
}

/// `cloudService.definitionUpdatesInterval` in seconds as the macOS schema bounds it
/// (mdatp-xplat `macos/schema/schema.json`).
pub const INTERVAL_MACOS_SCHEMA: (i64, i64) = (60, 86_400);
/// The same setting as Intune's Linux antivirus policy bounds it.
pub const INTERVAL_INTUNE_LINUX: (i64, i64) = (0, 86_400);

/// The top-level sections.
pub const SECTIONS: &[&str] = &[
    "antivirusEngine",
    "scheduledScan",
    "cloudService",
    "features",
    "networkProtection",
    "edr",
    "exclusionSettings",
];

/// Objects below the top level whose keys are documented too (dotted paths).
pub const NESTED: &[&str] = &[
    "scheduledScan.weeklyConfiguration",
    "scheduledScan.dailyConfiguration",
    "features.supplementarySensorConfigurations",
];

/// Whether the keys of the object at this dotted path are checked.
pub fn is_checked_object(path: &str) -> bool {
    SECTIONS.contains(&path) || NESTED.contains(&path)
}

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
    k("antivirusEngine", "scheduledScan", Kind::SwitchOrObject),
    k("scheduledScan", "weeklyConfiguration", Kind::Object),
    k("scheduledScan", "dailyConfiguration", Kind::Object),
    k("scheduledScan", "runScanWhenIdle", Kind::Bool),
    k("scheduledScan", "lowPriorityScheduledScan", Kind::Bool),
    k("scheduledScan", "checkForDefinitionsUpdate", Kind::Bool),
    k("scheduledScan", "ignoreExclusions", Kind::Bool),
    k("scheduledScan", "randomizeScanStartTime", Kind::Int(0, 23)),
    k(
        "scheduledScan.weeklyConfiguration",
        "dayOfWeek",
        Kind::Int(0, 8),
    ),
    k(
        "scheduledScan.weeklyConfiguration",
        "scanType",
        Kind::Enum(&["quick", "full"]),
    ),
    k(
        "scheduledScan.weeklyConfiguration",
        "timeOfDay",
        Kind::Int(0, 1440),
    ),
    k(
        "scheduledScan.dailyConfiguration",
        "timeOfDay",
        Kind::Int(0, 1440),
    ),
    k(
        "scheduledScan.dailyConfiguration",
        "interval",
        Kind::Int(0, 24),
    ),
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
    k("cloudService", "definitionUpdatesInterval", Kind::Interval),
    k("cloudService", "proxy", Kind::String),
    k("features", "moduleLoad", Kind::Enum(ON_OFF)),
    k(
        "features",
        "supplementarySensorConfigurations",
        Kind::Object,
    ),
    k(SENSORS, "enableFilePermissionEvents", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableFileOwnershipEvents", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableRawSocketEvent", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableBootLoaderCalls", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableProcessCalls", Kind::Enum(ON_OFF)),
    k(SENSORS, "enablePseudofsCalls", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableEbpfModuleLoadEvents", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableOtherFsOpenEvents", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableEbpfSourceEnrichment", Kind::Enum(ON_OFF)),
    k(SENSORS, "enableAntivirusEngineCache", Kind::Enum(ON_OFF)),
    k(SENSORS, "sendLowfiEvents", Kind::Enum(ON_OFF)),
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
/// Names whose length alone puts them out of reach are never compared, so a key of a
/// megabyte costs no more than a short one.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let reach = |c: &str| 3.max(c.len() / 8);
    let len = word.chars().count();
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|c| len.abs_diff(c.chars().count()) <= reach(c))
        .map(|c| (strsim::levenshtein(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d > 0 && *d <= reach(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
