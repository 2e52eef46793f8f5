# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mdatp_doctor_global_optspecs
    string join \n mdatp= managed-config= format= color= timeout= v/verbose state-dir= h/help V/version
end

function __fish_mdatp_doctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mdatp_doctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mdatp_doctor_using_subcommand
    set -l cmd (__fish_mdatp_doctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -l format -d 'Output format [default: human; nagios for `check`]. Each command\'s help lists the formats it takes: Nagios, Prometheus, Checkmk and Icinga output are for `check` and `mirror check` only, HTML for `aggregate` only' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'
nagios\t'Monitoring Plugins output: status line, perfdata, long output'
prometheus\t'Prometheus text exposition format'
checkmk\t'Checkmk local check line'
icinga\t'Icinga 2 API process-check-result request body (JSON)'
html\t'One self-contained HTML page (`aggregate` only)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "health" -d 'Show `mdatp health` as typed fields (definitions first)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "connectivity" -d 'Probe the offline update mirror the way the endpoint uses it'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "diagnose" -d 'Find every known reason offline updates fail, with evidence and a fix'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "check" -d 'Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "update" -d 'Trigger `mdatp definitions update`, wait for the real outcome, and explain it'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "bundle" -d 'Write a redacted support bundle (.tar.gz) with everything support needs'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "aggregate" -d 'Summarise many `diagnose --format json` reports into one fleet picture'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "config" -d 'Managed configuration tools'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "mirror" -d 'On the mirror host: doctor Microsoft\'s offline downloader and the tree it leaves'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l details -d 'Health section to show (mdatp\'s `--details`): definitions, edr, features, ...' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l from-file -d 'Read a saved health output (text or JSON) from FILE, or stdin with `-`, instead of running mdatp' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l all -d 'Show every field: run plain `mdatp health`'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -l mdatp-json -d 'Ask mdatp for its JSON output (`--output json`) instead of text'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand health" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l url -d 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp\'s configured URL]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l arch -d 'Architecture folder to probe [default: this machine\'s]' -r -f -a "x86_64\t''
arm64\t''
all\t'Both architectures'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l connect-timeout -d 'Time limit for each TCP connection attempt, per address' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l probe-timeout -d 'Time limit for the whole probe of one architecture' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l proxy -d 'Use this proxy [default: mdatp\'s cloudService.proxy, if any]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l stale-after -d 'A package on the mirror older than this is stale (e.g. 7d, 36h)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l max-package-size -d 'Largest package --verify-package downloads (e.g. 2GiB, 500MB)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l package-timeout -d 'Time limit for --verify-package\'s download of the whole package, on top of --probe-timeout (300 s fits a 200 MB package at about 0.7 MB/s). A download this cuts is reported as mirror-timeout with how much arrived and how fast, not as an invalid package' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l no-proxy -d 'Use no proxy, whatever mdatp is configured with'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l verify-package -d 'Download the whole package and check it is a readable zip (prints its SHA-256)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -l with-mdatp-test -d 'Also run `mdatp connectivity test` (Microsoft\'s endpoints and, from 101.26052.0012, the offline update paths) and show its result; a mirror line it prints is used as evidence'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand connectivity" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l explain -d 'Print what one finding means and how to fix it' -r -f -a "mdatp-not-found\t''
mdatp-failed\t''
mdatp-daemon-down\t''
mdatp-unlicensed\t''
mdatp-offboarded\t''
mdatp-expired\t''
mdatp-version-unsupported\t''
mdatp-unhealthy\t''
engine-not-loaded\t''
engine-status-undocumented\t''
offline-update-disabled\t''
automatic-update-disabled\t''
enforcement-not-realtime\t''
url-missing\t''
url-malformed\t''
url-includes-arch\t''
url-platform-mismatch\t''
url-not-ring-folder\t''
url-rollback\t''
url-mismatch\t''
verify-sig-disabled\t''
verify-sig-setting-deprecated\t''
definitions-update-failed\t''
definitions-stale\t''
definitions-missing\t''
definitions-unavailable\t''
definitions-updating\t''
reenable-bug\t''
reenable-bug-suspected\t''
mdatp-test-mirror-failed\t''
endpoint-behind-mirror\t''
engine-behind-mirror\t''
mirror-engine-behind-endpoint\t''
mirror-behind-endpoint\t''
mirror-dns-failed\t''
mirror-unreachable\t''
mirror-timeout\t''
mirror-tls-error\t''
mirror-http-error\t''
mirror-redirect-cross-host\t''
mirror-manifest-missing\t''
mirror-manifest-invalid\t''
mirror-package-missing\t''
mirror-package-invalid\t''
mirror-stale\t''
mirror-permissions\t''
mirror-sync-stalled\t''
mirror-status-unreadable\t''
config-not-found\t''
config-unreadable\t''
config-invalid-json\t''
config-unknown-key\t''
config-wrong-section\t''
config-invalid-value\t''
config-duplicate-key\t''
config-verify-sig-off\t''
config-url-unused\t''
config-interval-range\t''
config-too-complex\t''
config-not-applied\t''
disk-space-low\t''
history-off\t''
mirror-host-settings-unreadable\t''
mirror-host-settings-key-unknown\t''
mirror-host-settings-not-boolean\t''
mirror-host-no-platform\t''
mirror-host-folder-volatile\t''
mirror-host-folder-space\t''
mirror-host-folder-unreadable\t''
mirror-host-no-package\t''
mirror-host-package-missing\t''
mirror-host-package-bad\t''
mirror-host-manifest-bad\t''
mirror-host-leftovers\t''
mirror-host-package-old\t''
mirror-host-backup-bad\t''
mirror-host-not-world-readable\t''
mirror-host-log-unreadable\t''
mirror-host-run-unfinished\t''
mirror-host-run-old\t''
mirror-host-run-errors\t''
mirror-host-schedule-missing\t''
mirror-host-schedule-slow\t''
mirror-host-script-problem\t''
mirror-host-tool-missing\t''
mirror-host-serving-mismatch\t''
mirror-host-status-stale\t''
mirror-host-sync-failed\t''
mirror-host-behind-microsoft\t''
mirror-host-not-writable\t''
mirror-host-log-owner\t''
mirror-host-selinux-label\t''
mirror-host-script-outdated\t''
mirror-stage-interrupted\t''
mirror-stage-canary-bad\t''
mirror-stage-canary-behind\t''
bundle-altered\t''
bundle-redacted-value\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l from-bundle -d 'Diagnose a support bundle written by `mdatp-doctor bundle` (read, never unpacked) instead of this endpoint: today\'s rules on what it captured, judged at its creation time. Needs no mdatp, network or state directory; writes nothing' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l from-dir -d 'Like --from-bundle, for a folder of saved outputs named as in a bundle (mdatp/health-definitions.txt, mdatp/health.txt, config/mdatp_managed.json, ...)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l url -d 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp\'s configured URL]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l arch -d 'Architecture folder to probe [default: this machine\'s]' -r -f -a "x86_64\t''
arm64\t''
all\t'Both architectures'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l connect-timeout -d 'Time limit for each TCP connection attempt, per address' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l probe-timeout -d 'Time limit for the whole probe of one architecture' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l proxy -d 'Use this proxy [default: mdatp\'s cloudService.proxy, if any]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l stale-after -d 'A package on the mirror older than this is stale (e.g. 7d, 36h)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l warn-age -d 'Warn when the definitions\' age is in this range [default: above 24h or twice the update interval, whichever is larger]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l crit-age -d 'Critical when the definitions\' age is in this range' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l log-json -d 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l log-json-max -d 'Rotate the --log-json file to FILE.1 when it would grow past this size' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l list -d 'Print the catalogue of findings and exit'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l skip-network -d 'Do not probe the mirror (local checks only)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l probe-all -d 'When the managed file names another mirror than the one mdatp uses, probe both to the end (at once) instead of dropping the file\'s as soon as health answers'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l no-proxy -d 'Use no proxy, whatever mdatp is configured with'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -l journal -d 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand diagnose" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l url -d 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp\'s configured URL]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l arch -d 'Architecture folder to probe [default: this machine\'s]' -r -f -a "x86_64\t''
arm64\t''
all\t'Both architectures'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l connect-timeout -d 'Time limit for each TCP connection attempt, per address' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l probe-timeout -d 'Time limit for the whole probe of one architecture' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l proxy -d 'Use this proxy [default: mdatp\'s cloudService.proxy, if any]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l stale-after -d 'A package on the mirror older than this is stale (e.g. 7d, 36h)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l warn-age -d 'Warn when the definitions\' age is in this range [default: above 24h or twice the update interval, whichever is larger]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l crit-age -d 'Critical when the definitions\' age is in this range' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l deadline -d 'Whatever happens, answer within this time (UNKNOWN with what is known)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l textfile-dir -d 'Also write the Prometheus metrics to DIR/mdatp_doctor.prom, atomically (with --format prometheus, instead of stdout)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l log-json -d 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l log-json-max -d 'Rotate the --log-json file to FILE.1 when it would grow past this size' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l format -d 'Output format [default: nagios]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'
nagios\t'Monitoring Plugins output: status line, perfdata, long output'
prometheus\t'Prometheus text exposition format'
checkmk\t'Checkmk local check line'
icinga\t'Icinga 2 API process-check-result request body (JSON)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l skip-network -d 'Do not probe the mirror (local checks only)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l no-proxy -d 'Use no proxy, whatever mdatp is configured with'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -l journal -d 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand check" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l wait-timeout -d 'How long to wait for the update, the trigger command included' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l poll-interval -d 'How often to re-read health while waiting' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l log-json -d 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l log-json-max -d 'Rotate the --log-json file to FILE.1 when it would grow past this size' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l no-wait -d 'Trigger the update and return without waiting for its outcome'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l wait-lock -d 'When another update runs, wait for it (up to --wait-timeout) instead of exiting 3'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -l journal -d 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand update" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -s o -l output -d 'The bundle to write [default: ./mdatp-doctor-<hostname>-<UTC time>.tar.gz]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l redact-domain -d 'Also replace every host name under DOMAIN (DOMAIN itself and any subdomain, in any case, in every file and the manifest, free text included) with a placeholder; repeatable' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l max-log-bytes -d 'Keep at most this much of the end of each log file' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l log-dir -d 'Where mdatp writes its logs' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l wdavcfg -d 'mdatp\'s local configuration file' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l list-contents -d 'Print a bundle\'s manifest and check every entry\'s hash, instead of writing one' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l url -d 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp\'s configured URL]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l arch -d 'Architecture folder to probe [default: this machine\'s]' -r -f -a "x86_64\t''
arm64\t''
all\t'Both architectures'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l connect-timeout -d 'Time limit for each TCP connection attempt, per address' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l probe-timeout -d 'Time limit for the whole probe of one architecture' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l proxy -d 'Use this proxy [default: mdatp\'s cloudService.proxy, if any]' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l stale-after -d 'A package on the mirror older than this is stale (e.g. 7d, 36h)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l redact-ids -d 'Also replace org and machine ids, host names and IP addresses with placeholders'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l no-redact -d 'Redact nothing (for a bundle that stays inside your organisation)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l include-mdatp-diagnostic -d 'Also add the archive of `mdatp diagnostic create`'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l skip-network -d 'Do not probe the mirror'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -l no-proxy -d 'Use no proxy, whatever mdatp is configured with'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand bundle" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -s o -l output -d 'Write the output to FILE instead of stdout: replaced atomically (a reader sees the old page or the new one, never half of one), mode 0644' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'
html\t'One self-contained HTML page (`aggregate` only)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -l exit-zero -d 'Exit 0 whatever the fleet\'s worst verdict (report only)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand aggregate" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -f -a "check" -d 'Check a managed configuration file against the documented keys and types'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -f -a "fix" -d 'Show, make or undo the changes that fix the managed configuration file'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and not __fish_seen_subcommand_from check fix help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l set -d 'Also set SECTION.KEY to VALUE, typed by the documented keys (repeatable), e.g. antivirusEngine.offlineDefinitionUpdateUrl=http://mirror:8000/linux/production/' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l backup-dir -d 'Where backups go [default: <state dir>/backups]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l verify-timeout -d 'How long to wait for health to show the new values' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l undo -d 'Restore the newest backup taken of PATH (or --undo=BACKUP: that one, which must be a backup of PATH)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l undo-from -d 'Restore this backup of PATH (the same as --undo=BACKUP)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l apply -d 'Make the changes (without it: a dry run that only shows them)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l no-verify -d 'Do not read health afterwards to check that mdatp took the change'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -l force -d 'Write a file not owned by root, or one a policy (Intune, the portal) also manages'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from fix" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check a managed configuration file against the documented keys and types'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "fix" -d 'Show, make or undo the changes that fix the managed configuration file'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'
nagios\t'Monitoring Plugins output: status line, perfdata, long output'
prometheus\t'Prometheus text exposition format'
checkmk\t'Checkmk local check line'
icinga\t'Icinga 2 API process-check-result request body (JSON)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -f -a "check" -d 'Check the downloader\'s settings.json, its log and every arch folder it fills'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -f -a "run" -d 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -f -a "promote" -d 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -f -a "rollback" -d 'Put back the previous production package (<ring>_back), byte for byte'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and not __fish_seen_subcommand_from check run promote rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l settings -d 'The downloader\'s settings.json [default: looked for in common places]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l folder -d 'Check this download folder (every arch folder found) instead of what settings.json describes' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l script -d 'The downloader script [default: xplat_offline_updates_download.sh next to settings.json]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l url -d 'The ring folder URL endpoints use (e.g. http://mirror:8000/linux/production/): fetch manifest.json and updates.zip through it and compare them with the disk' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l probe-timeout -d 'Time limit for fetching one architecture\'s files through --url' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l fwlink-url -d 'The fwlink base URL --online asks (tests)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l interval -d 'The endpoints\' definitionUpdatesInterval (e.g. 8h, 28800)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l textfile-dir -d 'Also write the Prometheus metrics to DIR/mdatp_mirror.prom, atomically (whatever --format says; with --format prometheus, instead of stdout)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l root -d 'Read the machine\'s files under this directory (tests)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'
nagios\t'Monitoring Plugins output: status line, perfdata, long output'
prometheus\t'Prometheus text exposition format'
checkmk\t'Checkmk local check line'
icinga\t'Icinga 2 API process-check-result request body (JSON)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -l online -d 'Also ask Microsoft\'s fwlink (`&action=info`, through the proxy in https_proxy or all_proxy, as curl would) what it publishes, and report how far the mirror lags behind; the only check that leaves the host, never downloads a package'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l script -d 'The downloader script; settings.json is read from its directory' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l run-timeout -d 'Kill the script (and what it started) after this long' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l textfile-dir -d 'Write DIR/mdatp_mirror_run.prom (the run\'s result for node_exporter) atomically' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l log-json -d 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l log-json-max -d 'Rotate the --log-json file to FILE.1 when it would grow past this size' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l interval -d 'The endpoints\' definitionUpdatesInterval (e.g. 8h, 28800)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l root -d 'Read the machine\'s files under this directory (tests)' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l no-restore -d 'Never restore the previous package, only report'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l promote-canary -d 'After a good run, stage the new package to the canary ring (as `mirror promote --to canary`); the downloader\'s downloadFolder must be <root>/incoming'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -l journal -d 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l root -d 'The served document root holding incoming/, canary/ and the ring folders' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l to -d 'The stage to promote to' -r -f -a "canary\t'incoming/ to canary/'
production\t'canary/ to the fleet\'s ring folders, through the canary gate'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l canary-reports -d 'Diagnose reports of canary endpoints (`diagnose --format json` output): files, directories walked for *.json, or - for stdin' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l min-canaries -d 'How many distinct canary hosts must run the canary\'s version, healthy' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l soak -d 'How long the canary must have served its version (e.g. 4h, 1d, 0)' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l log-json -d 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l log-json-max -d 'Rotate the --log-json file to FILE.1 when it would grow past this size' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -l journal -d 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from promote" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l root -d 'The served document root holding the ring folders' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l ring -d 'The ring to roll back' -r -f -a "production\t''
preview\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l log-json -d 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l log-json-max -d 'Rotate the --log-json file to FILE.1 when it would grow past this size' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l format -d 'Output format [default: human]' -r -f -a "human\t'Tables and text for people'
json\t'One JSON document on stdout (`schema_version` 1)'"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l mdatp -d 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l managed-config -d 'The managed configuration file mdatp reads' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l timeout -d 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out' -r
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l state-dir -d 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]' -r -F
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -l journal -d 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -s v -l verbose -d 'Show each external command, its exit status and duration on stderr'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from rollback" -s V -l version -d 'Print version'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check the downloader\'s settings.json, its log and every arch folder it fills'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "promote" -d 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Put back the previous production package (<ring>_back), byte for byte'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "health" -d 'Show `mdatp health` as typed fields (definitions first)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "connectivity" -d 'Probe the offline update mirror the way the endpoint uses it'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "diagnose" -d 'Find every known reason offline updates fail, with evidence and a fix'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "check" -d 'Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "update" -d 'Trigger `mdatp definitions update`, wait for the real outcome, and explain it'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "bundle" -d 'Write a redacted support bundle (.tar.gz) with everything support needs'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "aggregate" -d 'Summarise many `diagnose --format json` reports into one fleet picture'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "config" -d 'Managed configuration tools'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "mirror" -d 'On the mirror host: doctor Microsoft\'s offline downloader and the tree it leaves'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and not __fish_seen_subcommand_from health connectivity diagnose check update bundle aggregate config mirror help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Check a managed configuration file against the documented keys and types'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "fix" -d 'Show, make or undo the changes that fix the managed configuration file'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "check" -d 'Check the downloader\'s settings.json, its log and every arch folder it fills'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "run" -d 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "promote" -d 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate'
complete -c mdatp-doctor -n "__fish_mdatp_doctor_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "rollback" -d 'Put back the previous production package (<ring>_back), byte for byte'
