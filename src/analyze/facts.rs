//! Facts derived from a snapshot, computed once here and used by the rules, the metrics
//! and the fleet view alike, so they can never disagree.

use std::cmp::Ordering;
use std::time::Duration;

use super::finding::Evidence;
use super::snapshot::Snapshot;
use crate::mdatp::health::Health;
use crate::mdatp::value::Value;

/// The first mdatp on Linux that supports offline security intelligence updates.
pub const MIN_VERSION: &str = "101.24022.0001";
/// The first mdatp on macOS that supports them (the macOS offline-update page).
pub const MIN_VERSION_MACOS: &str = "101.25012.0003";
/// From this build the engine signature is always verified and the setting is ignored.
pub const VERIFY_SIG_DEPRECATED_FROM: &str = "101.26062.0005";
/// More than ten years in minutes: not an age mdatp can mean.
pub const ABSURD_MINUTES: i64 = 10 * 366 * 24 * 60;
/// A health field as evidence, as mdatp printed it.
pub fn ev(s: &Snapshot, name: &str) -> Evidence {
    let value = s
        .field(name)
        .map(|fl| {
            let text = fl.raw.clone().unwrap_or_else(|| match &fl.value {
                Value::Str(v) => format!("\"{v}\""),
                other => other.to_json().to_string(),
            });
            if fl.managed {
                format!("{text} [managed]")
            } else {
                text
            }
        })
        .unwrap_or_else(|| "(not reported)".into());
    Evidence::new("health", name, value)
}
pub use crate::units::compare_versions;
pub fn app_version(s: &Snapshot) -> Option<&str> {
    s.str("app_version")
}
/// Offline updates are on, as mdatp reports it (the definitions output first).
pub fn offline_enabled(s: &Snapshot) -> Option<bool> {
    [s.definitions.as_ref(), s.health.as_ref()]
        .into_iter()
        .flatten()
        .find_map(Health::offline_enabled)
}

/// The managed file asks for offline updates (`antivirusEngine.offlineDefinitionUpdate`).
pub fn file_enables_offline(s: &Snapshot) -> bool {
    s.config()
        .and_then(|c| c.get("antivirusEngine", "offlineDefinitionUpdate"))
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.trim() == "enabled")
}

/// Offline updates are in effect: health says enabled, or (health silent) the managed
/// file enables them. Settings about offline packages only matter then.
pub fn offline_in_effect(s: &Snapshot) -> bool {
    match offline_enabled(s) {
        Some(on) => on,
        None => file_enables_offline(s),
    }
}

/// Offline updates are asked for anywhere: enabled in health or the file, or a mirror
/// URL is configured (health or the file).
pub fn offline_configured(s: &Snapshot) -> bool {
    offline_enabled(s) == Some(true) || file_enables_offline(s) || mirror_configured(s)
}

/// The endpoint has a mirror URL (health's or the managed file's; one given on the
/// command line says nothing of the endpoint).
pub fn mirror_configured(s: &Snapshot) -> bool {
    s.mirror
        .url
        .as_ref()
        .is_some_and(|(_, src)| *src != crate::mirror::step::UrlSource::Argument)
}

/// The output comes from mdatp on macOS (read here from a pasted file or a bundle):
/// `full_disk_access_enabled` is a macOS-only health field (Microsoft's macOS system
/// extension pages). The URL is no evidence: a /mac/ URL on Linux is the very mistake
/// url-platform-mismatch names.
pub fn is_macos_output(s: &Snapshot) -> bool {
    let has = |name: &str| {
        [s.definitions.as_ref(), s.health.as_ref()]
            .into_iter()
            .flatten()
            .any(|h| h.get(name).is_some())
    };
    has("full_disk_access_enabled") || has("fullDiskAccessEnabled")
}

/// This build always verifies the engine signature and ignores the setting.
pub fn verification_always_on(s: &Snapshot) -> Option<bool> {
    app_version(s)
        .and_then(|v| compare_versions(v, VERIFY_SIG_DEPRECATED_FROM))
        .map(|o| o != Ordering::Less)
}

/// Verification of offline packages is switched off: the engine setting says so, or the
/// offline setting does on a build that still honours it (or whose version is unknown).
pub fn signature_verification_off(s: &Snapshot) -> bool {
    let sig_off = s.str("offline_definition_update_verify_sig") == Some("disabled")
        && verification_always_on(s) != Some(true);
    sig_off || s.str("engine_signature_verification") == Some("disabled")
}

/// Whether packages are verified, when health says enough to tell.
pub fn signature_verified(s: &Snapshot) -> Option<bool> {
    if signature_verification_off(s) {
        return Some(false);
    }
    match (
        s.str("engine_signature_verification"),
        s.str("offline_definition_update_verify_sig"),
    ) {
        (Some(e), _) => Some(e == "enabled"),
        (None, Some("DEPRECATED")) => Some(true),
        (None, Some(v)) => Some(verification_always_on(s) == Some(true) || v == "enabled"),
        (None, None) => None,
    }
}

/// A URL or path in one comparable spelling: lowercase scheme and host, no default port,
/// one trailing slash; `file://` URLs and plain paths become the path.
pub fn normalize_location(text: &str) -> String {
    let text = text.trim();
    let with_slash = |p: &str| format!("{}/", p.trim_end_matches('/'));
    if text.starts_with('/') {
        return with_slash(text);
    }
    match url::Url::parse(text) {
        Ok(u) if u.scheme() == "file" => with_slash(u.path()),
        Ok(mut u) => {
            let path = with_slash(u.path());
            u.set_path(&path);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => with_slash(&text.to_ascii_lowercase()),
    }
}
/// Whether an update source is one of Microsoft's own hosts.
pub fn is_microsoft(source: &str) -> bool {
    url::Url::parse(source)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| {
            [
                "microsoft.com",
                "microsoft.net",
                "windowsupdate.com",
                "msft.net",
            ]
            .iter()
            .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        })
}
/// Whether `source` is the configured mirror (the source may name a file below it).
pub fn is_mirror_source(source: &str, configured: &str) -> bool {
    !source.trim().is_empty()
        && !is_microsoft(source)
        && normalize_location(source).starts_with(&normalize_location(configured))
}
/// Whether the last update came from the configured mirror, as health tells it: `None`
/// when health names no source; a source with no configured mirror is not the mirror.
pub fn last_update_from_mirror(s: &Snapshot) -> Option<bool> {
    let source = s
        .str("definitions_update_source_uri")
        .map(str::trim)
        .filter(|v| !v.is_empty())?;
    let configured = s
        .str("offline_definition_url_configured")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    Some(configured.is_some_and(|c| is_mirror_source(source, c)))
}

/// How old the definitions are, and what the evidence says about that.
pub fn definitions_age(s: &Snapshot) -> Option<(Duration, Vec<Evidence>)> {
    let mut evidence = vec![
        ev(s, "definitions_updated"),
        ev(s, "definitions_updated_minutes_ago"),
    ];
    let from_date = s
        .field("definitions_updated")
        .and_then(|fl| match &fl.value {
            Value::DateTime(dt) => s.tz.to_timestamp(*dt).ok(),
            Value::Timestamp(ts) => Some(*ts),
            _ => None,
        });
    let minutes = s
        .field("definitions_updated_minutes_ago")
        .and_then(|fl| fl.value.as_i64());
    if let Some(m) = minutes.filter(|m| *m > ABSURD_MINUTES || *m < 0) {
        evidence.push(Evidence::new(
            "analysis",
            "definitions_updated_minutes_ago",
            format!("{m} is not a believable age; ignored"),
        ));
    }
    let age = match from_date {
        Some(ts) => {
            Duration::from_secs(u64::try_from(s.now.as_second() - ts.as_second()).unwrap_or(0))
        }
        None => Duration::from_secs(
            u64::try_from(minutes.filter(|m| (0..=ABSURD_MINUTES).contains(m))?).ok()? * 60,
        ),
    };
    Some((age, evidence))
}

#[cfg(test)]
mod tests;
