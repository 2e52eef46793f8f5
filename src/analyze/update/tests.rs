//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

const MIRROR: &str = "http://m:8000/linux/production/";
const CLOUD: &str = "https://go.microsoft.com/fwlink/?linkid=2144709";

fn state(
    version: &str,
    updated: &str,
    status: &str,
    source: &str,
    reason: Option<&str>,
) -> UpdateState {
    UpdateState {
        definitions_version: Some(version.into()),
        definitions_updated: Some(updated.into()),
        status: Some(status.into()),
        source_uri: Some(source.into()),
        fail_reason: reason.map(str::to_string),
        configured_url: Some(MIRROR.into()),
        offline_enabled: Some(true),
    }
}

#[test]
fn outcomes() {
    let before = state("1.0", "Mar 14", "up_to_date", MIRROR, None);
    let cases = [
        (
            state("1.1", "Mar 15", "up_to_date", MIRROR, None),
            Some(Outcome::Updated),
        ),
        (
            state("1.1", "Mar 15", "up_to_date", CLOUD, None),
            Some(Outcome::Fallback),
        ),
        (
            state("1.0", "Mar 14", "up_to_date", MIRROR, None),
            Some(Outcome::Current),
        ),
        (state("1.0", "Mar 14", "updating", MIRROR, None), None),
        (
            state("1.0", "Mar 14", "update_failed", MIRROR, None),
            Some(Outcome::Failed),
        ),
        (
            state(
                "1.0",
                "Mar 14",
                "up_to_date",
                MIRROR,
                Some("Download failed"),
            ),
            Some(Outcome::Failed),
        ),
        (state("1.0", "Mar 14", "unavailable", MIRROR, None), None),
    ];
    for (now, expected) in cases {
        assert_eq!(settle(&before, &now), expected, "{now:?}");
    }
}

#[test]
fn sources() {
    assert_eq!(
        state("1", "x", "up_to_date", MIRROR, None).source(),
        Source::Mirror
    );
    assert_eq!(
        state("1", "x", "up_to_date", CLOUD, None).source(),
        Source::Cloud
    );
    assert_eq!(
        state("1", "x", "up_to_date", "http://elsewhere/", None).source(),
        Source::Unknown
    );
}
