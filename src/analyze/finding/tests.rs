//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn f(id: &'static str, severity: Severity) -> Finding {
    Finding::test(id, severity, "")
}

#[test]
fn worst_and_sort() {
    let mut all = vec![
        f("a", Severity::Info),
        f("b", Severity::Critical),
        f("c", Severity::Warning),
    ];
    assert_eq!(worst(&all), Severity::Critical);
    assert_eq!(worst(&[]), Severity::Ok);
    sort(&mut all);
    assert_eq!(
        all.iter().map(|f| f.id).collect::<Vec<_>>(),
        ["b", "c", "a"]
    );
    assert_eq!(Severity::Info.exit_code(), ExitCode::Ok);
    assert_eq!(Severity::Critical.exit_code(), ExitCode::Critical);
    assert_eq!(
        serde_json::to_string(&Severity::Warning).expect("json"),
        "\"warning\""
    );
}
