//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn codes_are_the_documented_numbers() {
    let all = [
        (ExitCode::Ok, 0),
        (ExitCode::Warning, 1),
        (ExitCode::Critical, 2),
        (ExitCode::Unknown, 3),
        (ExitCode::Usage, 64),
    ];
    for (code, n) in all {
        assert_eq!(code.code(), n, "{code:?}");
        assert!(
            EXIT_CODES_HELP.contains(&format!("  {n} ")),
            "{n} missing from help"
        );
    }
}
