//! Alert thresholds in the Monitoring Plugins range syntax, in seconds: `10` (alert above
//! 10 or below 0), `10:` (below 10), `~:10` (above 10), `10:20` (outside), `@10:20`
//! (inside). Each end may carry a duration unit (`24h`, `3d`), and a bare duration such
//! as `24h` means "alert above 24 hours", as an admin would expect.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// `None`: no lower end (`~`).
    pub start: Option<f64>,
    /// `None`: no upper end.
    pub end: Option<f64>,
    /// `@`: alert inside the range instead of outside.
    pub inside: bool,
}

impl Range {
    /// Alert above `d` (the plugin range `d`, i.e. `0:d`).
    pub fn above(d: Duration) -> Range {
        Range {
            start: Some(0.0),
            end: Some(d.as_secs_f64()),
            inside: false,
        }
    }

    /// The `N` of a plain "alert above N" range (`N`, `0:N`), if that is what this is.
    pub fn upper_bound(&self) -> Option<f64> {
        match (self.start, self.end, self.inside) {
            (Some(0.0), Some(e), false) => Some(e),
            _ => None,
        }
    }

    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e);
        if self.inside { within } else { !within }
    }

    /// The range back in plugin syntax, in whole seconds, for perfdata.
    pub fn to_plugin_syntax(&self) -> String {
        let n = |v: f64| format!("{}", v.round() as i64);
        let body = match (self.start, self.end) {
            (Some(0.0), Some(e)) => n(e),
            (Some(s), Some(e)) => format!("{}:{}", n(s), n(e)),
            (Some(s), None) => format!("{}:", n(s)),
            (None, Some(e)) => format!("~:{}", n(e)),
            (None, None) => "~:".into(),
        };
        if self.inside {
            format!("@{body}")
        } else {
            body
        }
    }
}

fn number(s: &str) -> Result<f64, String> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>()
        && v.is_finite()
    {
        return Ok(v);
    }
    super::parse_age(s)
        .map(|d| d.as_secs_f64())
        .map_err(|_| format!("`{s}` is neither a number of seconds nor a duration (24h, 3d)"))
}

pub fn parse(text: &str) -> Result<Range, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an empty threshold".into());
    }
    let (inside, body) = match t.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let range = match body.split_once(':') {
        None => Range {
            start: Some(0.0),
            end: Some(number(body)?),
            inside,
        },
        Some((start, end)) => Range {
            start: match start.trim() {
                "~" => None,
                "" => Some(0.0),
                s => Some(number(s)?),
            },
            end: if end.trim().is_empty() {
                None
            } else {
                Some(number(end)?)
            },
            inside,
        },
    };
    if let (Some(s), Some(e)) = (range.start, range.end)
        && s > e
    {
        return Err(format!("`{text}`: the start is above the end"));
    }
    Ok(range)
}

#[cfg(test)]
mod tests;
