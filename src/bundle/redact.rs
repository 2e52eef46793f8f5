//! Redaction of anything meant to leave the machine, in one pass over the text.
//!
//! Always: credentials in URLs (everything between `scheme://` and the *last* `@` before
//! the host, so a password holding `@` or `/` goes whole; a URL whose path holds an `@`
//! loses a little more than needed, never less), scheme-less `user:pass@host[:port]`,
//! `Bearer`/`Basic` credentials, and the values of secret-named keys (`password`,
//! `apiKey`, `client_secret`, `access_token`, `Authorization`, `AccountKey`, SAS `sig`,
//! ...) in JSON (`"key": "value"`, also escaped inside a JSON string), YAML-ish
//! (`key: value`, to the end of the line) and `k=v` (to the next `&`, `;`, `,` or space;
//! to the end of the line when the `=` is spaced) forms.
//!
//! With `--redact-ids`: registered values (org, machine and EDR ids, this machine's name
//! and short name, the mirror's and proxy's host names), every GUID (any case), URL
//! hosts (except Microsoft's public ones and `localhost`), IPv4 and IPv6 addresses
//! (`fe80::1%eth0` included), each replaced consistently (the same value, in any case,
//! always becomes the same placeholder: `host-1`, `ip-2`, `guid-3`) so support can still
//! correlate across files. The mapping stays in memory and never enters the bundle.
//!
//! With `--redact-domain DOMAIN` (any number of times, with or without ids): every host
//! name under DOMAIN (DOMAIN itself and any subdomain, in any case, in URLs, in
//! `user@host` and in free text) becomes a `host-N` placeholder from the same map, so the
//! names that only appear in free text (a fail reason, a log line) go too. What it cannot
//! see is listed in docs/commands.md (bundle).
//!
//! [`secrets`] applies the secret rules alone (never ids) to one value, for every output
//! that leaves the process besides the bundle: JSON documents, event logs, monitoring
//! outputs, printed values.
//!
//! A dotted quad is taken for an IPv4 address only when every part is 0–255 without a
//! leading zero, it is not part of a longer dotted number (`1.2.3.4.5`), and it does not
//! follow a `v` (`v1.2.3.4`) or a name ending in `version`/`ver` (`definitions_version :
//! "1.2.3.4"`, `Product version: 1.2.3.4`): versions stay readable, addresses go.
//! Host names of one character identify nothing and are not registered (they would turn
//! every "a" into a placeholder).
//!
//! Redacting redacted text changes nothing, so a text may safely pass twice.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use regex::{CaptureLocations, Regex, RegexBuilder};

/// Hosts that are public knowledge and help support: never replaced.
const PUBLIC_DOMAINS: [&str; 4] = [
    "microsoft.com",
    "windows.com",
    "microsoft.net",
    "windowsupdate.com",
];

const MASK: &str = "REDACTED";

// The pieces of the one pattern. Case-insensitive throughout; ASCII word boundaries
// (`(?-u:\b)`) so the lazy DFA never has to give up on non-ASCII text.

/// `scheme://`, the user info up to the last `@` within reach (bounded, so a long token
/// without `@` costs a bounded look-ahead), and the host.
const URL: &str =
    r#"(?P<scheme>(?-u:\b)[a-z][a-z0-9+.\-]*://)(?:(?P<user>[^\s"'<>]{0,256})@)?(?P<host>HOST)?"#;

/// A host: a bracketed IPv6 address (with a zone) or a DNS name / IPv4 address.
const HOST: &str =
    r"\[[0-9a-f:.]{2,45}(?:%[a-z0-9_.\-%]{1,20})?\]|[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9][a-z0-9\-]*)*";

/// One label of a host name, as `--redact-domain` takes the names under a domain
/// (underscores too: internal names hold them).
const LABEL: &str = r"[a-z0-9_][a-z0-9_\-]*";

/// `user:pass@host` without a scheme, to the last `@` before the host.
const SCHEMELESS: &str = r#"(?P<sl>(?-u:\b)[a-z0-9._~%+\-]+:[^\s"'<>]{0,256})@(?P<slhost>HOST)"#;

/// Names whose values are secrets: any name containing one of these words, or exactly
/// `pwd` (a plain `key` is too common a name: the findings' evidence has one).
const SECRET_NAME: &str = r"[a-z0-9_.\-]*(?:password|passwd|passphrase|secret|token|api[_.\-]?key|access[_.\-]?key|account[_.\-]?key|private[_.\-]?key|shared[_.\-]?key|subscription[_.\-]?key|client[_.\-]?key|credentials?|authorization|cookie)[a-z0-9_.\-]*|pwd";

/// A value in quotes: JSON-escaped inside a JSON string, double, or single.
const QUOTED: &str = r#"\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\"|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'"#;

/// An HTTP authentication scheme and its credentials. Here and in the unquoted values
/// below a backslash is taken only when it does not escape a quote, so a value inside a
/// JSON string never takes the string's closing `\"` with it.
const AUTH: &str = r#"(?:bearer|basic|digest|negotiate|ntlm)[\ \t]+(?:[^\s"'<>&;,\\]|\\[^"\s])+"#;

/// Standalone `Bearer …` / `Basic …` (judged by the callback: a word is not a token).
const BEARER: &str = r"(?P<authscheme>(?-u:\b)(?:bearer|basic))[\ \t]+(?P<cred>[a-z0-9._~+/\-]+=*)";

/// SAS signatures, API keys and OAuth codes: only as query parameters.
const QUERY_SECRET: &str =
    r#"(?P<qkey>[?&](?:sig|code|key))=(?P<qval>(?:[^\s&;,#'"<>\\]|\\[^"\s])+)"#;

fn key_value() -> String {
    // Spaced separators take the value to the end of the line (`password: my pass
    // phrase`); tight ones to the next delimiter (`?token=abc&x=1`).
    format!(
        r#"(?P<key>(?-u:\b)(?:{SECRET_NAME}))(?P<kq>\\?["'])?(?:(?:[\ \t]*[:=][\ \t]+|[\ \t]+[:=][\ \t]*)(?P<sval>{QUOTED}|{AUTH}|[^\s"'<>{{\[\\](?:[^"\\\r\n]|\\[^"\r\n])*)|[:=](?P<tval>{QUOTED}|{AUTH}|(?:[^\s"'<>&;,{{\[\\]|\\[^"\s])(?:[^\s"'<>&;,\\]|\\[^"\s])*))"#
    )
}

/// The id patterns (only with `--redact-ids`); the registered values come first.
const GUID: &str =
    r"(?P<guid>(?-u:\b)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?-u:\b))";
const IPV4: &str = r"(?P<ip4>(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b))";
/// Starts at a word boundary (or, for `::1`, right after a non-word character), so a
/// clock time inside `T10:20:30` is not even a candidate.
const IPV6: &str =
    r"(?P<ip6>(?:(?-u:\b)[0-9a-f]{1,4}|(?-u:\B)):[0-9a-f:.]{2,44}(?:%[a-z0-9_.\-]{1,16})?)";

fn compile(pattern: &str) -> Regex {
    // The patterns are constants (and escaped literals); a failure is a bug every test
    // catches.
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(64 * 1024 * 1024)
        .build()
        .unwrap_or_else(|e| panic!("redaction pattern: {e}"))
}

/// `URL` that matches only with user info: without ids a URL's host stays, so only the
/// URLs with credentials need looking at.
fn url_with_user() -> String {
    let with_user = URL.replace(")@)?(?P<host>", ")@)(?P<host>");
    assert_ne!(with_user, URL, "the URL pattern changed shape");
    with_user
}

fn secrets_pattern(ids: bool) -> String {
    let url = if ids {
        URL.to_string()
    } else {
        url_with_user()
    };
    [
        url.replace("HOST", HOST),
        key_value(),
        QUERY_SECRET.to_string(),
        BEARER.to_string(),
        SCHEMELESS.replace("HOST", HOST),
    ]
    .join("|")
}

/// The capture group numbers, looked up once per compiled pattern.
#[derive(Default, Clone, Copy)]
struct Groups {
    scheme: usize,
    user: usize,
    host: usize,
    key: usize,
    kq: usize,
    sval: usize,
    tval: usize,
    qkey: usize,
    qval: usize,
    authscheme: usize,
    cred: usize,
    sl: usize,
    slhost: usize,
    known: usize,
    dom: usize,
    guid: usize,
    ip4: usize,
    ip6: usize,
}

impl Groups {
    fn of(re: &Regex) -> Groups {
        let index = |name: &str| {
            re.capture_names()
                .position(|n| n == Some(name))
                .unwrap_or(usize::MAX)
        };
        Groups {
            scheme: index("scheme"),
            user: index("user"),
            host: index("host"),
            key: index("key"),
            kq: index("kq"),
            sval: index("sval"),
            tval: index("tval"),
            qkey: index("qkey"),
            qval: index("qval"),
            authscheme: index("authscheme"),
            cred: index("cred"),
            sl: index("sl"),
            slhost: index("slhost"),
            known: index("known"),
            dom: index("dom"),
            guid: index("guid"),
            ip4: index("ip4"),
            ip6: index("ip6"),
        }
    }
}

/// The compiled pattern and a reusable capture buffer.
struct Matcher {
    re: Regex,
    groups: Groups,
    locs: CaptureLocations,
}

impl Matcher {
    fn new(pattern: &str) -> Matcher {
        let re = compile(pattern);
        Matcher {
            groups: Groups::of(&re),
            locs: re.capture_locations(),
            re,
        }
    }

    fn get(&self, group: usize) -> Option<(usize, usize)> {
        if group == usize::MAX {
            return None;
        }
        self.locs.get(group)
    }
}

/// Identifiers and their placeholders. A log of a few hundred MiB holds millions of
/// distinct ids, so each is kept small: a GUID as its 128-bit value, anything else as
/// its lower-cased text, and the placeholder as a kind and a number (written out only
/// when used).
#[derive(Default)]
struct Ids {
    /// Registered values as given, longest first (the pattern lists them in this order).
    known: Vec<String>,
    /// Lower-cased registered value → its kind.
    kinds: HashMap<String, &'static str>,
    /// GUIDs (in any case) by value. Hashed with foldhash (seeded per map, as std's
    /// hasher is): SipHash was about 5% of the time of `--redact-ids`.
    guids: HashMap<u128, Placeholder, foldhash::fast::RandomState>,
    /// Every other value, lower-cased.
    others: HashMap<Box<str>, Placeholder, foldhash::fast::RandomState>,
    /// Each kind seen and the last number given to it (`host` → 3 after `host-3`).
    counters: Vec<(&'static str, u32)>,
    /// Reused to lower-case a value for a look-up.
    scratch: String,
}

/// `kind-n`: the kind as an index into [`Ids::counters`].
#[derive(Clone, Copy)]
struct Placeholder {
    kind: u32,
    n: u32,
}

impl Ids {
    /// Appends the placeholder of `value` (any case) to `out`, making one if needed; a
    /// registered value keeps its registered kind.
    fn push(&mut self, out: &mut String, value: &str, kind: &'static str) {
        let p = if let Some(guid) = guid_value(value) {
            match self.guids.get(&guid) {
                Some(p) => *p,
                None => {
                    let p = self.next(value, kind);
                    self.guids.insert(guid, p);
                    p
                }
            }
        } else {
            self.lower(value);
            match self.others.get(self.scratch.as_str()) {
                Some(p) => *p,
                None => {
                    let p = self.next(value, kind);
                    self.others.insert(self.scratch.as_str().into(), p);
                    p
                }
            }
        };
        let (name, _) = self.counters[p.kind as usize];
        out.push_str(name);
        out.push('-');
        // Writing to a String cannot fail.
        let _ = std::fmt::Write::write_fmt(out, format_args!("{}", p.n));
    }

    /// Leaves `value` lower-cased in `scratch`.
    fn lower(&mut self, value: &str) {
        self.scratch.clear();
        self.scratch.push_str(value);
        self.scratch.make_ascii_lowercase();
    }

    /// A new placeholder for `value` (its registered kind, else `kind`); leaves the
    /// lower-cased value in `scratch`.
    fn next(&mut self, value: &str, kind: &'static str) -> Placeholder {
        self.lower(value);
        let kind = self
            .kinds
            .get(self.scratch.as_str())
            .copied()
            .unwrap_or(kind);
        let index = match self.counters.iter().position(|(k, _)| *k == kind) {
            Some(i) => i,
            None => {
                self.counters.push((kind, 0));
                self.counters.len() - 1
            }
        };
        self.counters[index].1 += 1;
        Placeholder {
            kind: index as u32,
            n: self.counters[index].1,
        }
    }

    /// Whether `text` is a placeholder this map gave out (`host-3`, exactly).
    fn is_placeholder(&self, text: &str) -> bool {
        let Some((kind, n)) = text.rsplit_once('-') else {
            return false;
        };
        if n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let Ok(n) = n.parse::<u32>() else {
            return false;
        };
        self.counters
            .iter()
            .any(|(k, last)| *k == kind && (1..=*last).contains(&n))
    }
}

/// The value of a GUID (`8-4-4-4-12` hex digits, any case).
fn guid_value(s: &str) -> Option<u128> {
    if !is_guid(s) {
        return None;
    }
    let mut v = 0u128;
    for c in s.bytes().filter(|c| *c != b'-') {
        // `is_guid` checked every other byte is a hex digit.
        v = (v << 4) | u128::from(char::from(c).to_digit(16)?);
    }
    Some(v)
}

pub struct Redactor {
    /// `--no-redact`: everything passes unchanged.
    enabled: bool,
    ids: bool,
    matcher: Matcher,
    /// A value was registered since `matcher` was built.
    stale: bool,
    /// `--redact-domain`: every host name under these (lower-cased, no dots around)
    /// becomes a placeholder, with or without `--redact-ids`.
    domains: Vec<String>,
    state: Ids,
    /// Matches decided by their shape where it says enough (off only in the test that
    /// checks the shape gives what the capture groups give).
    by_shape: bool,
}

/// What to do with one match.
enum Step {
    /// Leave the match as it is and go on after it.
    Keep,
    /// Not what the pattern hoped (a version, a word): look again one character later,
    /// so nothing inside it escapes the other patterns.
    Retry,
    /// The replacement was written; go on at this offset.
    Replaced(usize),
}

impl Redactor {
    pub fn new(ids: bool) -> Redactor {
        Redactor {
            enabled: true,
            ids,
            matcher: Matcher::new(&Redactor::pattern(ids, &[], &[])),
            stale: false,
            domains: Vec::new(),
            state: Ids::default(),
            by_shape: true,
        }
    }

    /// A redactor that changes nothing (`--no-redact`).
    pub fn off() -> Redactor {
        Redactor {
            enabled: false,
            ..Redactor::new(false)
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn ids(&self) -> bool {
        self.ids
    }

    fn pattern(ids: bool, known: &[String], domains: &[String]) -> String {
        let mut p = secrets_pattern(ids);
        if ids {
            if !known.is_empty() {
                let alts: Vec<String> = known.iter().map(|k| regex::escape(k)).collect();
                p.push_str(&format!("|(?P<known>{})", alts.join("|")));
            }
            p.push_str(&format!("|{GUID}|{IPV4}|{IPV6}"));
        }
        if !domains.is_empty() {
            let alts: Vec<String> = domains.iter().map(|d| regex::escape(d)).collect();
            p.push_str(&format!(
                "|(?P<dom>(?-u:\\b)(?:{LABEL}\\.)*(?:{})(?-u:\\b))",
                alts.join("|")
            ));
        }
        p
    }

    /// Replaces every host name under `domain` (the domain itself and any subdomain, in
    /// any case) with a `host-N` placeholder, consistent with `--redact-ids`'s, wherever
    /// it appears: in URLs, in `user@host`, in free text. `domain` is as
    /// [`parse_domain`] returns it. Ignored by a redactor that is off.
    pub fn redact_domain(&mut self, domain: &str) {
        let domain = domain.to_ascii_lowercase();
        if !self.enabled || self.domains.contains(&domain) {
            return;
        }
        self.domains.push(domain);
        // Longest first: a subdomain given as well matches before its parent.
        self.domains.sort_by_key(|d| std::cmp::Reverse(d.len()));
        self.stale = true;
    }

    /// How many domains are redacted (the manifest says how many, never which).
    pub fn domain_count(&self) -> usize {
        self.domains.len()
    }

    /// Where the part of `host` that is a name under a redacted domain ends: the whole
    /// `mirror01.corp.example`, or `mirror01.corp.example` of `mirror01.corp.example.org`
    /// (a name that holds the domain is taken for one of its own: a redaction errs on the
    /// side of removing). `None`: no domain in it, label for label.
    fn domain_end(&self, host: &str) -> Option<usize> {
        let h = host.as_bytes();
        self.domains.iter().find_map(|d| {
            let d = d.as_bytes();
            (0..=h.len().checked_sub(d.len())?).find_map(|at| {
                let end = at + d.len();
                (h[at..end].eq_ignore_ascii_case(d)
                    && (at == 0 || h[at - 1] == b'.')
                    && (end == h.len() || h[end] == b'.'))
                    .then_some(end)
            })
        })
    }

    /// Registers an identifier to replace wherever it appears, in any case (`kind`:
    /// `org`, `machine`, `host`, ...). Ignored unless ids are redacted. A host name with
    /// dots is registered with its short name too when `kind` is `host` and `short` is
    /// asked for (the machine's own name: `endpoint01.corp.example` and `endpoint01`).
    pub fn register(&mut self, value: &str, kind: &'static str) {
        let value = value.trim();
        // One character identifies nothing and would match every such word.
        if !self.enabled || !self.ids || value.chars().count() < 2 {
            return;
        }
        let key = value.to_ascii_lowercase();
        if self.state.kinds.contains_key(&key) || self.state.is_placeholder(&key) {
            return;
        }
        self.state.kinds.insert(key, kind);
        self.state.known.push(value.to_string());
        // Longest first, so a FQDN is replaced before its short host name.
        self.state.known.sort_by_key(|v| std::cmp::Reverse(v.len()));
        self.stale = true;
    }

    /// Registers this machine's host name and, for a FQDN, its short name.
    pub fn register_machine(&mut self, hostname: &str) {
        self.register(hostname, "host");
        if let Some((short, _)) = hostname.trim().split_once('.') {
            self.register(short, "host");
        }
    }

    /// Registers the host of a URL (or a bare `host[:port]`), when it is a name with a
    /// dot: a single label (`mirror`) is too likely an ordinary word to replace in free
    /// text, and is still replaced wherever it appears as a URL's host.
    pub fn register_url_host(&mut self, url: &str) {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if host_port.starts_with('[') {
            return; // an IPv6 literal: the address pattern handles it
        } else {
            host_port.split(':').next().unwrap_or("")
        };
        if host.contains('.') && host.parse::<Ipv4Addr>().is_err() && !is_public(host) {
            self.register(host, "host");
        }
    }

    /// The placeholder for a value, the same one every time.
    pub fn placeholder(&mut self, value: &str, kind: &'static str) -> String {
        let mut out = String::new();
        self.state.push(&mut out, value, kind);
        out
    }

    pub fn redact(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.redact_into(text, &mut out);
        out
    }

    /// Appends `text`, redacted, to `out`: one pass, no copy of the text when nothing
    /// matches, placeholders looked up by value.
    pub fn redact_into(&mut self, text: &str, out: &mut String) {
        if !self.enabled {
            out.push_str(text);
            return;
        }
        if self.stale {
            self.matcher = Matcher::new(&Redactor::pattern(
                self.ids,
                &self.state.known,
                &self.domains,
            ));
            self.stale = false;
        }
        let mut pos = 0;
        let mut copied = 0;
        while pos <= text.len() {
            // The match's bounds come from the fast automaton; which part of the pattern
            // matched (the capture groups) costs a slower engine, asked only when the
            // matched text does not say it by its shape.
            let Some(m) = self.matcher.re.find_at(text, pos) else {
                break;
            };
            let (start, end) = (m.start(), m.end());
            out.push_str(&text[copied..start]);
            copied = start;
            let step = match self.by_shape(text, start, end, out) {
                Some(step) => step,
                None => {
                    // The same search from the match's start finds the same match.
                    self.matcher
                        .re
                        .captures_read_at(&mut self.matcher.locs, text, start);
                    self.step(text, start, end, out)
                }
            };
            match step {
                Step::Keep if end > start => pos = end,
                Step::Keep | Step::Retry => pos = next_char(text, start),
                Step::Replaced(to) => {
                    copied = to;
                    pos = to;
                }
            }
        }
        out.push_str(&text[copied..]);
    }

    /// Decides an id match by its shape alone, as [`Redactor::step`] would: a GUID, a
    /// dotted quad, an IPv6 candidate or a registered host name cannot be what another
    /// part of the pattern matched (URLs hold `://`, secrets a name and `:`/`=`, user
    /// info an `@`, and every secret name a letter past `f`). `None`: ask the groups.
    fn by_shape(&mut self, text: &str, start: usize, end: usize, out: &mut String) -> Option<Step> {
        if !self.ids || !self.by_shape {
            return None;
        }
        let span = &text[start..end];
        let b = text.as_bytes();
        let word = |i: usize| b[i].is_ascii_alphanumeric() || b[i] == b'_';
        // A URL without user info (most URLs in a log): the pattern lists URLs first, so
        // a match that starts a word with `scheme://` is one; without an `@` it has no
        // user part and the rest of the match is its host.
        if let Some(rest) = url_rest(span)
            && (start == 0 || !word(start - 1))
            && !span.contains('@')
        {
            let scheme = &span[..span.len() - rest.len()];
            let host = (!rest.is_empty()).then_some(rest);
            return Some(self.url(out, scheme, false, host, end));
        }
        if is_guid(span) {
            // The GUID pattern wants word boundaries; a registered GUID without them
            // is retried, as the registered-value check does.
            if (start > 0 && word(start - 1)) || (end < b.len() && word(end)) {
                return Some(Step::Retry);
            }
            self.state.push(out, span, "guid");
            return Some(Step::Replaced(end));
        }
        if is_dotted_quad(span) {
            if !is_ipv4_here(text, start, end) {
                return Some(Step::Retry);
            }
            self.state.push(out, span, "ip");
            return Some(Step::Replaced(end));
        }
        if span.contains(':')
            && span
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b":.%_-".contains(&c))
        {
            let addr = span.split('%').next().unwrap_or("");
            if addr
                .bytes()
                .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
            {
                return Some(match ipv6_here(text, start, end) {
                    Some(len) => {
                        self.state.push(out, &text[start..start + len], "ip");
                        Step::Replaced(start + len)
                    }
                    None => Step::Retry,
                });
            }
        }
        if span
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
            && self.state.kinds.contains_key(&span.to_ascii_lowercase())
        {
            if !word_bounded(text, start, end) {
                return Some(Step::Retry);
            }
            self.state.push(out, span, "host");
            return Some(Step::Replaced(end));
        }
        None
    }

    /// Decides one match of `text[start..end]` from its capture groups (in
    /// `self.matcher.locs`); on a replacement writes it to `out`.
    fn step(&mut self, text: &str, start: usize, end: usize, out: &mut String) -> Step {
        let m = &self.matcher;
        let g = m.groups;
        let s = |(a, b): (usize, usize)| &text[a..b];
        if m.get(g.scheme).is_some() {
            let scheme = m.get(g.scheme).map(s).unwrap_or("");
            let user = m.get(g.user).is_some();
            let host = m.get(g.host).map(s);
            return self.url(out, scheme, user, host, end);
        }
        if let Some(key) = m.get(g.key) {
            // The last part of a path (`/etc/passwd: no such user`) names a file, not a
            // key: what follows it is a message, not its value.
            if key.0 > 0 && text.as_bytes()[key.0 - 1] == b'/' {
                return Step::Retry;
            }
            let quote = m.get(g.kq).map(s).unwrap_or("");
            let Some((vs, ve)) = m.get(g.sval).or(m.get(g.tval)) else {
                return Step::Keep;
            };
            let value = &text[vs..ve];
            let quoted = value.starts_with(['"', '\'', '\\']) || auth_scheme(value).is_some();
            // An unquoted value after a quoted key is a JSON scalar: it ends at `,`, `}`,
            // `]` or a space; otherwise trailing commas and blanks are not the value's.
            let taken = if quoted {
                value
            } else if quote.ends_with('"') {
                value
                    .split([',', '}', ']', ' ', '\t'])
                    .next()
                    .unwrap_or(value)
            } else {
                value.trim_end_matches([',', ' ', '\t'])
            };
            if [
                "null", "true", "false", "none", "", "\"\"", "''", "\\\"\\\"",
            ]
            .iter()
            .any(|w| taken.eq_ignore_ascii_case(w))
            {
                out.push_str(&text[key.0..vs + taken.len()]);
                return Step::Replaced(vs + taken.len());
            }
            out.push_str(&text[key.0..vs]);
            push_masked_value(out, taken, quote);
            // What follows the value is looked at again, never copied unread.
            return Step::Replaced(vs + taken.len());
        }
        if let (Some(k), Some(v)) = (m.get(g.qkey), m.get(g.qval)) {
            if s(v) == MASK {
                return Step::Keep;
            }
            out.push_str(s(k));
            out.push('=');
            out.push_str(MASK);
            return Step::Replaced(end);
        }
        if let (Some(scheme), Some(cred)) = (m.get(g.authscheme), m.get(g.cred)) {
            if !looks_like_credential(s(cred)) {
                // A word ("Basic authentication"), looked at again for what it may hold
                // (a host name under a redacted domain, a registered id).
                return Step::Retry;
            }
            out.push_str(s(scheme));
            out.push(' ');
            out.push_str(MASK);
            return Step::Replaced(end);
        }
        if let (Some(_), Some(host)) = (m.get(g.sl), m.get(g.slhost)) {
            out.push_str(MASK);
            out.push('@');
            self.push_host(out, s(host));
            return Step::Replaced(end);
        }
        if m.get(g.dom).is_some() {
            // Not part of a longer label (`x-corp.example`, `corp.example-two`); more
            // labels after it are fine (`mirror01.corp.example.log`, see `domain_end`).
            if !word_bounded(text, start, end) {
                return Step::Retry;
            }
            self.state.push(out, &text[start..end], "host");
            return Step::Replaced(end);
        }
        if m.get(g.known).is_some() {
            if !word_bounded(text, start, end) {
                return Step::Retry;
            }
            self.state.push(out, &text[start..end], "host");
            return Step::Replaced(end);
        }
        if m.get(g.guid).is_some() {
            self.state.push(out, &text[start..end], "guid");
            return Step::Replaced(end);
        }
        if m.get(g.ip4).is_some() {
            if !is_ipv4_here(text, start, end) {
                return Step::Retry;
            }
            self.state.push(out, &text[start..end], "ip");
            return Step::Replaced(end);
        }
        if m.get(g.ip6).is_some() {
            return match ipv6_here(text, start, end) {
                Some(len) => {
                    self.state.push(out, &text[start..start + len], "ip");
                    Step::Replaced(start + len)
                }
                None => Step::Retry,
            };
        }
        Step::Keep
    }

    /// A URL ending at `end`: its user info masked, its host replaced when ids are.
    fn url(
        &mut self,
        out: &mut String,
        scheme: &str,
        user: bool,
        host: Option<&str>,
        end: usize,
    ) -> Step {
        let host_changes = host.is_some_and(|h| {
            self.domain_end(h).is_some() || (self.ids && !keep_host(h, &self.state))
        });
        if !user && !host_changes {
            return Step::Keep;
        }
        out.push_str(scheme);
        if user {
            out.push_str(MASK);
            out.push('@');
        }
        if let Some(h) = host {
            self.push_host(out, h);
        }
        Step::Replaced(end)
    }

    /// A URL's host, replaced when ids are redacted (addresses as `ip-N`).
    fn push_host(&mut self, out: &mut String, host: &str) {
        if let Some(end) = self.domain_end(host) {
            self.state.push(out, &host[..end], "host");
            out.push_str(&host[end..]);
        } else if !self.ids || keep_host(host, &self.state) {
            out.push_str(host);
        } else if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            out.push('[');
            self.state.push(out, inner, "ip");
            out.push(']');
        } else if host.parse::<Ipv4Addr>().is_ok() {
            self.state.push(out, host, "ip");
        } else {
            self.state.push(out, host, "host");
        }
    }
}

/// What follows `scheme://` when `span` starts with one (the `URL` pattern's scheme).
fn url_rest(span: &str) -> Option<&str> {
    let (scheme, rest) = span.split_once("://")?;
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')))
    .then_some(rest)
}

/// `8-4-4-4-12` hex digits.
fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Four groups of one to three digits, dot-separated.
fn is_dotted_quad(s: &str) -> bool {
    let mut parts = 0;
    s.split('.').all(|p| {
        parts += 1;
        (1..=3).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
    }) && parts == 4
}

fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(text.len() + 1, |c| at + c.len_utf8())
}

fn is_public(host: &str) -> bool {
    let host = host.as_bytes();
    PUBLIC_DOMAINS.iter().any(|d| {
        let d = d.as_bytes();
        host.len() >= d.len()
            && host[host.len() - d.len()..].eq_ignore_ascii_case(d)
            && (host.len() == d.len() || host[host.len() - d.len() - 1] == b'.')
    })
}

/// Hosts that stay even with ids redacted: public, local, already placeholders.
fn keep_host(host: &str, ids: &Ids) -> bool {
    is_public(host)
        || host.eq_ignore_ascii_case("localhost")
        || host == MASK
        || ids.is_placeholder(host)
}

/// The masked value, keeping its quotes (a bare value after a quoted key becomes a
/// string quoted the same way, so a JSON document stays JSON) and an HTTP
/// authentication scheme's name.
fn push_masked_value(out: &mut String, value: &str, key_quote: &str) {
    if value.starts_with("\\\"") || (key_quote == "\\\"" && auth_scheme(value).is_none()) {
        out.push_str("\\\"");
        out.push_str(MASK);
        out.push_str("\\\"");
    } else if value.starts_with('"') || value.starts_with('\'') {
        let q = &value[..1];
        out.push_str(q);
        out.push_str(MASK);
        out.push_str(q);
    } else if let Some(scheme) = auth_scheme(value) {
        out.push_str(scheme);
        out.push(' ');
        out.push_str(MASK);
    } else if key_quote == "\"" {
        out.push('"');
        out.push_str(MASK);
        out.push('"');
    } else {
        out.push_str(MASK);
    }
}

fn auth_scheme(value: &str) -> Option<&str> {
    let (word, rest) = value.split_once([' ', '\t'])?;
    let known = ["bearer", "basic", "digest", "negotiate", "ntlm"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s));
    (known && !rest.trim().is_empty()).then_some(word)
}

/// A `Bearer`/`Basic` argument that is a credential, not a word ("Basic authentication").
fn looks_like_credential(cred: &str) -> bool {
    cred != MASK
        && cred.len() >= 8
        && (cred.len() >= 20
            || cred
                .bytes()
                .any(|b| b.is_ascii_digit() || b"._~+/=-".contains(&b)))
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A registered value standing on its own, not inside a longer name.
fn word_bounded(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    (start == 0 || !is_name_byte(b[start - 1])) && (end == b.len() || !is_name_byte(b[end]))
}

/// Whether the dotted quad at `start..end` is an address here (see the module comment).
fn is_ipv4_here(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    if text[start..end].parse::<Ipv4Addr>().is_err() {
        return false;
    }
    // Part of a longer dotted number: `1.2.3.4.5`, `5.1.2.3.4`.
    let dotted_before = start >= 2 && b[start - 1] == b'.' && b[start - 2].is_ascii_digit();
    let dotted_after = end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_digit();
    if dotted_before || dotted_after {
        return false;
    }
    // A version field: the name before it (past quotes, spaces, `:` and `=`).
    let before = &b[start.saturating_sub(96)..start];
    let mut i = before.len();
    while i > 0
        && matches!(
            before[i - 1],
            b' ' | b'\t' | b'"' | b'\'' | b':' | b'=' | b'-'
        )
    {
        i -= 1;
    }
    let name_end = i;
    while i > 0 && (before[i - 1].is_ascii_alphanumeric() || before[i - 1] == b'_') {
        i -= 1;
    }
    let name = &before[i..name_end];
    let ends = |suffix: &[u8]| {
        name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    !(ends(b"version") || ends(b"ver") || name.eq_ignore_ascii_case(b"v"))
}

/// The length of the IPv6 address at `start` (a zone included), if the candidate
/// `start..end` is one standing on its own.
fn ipv6_here(text: &str, start: usize, end: usize) -> Option<usize> {
    let b = text.as_bytes();
    let bounded = |i: usize| i >= b.len() || !(b[i].is_ascii_alphanumeric() || b[i] == b'_');
    if start > 0
        && (b[start - 1].is_ascii_alphanumeric() || matches!(b[start - 1], b'_' | b':' | b'.'))
    {
        return None;
    }
    let candidate = &text[start..end];
    let (full, zone) = match candidate.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (candidate, None),
    };
    // A sentence may end right after an address.
    let addr = full.trim_end_matches('.');
    let parsed: Ipv6Addr = addr.parse().ok()?;
    if parsed.is_unspecified() || parsed.is_loopback() {
        return None;
    }
    let len = match zone.map(|z| z.trim_end_matches('.')) {
        Some(z) if addr.len() == full.len() && !z.is_empty() => addr.len() + 1 + z.len(),
        _ => addr.len(),
    };
    bounded(start + len).then_some(len)
}

/// Whether a key's name says its value is a secret (`password`, `apiKey`,
/// `cloudService.clientSecret`, ...), by the same names the text redaction knows.
pub fn is_secret_name(name: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| compile(&format!("^(?:{SECRET_NAME})$")))
        .is_match(name)
}

/// The kinds of placeholder `--redact-ids` writes (`host-1`, `ip-2`, `guid-3`, ...).
pub const PLACEHOLDER_KINDS: [&str; 6] = ["host", "ip", "guid", "org", "machine", "edr"];

/// Whether a redacted text holds a redaction: [`MASK`] always, and with `ids` (the
/// bundle was written with `--redact-ids`) a placeholder such as `host-1`. For reading a
/// bundle back: a placeholder stands for a value, it is not one.
pub fn is_redacted(text: &str, ids: bool) -> bool {
    static MASKED: OnceLock<Regex> = OnceLock::new();
    static ANY: OnceLock<Regex> = OnceLock::new();
    let re = if ids {
        ANY.get_or_init(|| {
            compile(&format!(
                r"(?-i)(?-u:\b)(?:{MASK}|(?:{})-[0-9]+)(?-u:\b)",
                PLACEHOLDER_KINDS.join("|")
            ))
        })
    } else {
        MASKED.get_or_init(|| compile(&format!(r"(?-i)(?-u:\b){MASK}(?-u:\b)")))
    };
    re.is_match(text)
}

/// The bundle's secret rules (never its ids) on one value that leaves the process: a
/// JSON document's strings, an event line, a monitoring output, a printed value. Masks
/// credentials in URLs (`scheme://user:pass@host`, `user:pass@host`), `Bearer`/`Basic`
/// credentials, the values of secret-named keys in text (`password=…`, `"token": "…"`,
/// `Authorization: Bearer …`) and SAS signatures, exactly as a bundle would; the rest of
/// the text stays as it was. Every output path calls this one function: the JSON writer
/// (through [`crate::report::scrub`]), the event log (the same scrub) and every printed
/// value (`render::escape::line`, which the Nagios, Checkmk and Prometheus outputs use).
///
/// Cheap when there is nothing to find: a value holding none of the words a secret
/// needs (`@`, `bearer`, `basic`, a secret-ish name) is returned as it is without
/// running, or even building, the full pattern.
pub fn secrets(text: &str) -> Cow<'_, str> {
    static HINT: OnceLock<Regex> = OnceLock::new();
    // Every alternative of the secrets pattern holds one of these: URLs and `user:pass@`
    // an `@`, secret names one of these words, query secrets `sig=`/`code=`/`key`.
    let hint = HINT.get_or_init(|| {
        compile(
            "@|bearer|basic|pass|pwd|secret|token|key|credential|authori[sz]ation|cookie|sig=|code=",
        )
    });
    if !hint.is_match(text) {
        return Cow::Borrowed(text);
    }
    // One for the process, not one per thread: each holds a compiled pattern of about
    // 2 MiB, and `aggregate` folds reports on several threads.
    static SECRETS: OnceLock<std::sync::Mutex<Redactor>> = OnceLock::new();
    let out = SECRETS
        .get_or_init(|| std::sync::Mutex::new(Redactor::new(false)))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .redact(text);
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// A `--redact-domain` argument as the redactor takes it: lower-cased, without a leading
/// `*.` or `.` or a trailing dot; at least two labels of letters, digits, `-` and `_`
/// (a single label such as `local` would replace that word everywhere in free text).
pub fn parse_domain(arg: &str) -> Result<String, String> {
    let d = arg.trim();
    let d = d
        .strip_prefix("*.")
        .or_else(|| d.strip_prefix('.'))
        .unwrap_or(d);
    let d = d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if d.len() > 253 || !labels.iter().all(label_ok) {
        return Err(format!(
            "{arg:?} is not a DNS domain (labels of letters, digits, '-' and '_', separated by dots)"
        ));
    }
    if labels.len() < 2 {
        return Err(format!(
            "{arg:?} has one label: give a domain with a dot (corp.example), or use --redact-ids, which replaces this machine's and the mirror's short names"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
