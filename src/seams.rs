//! Test seams: environment variables only the test suite sets (a fixed clock and host
//! name, a kill or abort at a named point of a write). They are compiled in only with the
//! `test-seams` feature, which `cargo test` turns on (through the dev-dependency of this
//! package on itself); a release build reads none of them, so nobody can steer a root
//! process through them.

/// The seam `name`'s value, when the tests set it (`None` in a build without seams).
#[cfg(feature = "test-seams")]
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The seam `name`'s value: never, in a build without seams.
#[cfg(not(feature = "test-seams"))]
pub fn var(_name: &str) -> Option<String> {
    None
}
