//! Where each key of a JSON document stands (its parent path and line), and which keys
//! repeat inside one object. serde_json keeps the last duplicate silently; a checker
//! must see them, with line numbers a person can go to.

use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAt {
    /// The keys of the enclosing objects, outermost first (`[]` for an array element).
    pub parent: Vec<String>,
    pub key: String,
    pub line: usize,
    /// The same key already appeared earlier in the same object.
    pub duplicate: bool,
}

enum Frame {
    Object {
        keys: HashSet<String>,
        expecting_key: bool,
        path: Vec<String>,
    },
    Array {
        path: Vec<String>,
    },
}

/// Lists every object key of a document. Meant for text serde_json already accepted; on
/// anything else it still returns what it could read, never panics.
pub fn keys(text: &str) -> Vec<KeyAt> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending: Option<String> = None;
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let raw = text.get(start..(i + 1).min(bytes.len())).unwrap_or("");
                let value = serde_json::from_str::<String>(raw)
                    .unwrap_or_else(|_| raw.trim_matches('"').to_string());
                if let Some(Frame::Object {
                    keys,
                    expecting_key,
                    path,
                }) = stack.last_mut()
                    && *expecting_key
                {
                    let duplicate = !keys.insert(value.clone());
                    out.push(KeyAt {
                        parent: path.clone(),
                        key: value.clone(),
                        line,
                        duplicate,
                    });
                    *expecting_key = false;
                    pending = Some(value);
                }
            }
            b',' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = true;
                }
            }
            open @ (b'{' | b'[') => {
                let mut path = match stack.last() {
                    Some(Frame::Object { path, .. }) | Some(Frame::Array { path }) => path.clone(),
                    None => Vec::new(),
                };
                match stack.last() {
                    Some(Frame::Array { .. }) => path.push("[]".into()),
                    Some(Frame::Object { .. }) => path.push(pending.take().unwrap_or_default()),
                    None => {}
                }
                stack.push(if open == b'{' {
                    Frame::Object {
                        keys: HashSet::new(),
                        expecting_key: true,
                        path,
                    }
                } else {
                    Frame::Array { path }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
