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

/// What each command's `--format` lists is what `Command::takes` says it takes (the
/// attribute and the match are two sites; `main` refuses by the match).
#[test]
fn each_commands_format_option_lists_what_it_takes() {
    let lines: &[&[&str]] = &[
        &["health"],
        &["connectivity"],
        &["diagnose"],
        &["check"],
        &["update"],
        &["bundle"],
        &["aggregate", "r.json"],
        &["config", "check"],
        &["config", "fix"],
        &["mirror", "check"],
        &["mirror", "run", "--script", "/x.sh"],
        &["mirror", "promote", "--root", "/srv", "--to", "canary"],
        &["mirror", "rollback", "--root", "/srv"],
    ];
    let root = Cli::command();
    for line in lines {
        let cli = parse(std::iter::once("mdatp-doctor").chain(line.iter().copied()))
            .unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let mut cmd = &root;
        for word in line.iter().take_while(|w| !w.starts_with('-')) {
            match cmd.find_subcommand(word) {
                Some(sub) => cmd = sub,
                None => break,
            }
        }
        let listed: Vec<String> = cmd
            .get_arguments()
            .find(|a| a.get_id() == "format")
            .expect("a --format")
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        let takes: Vec<String> = Format::accepted(cli.command.takes())
            .map(|f| f.value().to_string())
            .collect();
        assert_eq!(listed, takes, "{line:?}");
    }
}
