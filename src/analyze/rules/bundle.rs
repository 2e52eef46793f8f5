//! Findings about a support bundle re-diagnosed (`diagnose --from-bundle`): what it holds
//! may have been changed since it was written, and what it redacted cannot be judged.

use super::prelude::*;

pub static BUNDLE_ALTERED: Rule = Rule {
    id: "bundle-altered",
    severity: "unknown",
    meaning: "A file of the support bundle does not match its MANIFEST.json: a different SHA-256 or size, missing, present twice, not a regular file, or not listed. The bundle was edited or cut short after `mdatp-doctor bundle` wrote it, so what it shows may not be what the endpoint had.",
    fix: "Ask for a new bundle written on the endpoint (`mdatp-doctor bundle`) and sent as it is; judge nothing on the files named.",
    basis: "Unknown: the files may not be what the endpoint had, so nothing in them can be judged. This tool's own bundle format: MANIFEST.json lists the size and SHA-256 of every file as it is written.",
};

pub static BUNDLE_REDACTED_VALUE: Rule = Rule {
    id: "bundle-redacted-value",
    severity: "unknown",
    meaning: "A check needs a value the bundle redacted (`REDACTED`, or a placeholder such as `host-1` from `--redact-ids`), so it cannot be judged from the bundle; the rule is not run on the placeholder.",
    fix: "Run `mdatp-doctor diagnose` on the endpoint itself, or ask for a bundle written without `--redact-ids` if that value may leave the site.",
    basis: "Unknown: the value the rule checks was redacted, so it cannot be judged from the bundle. This tool's own redaction: a placeholder stands for the same value everywhere in one bundle, so comparisons still hold, but not the value's form.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&BUNDLE_ALTERED, &BUNDLE_REDACTED_VALUE];

/// What a re-diagnosed bundle says of itself.
#[derive(Debug, Clone)]
pub struct BundleFacts {
    /// Files that do not match the manifest: (path, what is wrong).
    pub altered: Vec<(String, String)>,
    /// Tells whether a text holds a redaction placeholder.
    pub redacted: fn(&str) -> bool,
}

/// Rules that judge the form of a value (not its equality with another): on a
/// placeholder they would judge the placeholder.
const FORM_RULES: &[&Rule] = &[
    &super::url::URL_MALFORMED,
    &super::config::CONFIG_INVALID_VALUE,
];

/// Today's findings on a bundle, adjusted: a form rule that looked at a placeholder
/// becomes [`BUNDLE_REDACTED_VALUE`], and files that do not match the manifest raise
/// [`BUNDLE_ALTERED`]. Most severe first.
pub fn judge(findings: Vec<Finding>, facts: &BundleFacts) -> Vec<Finding> {
    let mut out = Vec::with_capacity(findings.len() + 1);
    for f in findings {
        let on_placeholder = FORM_RULES.iter().any(|r| r.id == f.id)
            && (f.evidence.iter().any(|e| (facts.redacted)(&e.value))
                || (facts.redacted)(&f.title));
        if !on_placeholder {
            out.push(f);
            continue;
        }
        let mut evidence = f.evidence.clone();
        evidence.push(Evidence::new("bundle", "rule not judged", f.id));
        out.push(BUNDLE_REDACTED_VALUE.raise(
            Severity::Unknown,
            format!(
                "`{}` cannot be judged from this bundle: the value it checks was redacted",
                f.id
            ),
            evidence,
            "Run `mdatp-doctor diagnose` on the endpoint itself to judge that value.".into(),
        ));
    }
    if !facts.altered.is_empty() {
        const SHOWN: usize = 20;
        let mut evidence: Vec<Evidence> = facts
            .altered
            .iter()
            .take(SHOWN)
            .map(|(path, status)| Evidence::new("bundle", path, status))
            .collect();
        if facts.altered.len() > SHOWN {
            evidence.push(Evidence::new(
                "bundle",
                "more",
                format!("{} other file(s)", facts.altered.len() - SHOWN),
            ));
        }
        out.push(BUNDLE_ALTERED.raise(
            Severity::Unknown,
            format!(
                "{} file(s) of the bundle do not match its MANIFEST.json: it was changed after it was written",
                facts.altered.len()
            ),
            evidence,
            "Ask for a new bundle written on the endpoint and sent as it is; the findings below rest on files that may not be the endpoint's.".into(),
        ));
    }
    super::finding::sort(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholder(text: &str) -> bool {
        text.contains("host-1")
    }

    #[test]
    fn a_form_rule_on_a_placeholder_is_not_judged_and_altered_files_are_named() {
        let facts = BundleFacts {
            altered: vec![("mdatp/health.txt".into(), "hash mismatch".into())],
            redacted: placeholder,
        };
        let mut malformed = Finding::test("url-malformed", Severity::Critical, "bad");
        malformed
            .evidence
            .push(Evidence::new("mdatp", "url", "http://[host-1]/x"));
        let kept = Finding::test("url-mismatch", Severity::Warning, "differs");
        let out = judge(vec![malformed, kept], &facts);
        let ids: Vec<&str> = out.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            ["bundle-redacted-value", "bundle-altered", "url-mismatch"]
        );
        assert!(out[1].evidence[0].value.contains("hash mismatch"));
    }

    #[test]
    fn a_form_rule_on_a_real_value_stands() {
        let facts = BundleFacts {
            altered: Vec::new(),
            redacted: placeholder,
        };
        let mut malformed = Finding::test("url-malformed", Severity::Critical, "bad");
        malformed
            .evidence
            .push(Evidence::new("mdatp", "url", "htp:/mirror"));
        let out = judge(vec![malformed], &facts);
        assert_eq!(out[0].id, "url-malformed");
    }
}
