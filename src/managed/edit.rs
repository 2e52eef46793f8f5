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
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let root =
        CstRootNode::parse(body, &strict()).map_err(|e| EditError::NotJson(e.to_string()))?;
    let Some(doc) = root.object_value() else {
        return Err(EditError::NotJson("the document is not an object".into()));
    };
    let mut skipped = Vec::new();
    for edit in edits {
        if let Err(EditError::Ambiguous(why)) = apply_one(&doc, edit) {
            skipped.push((edit.clone(), why));
        }
    }
    let body = root.to_string();
    // Never hand back something mdatp could not read.
    serde_json::from_str::<Value>(&body)
        .map_err(|e| EditError::NotJson(format!("the edited text does not parse: {e}")))?;
    Ok((format!("{bom}{body}"), skipped))
}

/// When the key an edit changes (or its section) is written more than once in `text`,
/// says so: the edit changed the last copy and left the others, which a person should
/// remove. `None` when each is written once (or the text does not parse).
pub fn repeats(text: &str, edit: &Edit) -> Option<String> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = CstRootNode::parse(body, &strict()).ok()?;
    let doc = root.object_value()?;
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
        let n = count(&doc, to);
        if n > 1 {
            notes.push(format!("\"{to}\" is written {n} times at the top level"));
        }
    }
    if let Some(s) = section {
        let n = count(&doc, s);
        if n > 1 {
            notes.push(format!("\"{s}\" is written {n} times at the top level"));
        }
    }
    if let Some(obj) = holder(&doc, section) {
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
