//! The layers import one way: units ← adapters ← analyze ← gather ← report ← render ←
//! commands ← main, and only `commands` and `main` see `cli`. This reads every source
//! file and fails on an import against that direction.

use std::path::Path;

/// The layer of each top-level module; a module may import its own layer's modules
/// (adapters use each other) or earlier ones, never later ones.
const LAYERS: &[(&str, u8)] = &[
    ("units", 0),
    ("exit_codes", 0),
    ("safe_write", 0),
    ("failure", 0),
    ("seams", 0),
    ("process", 1),
    ("system", 2),
    ("interrupt", 2),
    ("mdatp", 2),
    ("mirror", 2),
    ("mirror_host", 2),
    ("managed", 2),
    ("state", 2),
    ("bundle", 2),
    ("analyze", 3),
    ("gather", 4),
    ("report", 5),
    ("render", 6),
    ("cli", 7),
    ("commands", 8),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The source as logical lines: a `use` statement that rustfmt spread over several
/// lines is joined into one, numbered by its first line.
fn logical_lines(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if let Some((_, text)) = pending.as_mut() {
            text.push(' ');
            text.push_str(code.trim());
            if code.contains(';') {
                out.extend(pending.take());
            }
            continue;
        }
        let t = code.trim_start();
        let is_use =
            t.starts_with("use ") || t.starts_with("pub use ") || t.starts_with("pub(crate) use ");
        if is_use && !code.contains(';') {
            pending = Some((n + 1, code.trim().to_string()));
        } else {
            out.push((n + 1, code.to_string()));
        }
    }
    out.extend(pending);
    out
}

/// Every `crate::<module>` named in `source`, with its line number.
fn imports(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, code) in logical_lines(source) {
        let code = code.replace("crate ::", "crate::").replace(":: ", "::");
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((n, name));
        }
        // `use crate::{a, b::c}`, also spread over lines
        if let Some(i) = code.find("crate::{") {
            for part in code[i + "crate::{".len()..].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((n, name));
                }
            }
        }
    }
    out
}

/// The violations in one file of module `owner`.
fn violations(owner: &str, file: &str, source: &str) -> Vec<String> {
    let Some(own) = layer(owner) else {
        return vec![format!("{file}: module `{owner}` has no layer in LAYERS")];
    };
    let mut out = Vec::new();
    for (line, name) in imports(source) {
        if name == owner || name.is_empty() {
            continue;
        }
        let Some(theirs) = layer(&name) else {
            continue; // a macro path or an item at the crate root
        };
        let cli_outside = name == "cli" && owner != "commands";
        // Layers from analyze up import strictly earlier layers only.
        let later = if own >= 3 {
            theirs >= own
        } else {
            theirs > own
        };
        if later || cli_outside {
            out.push(format!("{file}:{line}: `{owner}` imports `{name}`"));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_follow_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    let mut checked = 0;
    for path in &files {
        let rel = path.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("component");
        let owner = first.as_os_str().to_string_lossy();
        let owner = owner.trim_end_matches(".rs");
        if matches!(owner, "lib" | "main") {
            continue;
        }
        let source = std::fs::read_to_string(path).expect("read");
        checked += imports(&source).len();
        bad.extend(violations(owner, &rel.display().to_string(), &source));
    }
    assert!(
        checked > 200,
        "only {checked} imports found: the scanner is broken"
    );
    assert!(
        bad.is_empty(),
        "imports against the layers:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checker_catches_each_kind_of_arrow() {
    assert_eq!(
        violations("render", "r.rs", "use crate::commands::Context;").len(),
        1
    );
    assert_eq!(
        violations("report", "r.rs", "use crate::cli::Format;").len(),
        1
    );
    assert_eq!(
        violations("analyze", "a.rs", "use crate::{gather, units};").len(),
        1
    );
    assert_eq!(
        violations("mdatp", "m.rs", "let x = crate::analyze::facts::ev;").len(),
        1
    );
    assert_eq!(
        violations("gather", "g.rs", "use crate::render::Style;").len(),
        1
    );
    // A use statement spread over lines by rustfmt.
    assert_eq!(
        violations(
            "render",
            "r.rs",
            "use crate::{\n    cli::Format,\n    units::human_age,\n};"
        )
        .len(),
        1
    );
    // Allowed: earlier layers, the same adapter layer, comments.
    assert!(violations("render", "r.rs", "use crate::report::misc::X;").is_empty());
    assert!(violations("bundle", "b.rs", "use crate::mdatp::call;").is_empty());
    assert!(violations("render", "r.rs", "// see crate::commands").is_empty());
    assert!(violations("commands", "c.rs", "use crate::cli::Cli;").is_empty());
}
