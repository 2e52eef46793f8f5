//! The health fields we know by name: which belong to security intelligence updates,
//! which are booleans, which are timestamps. Fields not listed here are still kept;
//! this list only orders output and types values a build prints loosely.

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
