//! The health fields we know by name: which belong to security intelligence updates,
//! and the type of each typed one (boolean, integer, date, enum). Fields not listed here
//! are still kept; these lists order output, type values a build prints loosely, and let
//! the parser tell a health report from other text (one known field at least).

/// Definitions-related fields, in the order mdatp prints them for
/// `mdatp health --details definitions` (101.26062.0005 and later).
pub const DEFINITIONS: &[&str] = &[
    "automatic_definition_update_enabled",
    "definitions_updated",
    "definitions_updated_minutes_ago",
    "definitions_version",
    "definitions_status",
    "definitions_update_source_uri",
    "definitions_update_fail_reason",
    "offline_definition_url_configured",
    "offline_definition_update",
    "offline_definition_update_verify_sig",
    "engine_signature_verification",
    "offline_definition_update_fallback_to_cloud",
];

/// Other fields of `mdatp health` documented by Microsoft or seen in captures.
pub const OTHER_KNOWN: &[&str] = &[
    "healthy",
    "health_issues",
    "licensed",
    "engine_version",
    "engine_load_status",
    "app_version",
    "org_id",
    "log_level",
    "machine_guid",
    "release_ring",
    "product_expiration",
    "cloud_enabled",
    "cloud_automatic_sample_submission_consent",
    "cloud_diagnostic_enabled",
    "cloud_pin_certificate_thumbs",
    "passive_mode_enabled",
    "antivirus_enforcement_level",
    "enforcement_level",
    "behavior_monitoring",
    "real_time_protection_enabled",
    "real_time_protection_available",
    "real_time_protection_subsystem",
    "supplementary_events_subsystem",
    "tamper_protection",
    "edr_early_preview_enabled",
    "edr_device_tags",
    "edr_group_ids",
    "edr_client_version",
    "edr_configuration_version",
    "edr_machine_id",
    "conflicting_applications",
    "network_protection_status",
    "network_protection_enforcement_level",
    "troubleshooting_mode",
    "managed_by",
    "functionality_mode",
    "proxy",
    "telemetry_client",
];

/// Fields whose value is a boolean, so a bare `1`/`0` (printed by some builds) means
/// `true`/`false` there.
pub const BOOLEANS: &[&str] = &[
    "healthy",
    "licensed",
    "cloud_enabled",
    "cloud_diagnostic_enabled",
    "passive_mode_enabled",
    "real_time_protection_enabled",
    "real_time_protection_available",
    "automatic_definition_update_enabled",
    "troubleshooting_mode",
    "offline_definition_update_fallback_to_cloud",
];

/// Fields whose value is an integer.
pub const INTEGERS: &[&str] = &["definitions_updated_minutes_ago"];

/// Fields whose value is a date: `Mar 14, 2024 at 12:13:17 PM` in the text form, epoch
/// milliseconds in the JSON form and in the text form of 2020 builds.
pub const DATES: &[&str] = &["definitions_updated", "product_expiration"];

/// Fields whose value is one of a documented set (docs/parser.md says where each value
/// is documented). A value outside the set is kept, with a warning.
pub const ENUMS: &[(&str, &[&str])] = &[
    (
        "definitions_status",
        &[
            "up_to_date",
            "updating",
            "unavailable",
            "update_failed",
            "could_be_older",
        ],
    ),
    (
        "antivirus_enforcement_level",
        &["real_time", "on_demand", "passive", "audit"],
    ),
    (
        "enforcement_level",
        &["real_time", "on_demand", "passive", "audit"],
    ),
    ("offline_definition_update", &["enabled", "disabled"]),
    (
        "offline_definition_update_verify_sig",
        &["enabled", "disabled", "DEPRECATED"],
    ),
    ("engine_signature_verification", &["enabled"]),
];

/// Keys of the camelCase text form of 2020 builds (`mdatp --health`) whose snake_case
/// spelling is not the current name.
pub const LEGACY_ALIASES: &[(&str, &str)] = &[("versionEngine", "engine_version")];

/// The type a known field's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Date,
    /// One of these values.
    Enum(&'static [&'static str]),
}

/// The type of a known field, `None` for fields whose value we do not type.
pub fn kind(name: &str) -> Option<Kind> {
    if BOOLEANS.contains(&name) {
        Some(Kind::Bool)
    } else if INTEGERS.contains(&name) {
        Some(Kind::Int)
    } else if DATES.contains(&name) {
        Some(Kind::Date)
    } else {
        ENUMS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, values)| Kind::Enum(values))
    }
}

/// True for a field mdatp health prints that we know by name (any section we list).
pub fn is_known(name: &str) -> bool {
    rank(name).0 != Group::Unknown
}

/// `definitionsUpdatedMinutesAgo` → `definitions_updated_minutes_ago`; acronym runs stay
/// one word (`offlineURLConfigured` → `offline_url_configured`).
pub fn snake_case(camel: &str) -> String {
    let chars: Vec<char> = camel.chars().collect();
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The current name of a key as printed: snake_case keys as they are; the camelCase keys
/// of 2020 builds' text form (`definitionsUpdated`) mapped like the JSON form's
/// (`definitions_updated`), with [`LEGACY_ALIASES`] for the few that were renamed.
pub fn canonical_name(key: &str) -> std::borrow::Cow<'_, str> {
    let camel = key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && key.bytes().any(|b| b.is_ascii_uppercase())
        && key.bytes().all(|b| b.is_ascii_alphanumeric());
    if !camel {
        return key.into();
    }
    match LEGACY_ALIASES.iter().find(|(old, _)| *old == key) {
        Some((_, new)) => (*new).into(),
        None => snake_case(key).into(),
    }
}

/// Fields that hold a point in time (epoch milliseconds in the JSON output).
pub fn is_timestamp(name: &str) -> bool {
    matches!(name, "definitions_updated" | "product_expiration")
        || name.ends_with("_timestamp")
        || name.ends_with("_time")
}

/// Where a field goes in ordered output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Definitions,
    Known,
    Unknown,
}

/// The group of a field and its rank inside the group (unknown fields keep mdatp's order).
pub fn rank(name: &str) -> (Group, usize) {
    if let Some(i) = DEFINITIONS.iter().position(|f| *f == name) {
        (Group::Definitions, i)
    } else if let Some(i) = OTHER_KNOWN.iter().position(|f| *f == name) {
        (Group::Known, i)
    } else {
        (Group::Unknown, 0)
    }
}

#[cfg(test)]
mod tests;
