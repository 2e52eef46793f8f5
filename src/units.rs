//! Durations, ages, sizes and alert ranges: parsed from the command line and shown to
//! people. Shared by `cli` and the layers below it, so neither imports the other. Also
//! the effective user id, which every layer asks.

pub mod range;

use std::cmp::Ordering;

use std::time::Duration;

/// Seconds as a number (`60`, `1.5`) or with a unit (`500ms`, `90s`, `2m`), at most a day.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    parse_duration(s, 86_400.0).map_err(|e| {
        if e.ends_with("out of range") {
            format!("{e} (at most a day)")
        } else {
            e
        }
    })
}

/// An age such as `7d`, `36h` or a number of seconds, at most a year.
pub fn parse_age(s: &str) -> Result<Duration, String> {
    parse_duration(s, 366.0 * 86_400.0)
}

fn parse_duration(s: &str, max_secs: f64) -> Result<Duration, String> {
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = s.strip_suffix('d') {
        (n, 86_400.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (examples: 60, 1.5, 500ms, 2m)"))?;
    let secs = value * scale;
    if secs.is_finite() && secs <= 0.0 {
        return Err(format!("`{s}` must be more than 0"));
    }
    if !secs.is_finite() || secs > max_secs {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A size in bytes, with an optional unit: `2GiB`, `500MB`, `64k`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` (use B, KB, KiB, MB, MiB, GB, GiB)"
            ));
        }
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size (examples: 2GiB, 500MB)"))?;
    let bytes = n * scale;
    if !bytes.is_finite() || !(1.0..=1e15).contains(&bytes) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(bytes as u64)
}

/// An age as a person says it: minutes, hours, then days.
pub fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else if s >= 2 * 3600 {
        format!("{} hours", s / 3600)
    } else if s / 60 == 1 {
        "1 minute".into()
    } else {
        format!("{} minutes", s / 60)
    }
}

/// A time limit as said in messages: `60 s`, `1.5 s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A byte cap as said in messages: `16 MiB`, `1000 bytes`.
pub fn format_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// The effective user id (who the tool runs as owns its state and what it writes): one
/// wrapper for the one `unsafe` call.
pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests;

/// Whether `c` can drive a terminal or reorder what it shows: C0 controls, DEL, C1
/// controls (U+009B is a CSI of its own), and the bidirectional marks, embeddings,
/// overrides, isolates and line separators.
pub fn is_terminal_control(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'
            | '\x7f'..='\u{9f}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `s` with every [`is_terminal_control`] character shown as text, `\x1b` below U+0080
/// and `\u{202e}` above, so text read from mdatp, a mirror or a file cannot reach the
/// terminal raw. `keep_newlines` leaves `\n` alone, for text shown as several lines.
/// Borrowed when there is nothing to escape.
pub fn escape_controls(s: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| is_terminal_control(c) && !(keep_newlines && c == '\n');
    if !s.contains(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// What kind of file something is, for messages: "a FIFO", "a directory", ...
pub fn file_kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Compares dotted versions numerically, component by component (`101.9` < `101.10`).
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let parse = |v: &str| {
        v.trim()
            .split('.')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<_>>>()
    };
    let (mut x, mut y) = (parse(a)?, parse(b)?);
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    Some(x.cmp(&y))
}
