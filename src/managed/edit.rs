//! Changing `mdatp_managed.json` without disturbing it: each [`Edit`] touches one key, and
//! everything else (key order, unknown keys, other sections, indentation, the trailing
//! newline, keys repeated as comments) stays byte for byte. The file is edited as a
//! concrete syntax tree (jsonc-parser's), never re-serialised.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstObjectProp, CstRootNode};
use serde::Serialize;
use serde_json::Value;

/// One change, addressed by section and key as mdatp reads them (`section` `None` is the
/// top level). Where a key is repeated in one object, the last copy is the one changed:
/// it is the one mdatp reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// A misspelt key renamed in place; its value untouched.
    Rename {
        section: Option<String>,
        from: String,
        to: String,
    },
    /// A key moved (not copied) into the section mdatp reads it in, created at the end of
    /// the document when missing.
    Move {
        from: Option<String>,
        key: String,
        to: String,
    },
    /// A key's value replaced, or the key added at the end of its section (created when
    /// missing).
    Set {
        section: String,
        key: String,
        value: Value,
    },
}

impl Edit {
    /// The JSON pointer of the key before the edit (`None`: it did not exist).
    pub fn old_pointer(&self) -> Option<String> {
        match self {
            Edit::Rename { section, from, .. } => Some(pointer(section.as_deref(), from)),
            Edit::Move { from, key, .. } => Some(pointer(from.as_deref(), key)),
            Edit::Set { section, key, .. } => Some(pointer(Some(section), key)),
        }
    }

    /// The JSON pointer of the key after the edit.
    pub fn new_pointer(&self) -> String {
        match self {
            Edit::Rename { section, to, .. } => pointer(section.as_deref(), to),
            Edit::Move { key, to, .. } => pointer(Some(to), key),
            Edit::Set { section, key, .. } => pointer(Some(section), key),
        }
    }

    /// The key's name after the edit (to find it in a diff).
    pub fn key_after(&self) -> &str {
        match self {
            Edit::Rename { to, .. } => to,
            Edit::Move { key, .. } | Edit::Set { key, .. } => key,
        }
    }

    /// `section.key` after the edit, for people.
    pub fn dotted(&self) -> String {
        dotted(&self.new_pointer())
    }
}

/// A pointer of [`pointer`]'s form as people write it: `/section/key` → `section.key`.
pub fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// `/section/key`, escaped as RFC 6901 says.
pub fn pointer(section: Option<&str>, key: &str) -> String {
    let esc = |s: &str| s.replace('~', "~0").replace('/', "~1");
    match section {
        Some(s) => format!("/{}/{}", esc(s), esc(key)),
        None => format!("/{}", esc(key)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The file is not strict JSON: mdatp cannot read it either; it needs a person.
    #[error("not strict JSON: {0}")]
    NotJson(String),
    /// This edit cannot be made without guessing; the text says why.
    #[error("{0}")]
    Ambiguous(String),
}

/// Strict JSON, as mdatp reads it: no comments, no trailing commas, no JSON5.
fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Applies `edits` in order. Each edit that cannot be made unambiguously is returned
/// with its reason instead, and the others still apply.
pub fn apply(text: &str, edits: &[Edit]) -> Result<(String, Vec<(Edit, String)>), EditError> {
    apply_noting_repeats(text, edits).map(|(text, skipped, _)| (text, skipped))
}

/// What [`apply`] returns, and for each edit what [`repeats`] says of it (read before
/// any edit is made): the file is parsed once for both.
pub type Applied = (String, Vec<(Edit, String)>, Vec<Option<String>>);

/// [`apply`] and [`repeats`] in one parse. The syntax tree is built from the text with
/// every value no edit can reach (a section no edit names, a key no edit names inside a
/// named one) stood in for by a short placeholder, put back afterwards (see [`Shrunk`]):
/// a 1 MB file of exclusions is edited as a few hundred bytes, its exclusions copied
/// through as they were written.
pub fn apply_noting_repeats(text: &str, edits: &[Edit]) -> Result<Applied, EditError> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let small = Shrunk::new(body, edits, KEEP_BELOW);
    let edited = small
        .as_ref()
        .and_then(|small| {
            let (out, skipped, repeated) = edit_tree(&small.text, edits).ok()?;
            Some((small.restore(&out)?, skipped, repeated))
        })
        // Anything unexpected: the whole text, as it always was.
        .map_or_else(|| edit_tree(body, edits), Ok)?;
    let (body, skipped, repeated) = edited;
    // Never hand back something mdatp could not read.
    check_json(&body)
        .map_err(|e| EditError::NotJson(format!("the edited text does not parse: {e}")))?;
    Ok((format!("{bom}{body}"), skipped, repeated))
}

fn edit_tree(body: &str, edits: &[Edit]) -> Result<Applied, EditError> {
    let root =
        CstRootNode::parse(body, &strict()).map_err(|e| EditError::NotJson(e.to_string()))?;
    let Some(doc) = root.object_value() else {
        return Err(EditError::NotJson("the document is not an object".into()));
    };
    let repeated = edits.iter().map(|e| repeats_in(&doc, e)).collect();
    let mut skipped = Vec::new();
    for edit in edits {
        if let Err(EditError::Ambiguous(why)) = apply_one(&doc, edit) {
            skipped.push((edit.clone(), why));
        }
    }
    Ok((root.to_string(), skipped, repeated))
}

/// Checks that `text` is JSON as serde_json reads it into a [`Value`] (the same errors,
/// the same nesting limit, numbers in range, escapes whole) without building one.
pub fn check_json(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Checked>(text).map(|_| ())
}

/// Any JSON value, read as a [`Value`] is read, and dropped.
struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'de> serde::de::Visitor<'de> for Checked {
    type Value = Checked;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(Checked)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// The values of a JSON object's keys as a [`Value`] of it holds them (the last of a key
/// given twice), two levels deep: each top-level key with either its value as written
/// (`Err`) or, when that is an object, each of its keys with its value as written. For
/// text [`check_json`] accepts; `None` for anything else.
pub type Leaves<'a> = Vec<(String, Result<Vec<(String, &'a str)>, &'a str>)>;

pub fn leaves(text: &str) -> Option<Leaves<'_>> {
    let mut out: Leaves = Vec::new();
    let mut scan = Scan { text, at: 0 };
    scan.object(&mut |scan, depth, name, start| {
        let object = scan.peek() == Some(b'{');
        if depth == 2 {
            let end = scan.value()?;
            let (_, Ok(keys)) = out.last_mut()? else {
                return None;
            };
            keys.retain(|(k, _)| k != name);
            keys.push((name.to_string(), &text[start..end]));
            return Some(false);
        }
        out.retain(|(k, _)| k != name);
        if object {
            out.push((name.to_string(), Ok(Vec::new())));
            return Some(true);
        }
        let end = scan.value()?;
        out.push((name.to_string(), Err(&text[start..end])));
        Some(false)
    })?;
    scan.ws()?;
    (scan.at == text.len()).then_some(out)
}

/// Values shorter than this are left in the text the tree is built from.
const KEEP_BELOW: usize = 64;

/// The text an edit's syntax tree is built from: `text` with each value no edit can
/// reach replaced by a placeholder (a JSON string of its own, found again in the edited
/// text and replaced by the value as written). What a tree of the whole text would
/// decide from the replaced values is kept too: whether the text is strict JSON (each
/// is checked by serde_json, and one holding a `\uD800`-style escape, which serde_json
/// skips and jsonc-parser refuses, is never replaced) and the newline written (a text
/// that mixes `\n` and `\r\n` is not shrunk). `None` when nothing is worth replacing
/// or the text is not as expected: then the whole text is used.
struct Shrunk<'a> {
    text: String,
    /// The replaced values, in order.
    values: Vec<&'a str>,
}

/// How a placeholder starts; a text that already holds it is not shrunk.
const MARK: &str = "\"@mdatp-doctor-kept-";

impl<'a> Shrunk<'a> {
    fn new(body: &'a str, edits: &[Edit], keep_below: usize) -> Option<Shrunk<'a>> {
        if body.len() < 4 * keep_below || body.contains(&MARK[1..]) {
            return None;
        }
        let (lf, crlf, cr) = (
            body.matches('\n').count(),
            body.matches("\r\n").count(),
            body.matches('\r').count(),
        );
        if cr != crlf || (crlf > 0 && crlf != lf) {
            return None;
        }
        // The names an edit can reach: sections (descended into), keys inside them, and
        // keys at the top level (kept whole).
        let (mut sections, mut keys, mut top): (Vec<&str>, Vec<&str>, Vec<&str>) =
            Default::default();
        for edit in edits {
            match edit {
                Edit::Rename {
                    section: Some(section),
                    from,
                    to,
                } => {
                    sections.push(section);
                    keys.extend([from.as_str(), to.as_str()]);
                }
                Edit::Rename {
                    section: None,
                    from,
                    to,
                } => top.extend([from.as_str(), to.as_str()]),
                Edit::Move { from, key, to } => {
                    match from {
                        Some(from) => sections.push(from),
                        None => top.push(key),
                    }
                    sections.push(to);
                    keys.push(key);
                }
                Edit::Set { section, key, .. } => {
                    sections.push(section);
                    keys.push(key);
                }
            }
        }
        let mut out = Shrunk {
            text: String::with_capacity(4096),
            values: Vec::new(),
        };
        let mut scan = Scan { text: body, at: 0 };
        let mut copied = 0;
        scan.object(&mut |scan, depth, name, start| {
            if depth == 1 && top.contains(&name) {
                return Some(false);
            }
            let reached = if depth == 1 { &sections } else { &keys };
            if reached.contains(&name) {
                // A section an edit names is descended into; a key's value is kept.
                return Some(depth == 1 && scan.peek() == Some(b'{'));
            }
            let end = scan.value()?;
            let value = &body[start..end];
            if value.len() >= keep_below {
                if value.contains("\\u") && has_surrogate_escape(value) {
                    return None;
                }
                out.text.push_str(&body[copied..start]);
                out.text.push_str(&format!("{MARK}{}\"", out.values.len()));
                out.values.push(value);
                copied = end;
            }
            Some(false)
        })?;
        scan.ws()?;
        if scan.at != body.len() || out.values.is_empty() {
            return None;
        }
        out.text.push_str(&body[copied..]);
        // A tree that sees no newline writes `\n`; the whole text's tree would have seen
        // the replaced values' newlines.
        if lf > 0 && !out.text.contains('\n') {
            return None;
        }
        Some(out)
    }

    /// The edited text with the values put back; `None` if a placeholder is not where
    /// expected (each once, in order).
    fn restore(&self, edited: &str) -> Option<String> {
        let mut out = String::with_capacity(
            edited.len() + self.values.iter().map(|v| v.len()).sum::<usize>(),
        );
        let mut rest = edited;
        for (i, value) in self.values.iter().enumerate() {
            let mark = format!("{MARK}{i}\"");
            let at = rest.find(MARK)?;
            if !rest[at..].starts_with(&mark) {
                return None;
            }
            out.push_str(&rest[..at]);
            out.push_str(value);
            rest = &rest[at + mark.len()..];
        }
        if rest.contains(MARK) {
            return None;
        }
        out.push_str(rest);
        Some(out)
    }
}

/// A `\uD800`-`\uDFFF` escape anywhere in `text` (case-insensitive).
fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2].eq_ignore_ascii_case(&b'd')
            && matches!(w[3].to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f')
    })
}

/// Walks the first two levels of a strict JSON object, the values skipped by serde_json
/// (which checks their syntax). Only JSON's own whitespace is taken; anything else ends
/// the walk (`None`).
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn ws(&mut self) -> Option<()> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
        Some(())
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws()?;
        (self.peek() == Some(b)).then(|| self.at += 1)
    }

    /// One value, checked; returns where it ends.
    fn value(&mut self) -> Option<usize> {
        let rest = &self.text[self.at..];
        let mut one = serde_json::Deserializer::from_str(rest).into_iter::<serde::de::IgnoredAny>();
        one.next()?.ok()?;
        self.at += one.byte_offset();
        Some(self.at)
    }

    /// An object at `depth` 1 (the document) or 2 (a section): for each property,
    /// `visit(scan, depth, name, value_start)` skips or keeps its value (leaving the scan
    /// at the value's start) and says whether to descend into it (an object).
    fn object(
        &mut self,
        visit: &mut dyn FnMut(&mut Self, usize, &str, usize) -> Option<bool>,
    ) -> Option<()> {
        self.object_at(1, visit)
    }

    fn object_at(
        &mut self,
        depth: usize,
        visit: &mut dyn FnMut(&mut Self, usize, &str, usize) -> Option<bool>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.ws()?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(());
        }
        loop {
            self.ws()?;
            let name_start = self.at;
            let name_end = self.value()?;
            let raw = &self.text[name_start..name_end];
            let name: std::borrow::Cow<str> = if raw.contains('\\') {
                serde_json::from_str::<String>(raw).ok()?.into()
            } else {
                raw.strip_prefix('"')?.strip_suffix('"')?.into()
            };
            self.eat(b':')?;
            self.ws()?;
            let start = self.at;
            if visit(self, depth, &name, start)? {
                self.object_at(depth + 1, visit)?;
            } else if self.at == start {
                self.value()?;
            }
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// When the key an edit changes (or its section) is written more than once in `text`,
/// says so: the edit changed the last copy and left the others, which a person should
/// remove. `None` when each is written once (or the text does not parse).
pub fn repeats(text: &str, edit: &Edit) -> Option<String> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = CstRootNode::parse(body, &strict()).ok()?;
    repeats_in(&root.object_value()?, edit)
}

fn repeats_in(doc: &CstObject, edit: &Edit) -> Option<String> {
    let (section, key) = match edit {
        Edit::Rename { section, from, .. } => (section.as_deref(), from.as_str()),
        Edit::Move { from, key, .. } => (from.as_deref(), key.as_str()),
        Edit::Set { section, key, .. } => (Some(section.as_str()), key.as_str()),
    };
    let count = |obj: &CstObject, name: &str| {
        obj.properties()
            .iter()
            .filter(|p| p.decoded_name().as_deref() == Some(name))
            .count()
    };
    let mut notes = Vec::new();
    // A move lands in the last copy of its destination section.
    if let Edit::Move { to, .. } = edit {
        let n = count(doc, to);
        if n > 1 {
            notes.push(format!("\"{to}\" is written {n} times at the top level"));
        }
    }
    if let Some(s) = section {
        let n = count(doc, s);
        if n > 1 {
            notes.push(format!("\"{s}\" is written {n} times at the top level"));
        }
    }
    if let Some(obj) = holder(doc, section) {
        let n = count(&obj, key);
        if n > 1 {
            notes.push(format!(
                "\"{key}\" is written {n} times in {}",
                where_(section)
            ));
        }
    }
    (!notes.is_empty()).then(|| {
        format!(
            "{}: the last copy was changed, the one mdatp is taken to read (JSON readers keep \
             the last; Microsoft does not say which mdatp keeps); remove the others by hand",
            notes.join(", and ")
        )
    })
}

fn apply_one(doc: &CstObject, edit: &Edit) -> Result<(), EditError> {
    let ambiguous = |s: String| Err(EditError::Ambiguous(s));
    match edit {
        Edit::Rename { section, from, to } => {
            let Some(obj) = holder(doc, section.as_deref()) else {
                return ambiguous(format!("{} is not an object", where_(section.as_deref())));
            };
            let Some(prop) = last(&obj, from) else {
                return ambiguous(format!(
                    "\"{from}\" is no longer in {}",
                    where_(section.as_deref())
                ));
            };
            if last(&obj, to).is_some() {
                return ambiguous(format!(
                    "both \"{from}\" and \"{to}\" are in {}: which value is meant is for a person to say",
                    where_(section.as_deref())
                ));
            }
            let Some(name) = prop.name().and_then(|n| n.as_string_lit()) else {
                return ambiguous(format!("\"{from}\" has no quoted name"));
            };
            name.set_raw_value(quoted(to));
            Ok(())
        }
        Edit::Move { from, key, to } => {
            let Some(obj) = holder(doc, from.as_deref()) else {
                return ambiguous(format!("{} is not an object", where_(from.as_deref())));
            };
            let Some(prop) = last(&obj, key) else {
                return ambiguous(format!(
                    "\"{key}\" is no longer in {}",
                    where_(from.as_deref())
                ));
            };
            let target = match last(doc, to) {
                Some(p) => match p.object_value() {
                    Some(o) => o,
                    None => return ambiguous(format!("\"{to}\" is not an object")),
                },
                None => doc.object_value_or_set(to),
            };
            if last(&target, key).is_some() {
                return ambiguous(format!(
                    "\"{key}\" is already in \"{to}\": which value is meant is for a person to say"
                ));
            }
            let Some(value) = prop.to_serde_value() else {
                return ambiguous(format!("\"{key}\" has no value"));
            };
            prop.remove();
            target.append(key, input(&value));
            Ok(())
        }
        Edit::Set {
            section,
            key,
            value,
        } => {
            let obj = match last(doc, section) {
                Some(p) => match p.object_value() {
                    Some(o) => o,
                    None => return ambiguous(format!("\"{section}\" is not an object")),
                },
                None => doc.object_value_or_set(section),
            };
            match last(&obj, key) {
                Some(prop) => prop.set_value(input(value)),
                None => {
                    obj.append(key, input(value));
                }
            }
            Ok(())
        }
    }
}

fn where_(section: Option<&str>) -> String {
    section.map_or("the top level".into(), |s| format!("\"{s}\""))
}

/// The object holding keys of `section` (the document for the top level).
fn holder(doc: &CstObject, section: Option<&str>) -> Option<CstObject> {
    match section {
        None => Some(doc.clone()),
        Some(s) => last(doc, s)?.object_value(),
    }
}

/// The last property of that name: the one mdatp reads.
fn last(obj: &CstObject, name: &str) -> Option<CstObjectProp> {
    obj.properties()
        .into_iter()
        .filter(|p| p.decoded_name().as_deref() == Some(name))
        .last()
}

fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(input).collect()),
        Value::Object(o) => {
            CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests;
