//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use clap::CommandFactory;

#[test]
fn definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn sections_cannot_smuggle_options() {
    assert!(parse_section("definitions").is_ok());
    for bad in ["--help", "a b", "", "Definitions", "x;y"] {
        assert!(parse_section(bad).is_err(), "{bad}");
    }
}

#[test]
fn health_arguments_map_to_mdatp_calls() {
    let cli = Cli::try_parse_from(["mdatp-doctor", "health"]).expect("parses");
    let Command::Health(h) = cli.command else {
        panic!("health")
    };
    assert_eq!(h.mdatp_args(), ["health", "--details", "definitions"]);
    let cli =
        Cli::try_parse_from(["mdatp-doctor", "health", "--all", "--mdatp-json"]).expect("parses");
    let Command::Health(h) = cli.command else {
        panic!("health")
    };
    assert_eq!(h.mdatp_args(), ["health", "--output", "json"]);
    assert!(Cli::try_parse_from(["mdatp-doctor", "health", "--all", "--details", "edr"]).is_err());
}

#[test]
fn edit_distance_counts_a_swap_of_neighbours_as_one() {
    assert_eq!(edit_distance("ulr", "url"), 1);
    assert_eq!(edit_distance("url", "url"), 0);
    assert_eq!(edit_distance("flder", "folder"), 1);
    assert_eq!(edit_distance("exlpain", "explain"), 1);
    assert_eq!(edit_distance("arch", "url"), 3);
}
