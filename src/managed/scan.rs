//! Where each key of a JSON document stands (its parent path and line), which keys
//! repeat inside one object, and which of them mdatp cannot see because a later
//! duplicate replaces them. serde_json keeps the last duplicate silently; a checker must
//! see them, with line numbers a person can go to.
//!
//! Linear in the input, in time and memory: the enclosing objects are nodes of one
//! arena (each key points at its parent node, paths are built only when asked for), and
//! the scan stops listing past [`MAX_KEYS`] keys and [`MAX_DEPTH`] levels, saying so.

use std::collections::HashMap;

/// More keys than any real configuration has (Microsoft's full sample has about 80;
/// long exclusion lists a few thousand). Past this the scan counts but does not list.
pub const MAX_KEYS: usize = 25_000;
/// Deeper than any documented setting (3 levels); serde_json itself refuses 128.
pub const MAX_DEPTH: usize = 32;

/// An object or list of the document, by its index in [`Keys`].
pub type NodeId = u32;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    /// The key holding it in its parent object, `[]` in a list, empty for the document.
    name: String,
    parent: Option<NodeId>,
    /// A later duplicate of the key holding it (or of an ancestor) replaces it.
    shadowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAt {
    /// The enclosing object (see [`Keys::parent`] for its path).
    pub parent: NodeId,
    pub key: String,
    pub line: usize,
    /// The same key already appeared earlier in the same object.
    pub duplicate: bool,
    /// mdatp does not see it: a later duplicate in the same object replaces it, or it
    /// sits inside an object that a later duplicate replaces (the last one wins).
    pub ignored: bool,
    /// The object or list this key holds, if its value is one.
    pub value: Option<NodeId>,
}

/// Every key of a document, in document order, with the objects that hold them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub list: Vec<KeyAt>,
    nodes: Vec<Node>,
    /// Keys seen past [`MAX_KEYS`]: counted, not listed.
    pub unlisted: usize,
    /// The deepest nesting seen (1 for `{"a": 1}`).
    pub max_depth: usize,
}

impl Keys {
    pub fn iter(&self) -> std::slice::Iter<'_, KeyAt> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether objects nested deeper than [`MAX_DEPTH`] were left unread.
    pub fn too_deep(&self) -> bool {
        self.max_depth > MAX_DEPTH
    }

    /// The keys of the objects enclosing `node`, outermost first (`[]` for a list
    /// element; empty for the document itself).
    pub fn path(&self, node: NodeId) -> Vec<&str> {
        let mut out = Vec::new();
        let mut at = Some(node);
        while let Some(n) = at.and_then(|i| self.nodes.get(i as usize)) {
            if n.parent.is_some() {
                out.push(n.name.as_str());
            }
            at = n.parent;
        }
        out.reverse();
        out
    }

    /// The path of the object holding `k`.
    pub fn parent(&self, k: &KeyAt) -> Vec<&str> {
        self.path(k.parent)
    }

    /// How many objects enclose `k` below the document (0 at the top level), without
    /// building the path.
    pub fn level(&self, k: &KeyAt) -> usize {
        let mut n = 0;
        let mut at = self.nodes.get(k.parent as usize).and_then(|n| n.parent);
        while let Some(i) = at {
            n += 1;
            at = self.nodes.get(i as usize).and_then(|n| n.parent);
        }
        n
    }

    /// `section.key` (the path and the key, dotted).
    pub fn dotted(&self, k: &KeyAt) -> String {
        let mut parts = self.parent(k);
        parts.push(&k.key);
        parts.join(".")
    }

    /// The keys directly inside `node`, in document order.
    pub fn children(&self, node: NodeId) -> impl Iterator<Item = &KeyAt> {
        self.list.iter().filter(move |k| k.parent == node)
    }
}

impl<'a> IntoIterator for &'a Keys {
    type Item = &'a KeyAt;
    type IntoIter = std::slice::Iter<'a, KeyAt>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

enum Frame {
    Object {
        node: NodeId,
        /// Each key seen in this object, with the index of its last occurrence.
        seen: HashMap<String, usize>,
        expecting_key: bool,
    },
    Array {
        node: NodeId,
    },
}

/// Lists every object key of a document. Meant for text serde_json already accepted; on
/// anything else it still returns what it could read, never panics.
pub fn keys(text: &str) -> Keys {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut out = Keys::default();
    let mut stack: Vec<Frame> = Vec::new();
    // Containers opened past MAX_DEPTH, not looked into.
    let mut beyond = 0usize;
    // The last key of the innermost object, whose value may be the next container.
    let mut pending: Option<usize> = None;
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
                if beyond > 0 {
                    i += 1;
                    continue;
                }
                if let Some(Frame::Object {
                    node,
                    seen,
                    expecting_key,
                }) = stack.last_mut()
                    && *expecting_key
                {
                    *expecting_key = false;
                    pending = None;
                    if out.list.len() >= MAX_KEYS {
                        out.unlisted += 1;
                    } else {
                        let raw = text.get(start..(i + 1).min(bytes.len())).unwrap_or("");
                        let key = serde_json::from_str::<String>(raw)
                            .unwrap_or_else(|_| raw.trim_matches('"').to_string());
                        let index = out.list.len();
                        let earlier = seen.insert(key.clone(), index);
                        if let Some(prev) = earlier {
                            out.list[prev].ignored = true;
                            if let Some(v) = out.list[prev].value {
                                out.nodes[v as usize].shadowed = true;
                            }
                        }
                        out.list.push(KeyAt {
                            parent: *node,
                            key,
                            line,
                            duplicate: earlier.is_some(),
                            ignored: false,
                            value: None,
                        });
                        pending = Some(index);
                    }
                }
            }
            b',' if beyond == 0 => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = true;
                }
            }
            open @ (b'{' | b'[') => {
                if beyond > 0 || stack.len() >= MAX_DEPTH {
                    beyond += 1;
                    pending = None;
                    out.max_depth = out.max_depth.max(stack.len() + beyond);
                    i += 1;
                    continue;
                }
                let id = out.nodes.len() as NodeId;
                let (parent, name) = match stack.last() {
                    None => (None, String::new()),
                    Some(Frame::Array { node }) => (Some(*node), "[]".to_string()),
                    Some(Frame::Object { node, .. }) => match pending.take() {
                        Some(k) => {
                            out.list[k].value = Some(id);
                            (Some(*node), out.list[k].key.clone())
                        }
                        None => (Some(*node), String::new()),
                    },
                };
                out.nodes.push(Node {
                    name,
                    parent,
                    shadowed: false,
                });
                stack.push(if open == b'{' {
                    Frame::Object {
                        node: id,
                        seen: HashMap::new(),
                        expecting_key: true,
                    }
                } else {
                    Frame::Array { node: id }
                });
                out.max_depth = out.max_depth.max(stack.len());
            }
            b'}' | b']' => {
                if beyond > 0 {
                    beyond -= 1;
                } else {
                    stack.pop();
                    pending = None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    // Parents come before their children: one pass carries shadowing down.
    for n in 0..out.nodes.len() {
        if let Some(p) = out.nodes[n].parent
            && out.nodes[p as usize].shadowed
        {
            out.nodes[n].shadowed = true;
        }
    }
    for k in &mut out.list {
        if out.nodes.get(k.parent as usize).is_some_and(|n| n.shadowed) {
            k.ignored = true;
        }
    }
    out
}

#[cfg(test)]
mod tests;
