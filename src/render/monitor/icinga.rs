//! The body of an Icinga 2 API `process-check-result` request (POST
//! `/v1/actions/process-check-result`): the state is in the body, so the check exits 0.
//! The caller adds `type` and `filter` (or the object's name) for the service it feeds.

use serde::Serialize;

use super::{MonitorView, nagios, state_number};

#[derive(Serialize)]
struct Body {
    exit_status: u8,
    plugin_output: String,
    performance_data: Vec<String>,
    check_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_start: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_end: Option<f64>,
}

pub fn render(v: &MonitorView) -> String {
    // The Nagios status line without its perfdata, and its long output after it.
    let mut plugin_output = format!(
        "{} {} - {}",
        v.service,
        super::state_word(v.verdict),
        nagios::first_line_text(v)
    );
    for line in nagios::long_output(v) {
        plugin_output.push('\n');
        plugin_output.push_str(&line);
    }
    crate::render::json(&Body {
        exit_status: state_number(v.verdict),
        plugin_output,
        performance_data: nagios::perfdata(v),
        check_source: v.host.clone(),
        execution_start: v.started_unix,
        execution_end: v.ended_unix,
    })
}
