
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mdatp-doctor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mdatp-doctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mdatp-doctor' {
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human; nagios for `check`]. Each command''s help lists the formats it takes: Nagios, Prometheus, Checkmk and Icinga output are for `check` and `mirror check` only, HTML for `aggregate` only')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Show `mdatp health` as typed fields (definitions first)')
            [CompletionResult]::new('connectivity', 'connectivity', [CompletionResultType]::ParameterValue, 'Probe the offline update mirror the way the endpoint uses it')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Find every known reason offline updates fail, with evidence and a fix')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Trigger `mdatp definitions update`, wait for the real outcome, and explain it')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'Write a redacted support bundle (.tar.gz) with everything support needs')
            [CompletionResult]::new('aggregate', 'aggregate', [CompletionResultType]::ParameterValue, 'Summarise many `diagnose --format json` reports into one fleet picture')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Managed configuration tools')
            [CompletionResult]::new('mirror', 'mirror', [CompletionResultType]::ParameterValue, 'On the mirror host: doctor Microsoft''s offline downloader and the tree it leaves')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;health' {
            [CompletionResult]::new('--details', '--details', [CompletionResultType]::ParameterName, 'Health section to show (mdatp''s `--details`): definitions, edr, features, ...')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read a saved health output (text or JSON) from FILE, or stdin with `-`, instead of running mdatp')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show every field: run plain `mdatp health`')
            [CompletionResult]::new('--mdatp-json', '--mdatp-json', [CompletionResultType]::ParameterName, 'Ask mdatp for its JSON output (`--output json`) instead of text')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;connectivity' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]')
            [CompletionResult]::new('--arch', '--arch', [CompletionResultType]::ParameterName, 'Architecture folder to probe [default: this machine''s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Time limit for each TCP connection attempt, per address')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Time limit for the whole probe of one architecture')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (repeatable)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy [default: mdatp''s cloudService.proxy, if any]')
            [CompletionResult]::new('--stale-after', '--stale-after', [CompletionResultType]::ParameterName, 'A package on the mirror older than this is stale (e.g. 7d, 36h)')
            [CompletionResult]::new('--max-package-size', '--max-package-size', [CompletionResultType]::ParameterName, 'Largest package --verify-package downloads (e.g. 2GiB, 500MB)')
            [CompletionResult]::new('--package-timeout', '--package-timeout', [CompletionResultType]::ParameterName, 'Time limit for --verify-package''s download of the whole package, on top of --probe-timeout (300 s fits a 200 MB package at about 0.7 MB/s). A download this cuts is reported as mirror-timeout with how much arrived and how fast, not as an invalid package')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Use no proxy, whatever mdatp is configured with')
            [CompletionResult]::new('--verify-package', '--verify-package', [CompletionResultType]::ParameterName, 'Download the whole package and check it is a readable zip (prints its SHA-256)')
            [CompletionResult]::new('--with-mdatp-test', '--with-mdatp-test', [CompletionResultType]::ParameterName, 'Also run `mdatp connectivity test` (Microsoft''s endpoints and, from 101.26052.0012, the offline update paths) and show its result; a mirror line it prints is used as evidence')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;diagnose' {
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print what one finding means and how to fix it')
            [CompletionResult]::new('--from-bundle', '--from-bundle', [CompletionResultType]::ParameterName, 'Diagnose a support bundle written by `mdatp-doctor bundle` (read, never unpacked) instead of this endpoint: today''s rules on what it captured, judged at its creation time. Needs no mdatp, network or state directory; writes nothing')
            [CompletionResult]::new('--from-dir', '--from-dir', [CompletionResultType]::ParameterName, 'Like --from-bundle, for a folder of saved outputs named as in a bundle (mdatp/health-definitions.txt, mdatp/health.txt, config/mdatp_managed.json, ...)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]')
            [CompletionResult]::new('--arch', '--arch', [CompletionResultType]::ParameterName, 'Architecture folder to probe [default: this machine''s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Time limit for each TCP connection attempt, per address')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Time limit for the whole probe of one architecture')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (repeatable)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy [default: mdatp''s cloudService.proxy, if any]')
            [CompletionResult]::new('--stale-after', '--stale-after', [CompletionResultType]::ParameterName, 'A package on the mirror older than this is stale (e.g. 7d, 36h)')
            [CompletionResult]::new('--warn-age', '--warn-age', [CompletionResultType]::ParameterName, 'Warn when the definitions'' age is in this range [default: above 24h or twice the update interval, whichever is larger]')
            [CompletionResult]::new('--crit-age', '--crit-age', [CompletionResultType]::ParameterName, 'Critical when the definitions'' age is in this range')
            [CompletionResult]::new('--log-json', '--log-json', [CompletionResultType]::ParameterName, 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output')
            [CompletionResult]::new('--log-json-max', '--log-json-max', [CompletionResultType]::ParameterName, 'Rotate the --log-json file to FILE.1 when it would grow past this size')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'Print the catalogue of findings and exit')
            [CompletionResult]::new('--skip-network', '--skip-network', [CompletionResultType]::ParameterName, 'Do not probe the mirror (local checks only)')
            [CompletionResult]::new('--probe-all', '--probe-all', [CompletionResultType]::ParameterName, 'When the managed file names another mirror than the one mdatp uses, probe both to the end (at once) instead of dropping the file''s as soon as health answers')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Use no proxy, whatever mdatp is configured with')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;check' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]')
            [CompletionResult]::new('--arch', '--arch', [CompletionResultType]::ParameterName, 'Architecture folder to probe [default: this machine''s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Time limit for each TCP connection attempt, per address')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Time limit for the whole probe of one architecture')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (repeatable)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy [default: mdatp''s cloudService.proxy, if any]')
            [CompletionResult]::new('--stale-after', '--stale-after', [CompletionResultType]::ParameterName, 'A package on the mirror older than this is stale (e.g. 7d, 36h)')
            [CompletionResult]::new('--warn-age', '--warn-age', [CompletionResultType]::ParameterName, 'Warn when the definitions'' age is in this range [default: above 24h or twice the update interval, whichever is larger]')
            [CompletionResult]::new('--crit-age', '--crit-age', [CompletionResultType]::ParameterName, 'Critical when the definitions'' age is in this range')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Whatever happens, answer within this time (UNKNOWN with what is known)')
            [CompletionResult]::new('--textfile-dir', '--textfile-dir', [CompletionResultType]::ParameterName, 'Also write the Prometheus metrics to DIR/mdatp_doctor.prom, atomically (with --format prometheus, instead of stdout)')
            [CompletionResult]::new('--log-json', '--log-json', [CompletionResultType]::ParameterName, 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output')
            [CompletionResult]::new('--log-json-max', '--log-json-max', [CompletionResultType]::ParameterName, 'Rotate the --log-json file to FILE.1 when it would grow past this size')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: nagios]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--skip-network', '--skip-network', [CompletionResultType]::ParameterName, 'Do not probe the mirror (local checks only)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Use no proxy, whatever mdatp is configured with')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;update' {
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the update, the trigger command included')
            [CompletionResult]::new('--poll-interval', '--poll-interval', [CompletionResultType]::ParameterName, 'How often to re-read health while waiting')
            [CompletionResult]::new('--log-json', '--log-json', [CompletionResultType]::ParameterName, 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output')
            [CompletionResult]::new('--log-json-max', '--log-json-max', [CompletionResultType]::ParameterName, 'Rotate the --log-json file to FILE.1 when it would grow past this size')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Trigger the update and return without waiting for its outcome')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another update runs, wait for it (up to --wait-timeout) instead of exiting 3')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;bundle' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The bundle to write [default: ./mdatp-doctor-<hostname>-<UTC time>.tar.gz]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The bundle to write [default: ./mdatp-doctor-<hostname>-<UTC time>.tar.gz]')
            [CompletionResult]::new('--redact-domain', '--redact-domain', [CompletionResultType]::ParameterName, 'Also replace every host name under DOMAIN (DOMAIN itself and any subdomain, in any case, in every file and the manifest, free text included) with a placeholder; repeatable')
            [CompletionResult]::new('--max-log-bytes', '--max-log-bytes', [CompletionResultType]::ParameterName, 'Keep at most this much of the end of each log file')
            [CompletionResult]::new('--log-dir', '--log-dir', [CompletionResultType]::ParameterName, 'Where mdatp writes its logs')
            [CompletionResult]::new('--wdavcfg', '--wdavcfg', [CompletionResultType]::ParameterName, 'mdatp''s local configuration file')
            [CompletionResult]::new('--list-contents', '--list-contents', [CompletionResultType]::ParameterName, 'Print a bundle''s manifest and check every entry''s hash, instead of writing one')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]')
            [CompletionResult]::new('--arch', '--arch', [CompletionResultType]::ParameterName, 'Architecture folder to probe [default: this machine''s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Time limit for each TCP connection attempt, per address')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Time limit for the whole probe of one architecture')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (repeatable)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy [default: mdatp''s cloudService.proxy, if any]')
            [CompletionResult]::new('--stale-after', '--stale-after', [CompletionResultType]::ParameterName, 'A package on the mirror older than this is stale (e.g. 7d, 36h)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--redact-ids', '--redact-ids', [CompletionResultType]::ParameterName, 'Also replace org and machine ids, host names and IP addresses with placeholders')
            [CompletionResult]::new('--no-redact', '--no-redact', [CompletionResultType]::ParameterName, 'Redact nothing (for a bundle that stays inside your organisation)')
            [CompletionResult]::new('--include-mdatp-diagnostic', '--include-mdatp-diagnostic', [CompletionResultType]::ParameterName, 'Also add the archive of `mdatp diagnostic create`')
            [CompletionResult]::new('--skip-network', '--skip-network', [CompletionResultType]::ParameterName, 'Do not probe the mirror')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Use no proxy, whatever mdatp is configured with')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;aggregate' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the output to FILE instead of stdout: replaced atomically (a reader sees the old page or the new one, never half of one), mode 0644')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the output to FILE instead of stdout: replaced atomically (a reader sees the old page or the new one, never half of one), mode 0644')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--exit-zero', '--exit-zero', [CompletionResultType]::ParameterName, 'Exit 0 whatever the fleet''s worst verdict (report only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;config' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a managed configuration file against the documented keys and types')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Show, make or undo the changes that fix the managed configuration file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;config;check' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;config;fix' {
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Also set SECTION.KEY to VALUE, typed by the documented keys (repeatable), e.g. antivirusEngine.offlineDefinitionUpdateUrl=http://mirror:8000/linux/production/')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'Where backups go [default: <state dir>/backups]')
            [CompletionResult]::new('--verify-timeout', '--verify-timeout', [CompletionResultType]::ParameterName, 'How long to wait for health to show the new values')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Restore the newest backup taken of PATH (or --undo=BACKUP: that one, which must be a backup of PATH)')
            [CompletionResult]::new('--undo-from', '--undo-from', [CompletionResultType]::ParameterName, 'Restore this backup of PATH (the same as --undo=BACKUP)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--apply', '--apply', [CompletionResultType]::ParameterName, 'Make the changes (without it: a dry run that only shows them)')
            [CompletionResult]::new('--no-verify', '--no-verify', [CompletionResultType]::ParameterName, 'Do not read health afterwards to check that mdatp took the change')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Write a file not owned by root, or one a policy (Intune, the portal) also manages')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;config;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a managed configuration file against the documented keys and types')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Show, make or undo the changes that fix the managed configuration file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;config;help;check' {
            break
        }
        'mdatp-doctor;config;help;fix' {
            break
        }
        'mdatp-doctor;config;help;help' {
            break
        }
        'mdatp-doctor;mirror' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the downloader''s settings.json, its log and every arch folder it fills')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Put back the previous production package (<ring>_back), byte for byte')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;mirror;check' {
            [CompletionResult]::new('--settings', '--settings', [CompletionResultType]::ParameterName, 'The downloader''s settings.json [default: looked for in common places]')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Check this download folder (every arch folder found) instead of what settings.json describes')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The downloader script [default: xplat_offline_updates_download.sh next to settings.json]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The ring folder URL endpoints use (e.g. http://mirror:8000/linux/production/): fetch manifest.json and updates.zip through it and compare them with the disk')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Time limit for fetching one architecture''s files through --url')
            [CompletionResult]::new('--fwlink-url', '--fwlink-url', [CompletionResultType]::ParameterName, 'The fwlink base URL --online asks (tests)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'The endpoints'' definitionUpdatesInterval (e.g. 8h, 28800)')
            [CompletionResult]::new('--textfile-dir', '--textfile-dir', [CompletionResultType]::ParameterName, 'Also write the Prometheus metrics to DIR/mdatp_mirror.prom, atomically (whatever --format says; with --format prometheus, instead of stdout)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Read the machine''s files under this directory (tests)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Also ask Microsoft''s fwlink (`&action=info`, through the proxy in https_proxy or all_proxy, as curl would) what it publishes, and report how far the mirror lags behind; the only check that leaves the host, never downloads a package')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;mirror;run' {
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The downloader script; settings.json is read from its directory')
            [CompletionResult]::new('--run-timeout', '--run-timeout', [CompletionResultType]::ParameterName, 'Kill the script (and what it started) after this long')
            [CompletionResult]::new('--textfile-dir', '--textfile-dir', [CompletionResultType]::ParameterName, 'Write DIR/mdatp_mirror_run.prom (the run''s result for node_exporter) atomically')
            [CompletionResult]::new('--log-json', '--log-json', [CompletionResultType]::ParameterName, 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output')
            [CompletionResult]::new('--log-json-max', '--log-json-max', [CompletionResultType]::ParameterName, 'Rotate the --log-json file to FILE.1 when it would grow past this size')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'The endpoints'' definitionUpdatesInterval (e.g. 8h, 28800)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Read the machine''s files under this directory (tests)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--no-restore', '--no-restore', [CompletionResultType]::ParameterName, 'Never restore the previous package, only report')
            [CompletionResult]::new('--promote-canary', '--promote-canary', [CompletionResultType]::ParameterName, 'After a good run, stage the new package to the canary ring (as `mirror promote --to canary`); the downloader''s downloadFolder must be <root>/incoming')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;mirror;promote' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The served document root holding incoming/, canary/ and the ring folders')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The stage to promote to')
            [CompletionResult]::new('--canary-reports', '--canary-reports', [CompletionResultType]::ParameterName, 'Diagnose reports of canary endpoints (`diagnose --format json` output): files, directories walked for *.json, or - for stdin')
            [CompletionResult]::new('--min-canaries', '--min-canaries', [CompletionResultType]::ParameterName, 'How many distinct canary hosts must run the canary''s version, healthy')
            [CompletionResult]::new('--soak', '--soak', [CompletionResultType]::ParameterName, 'How long the canary must have served its version (e.g. 4h, 1d, 0)')
            [CompletionResult]::new('--log-json', '--log-json', [CompletionResultType]::ParameterName, 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output')
            [CompletionResult]::new('--log-json-max', '--log-json-max', [CompletionResultType]::ParameterName, 'Rotate the --log-json file to FILE.1 when it would grow past this size')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;mirror;rollback' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The served document root holding the ring folders')
            [CompletionResult]::new('--ring', '--ring', [CompletionResultType]::ParameterName, 'The ring to roll back')
            [CompletionResult]::new('--log-json', '--log-json', [CompletionResultType]::ParameterName, 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output')
            [CompletionResult]::new('--log-json-max', '--log-json-max', [CompletionResultType]::ParameterName, 'Rotate the --log-json file to FILE.1 when it would grow past this size')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: human]')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;mirror;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the downloader''s settings.json, its log and every arch folder it fills')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Put back the previous production package (<ring>_back), byte for byte')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;mirror;help;check' {
            break
        }
        'mdatp-doctor;mirror;help;run' {
            break
        }
        'mdatp-doctor;mirror;help;promote' {
            break
        }
        'mdatp-doctor;mirror;help;rollback' {
            break
        }
        'mdatp-doctor;mirror;help;help' {
            break
        }
        'mdatp-doctor;help' {
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Show `mdatp health` as typed fields (definitions first)')
            [CompletionResult]::new('connectivity', 'connectivity', [CompletionResultType]::ParameterValue, 'Probe the offline update mirror the way the endpoint uses it')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Find every known reason offline updates fail, with evidence and a fix')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Trigger `mdatp definitions update`, wait for the real outcome, and explain it')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'Write a redacted support bundle (.tar.gz) with everything support needs')
            [CompletionResult]::new('aggregate', 'aggregate', [CompletionResultType]::ParameterValue, 'Summarise many `diagnose --format json` reports into one fleet picture')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Managed configuration tools')
            [CompletionResult]::new('mirror', 'mirror', [CompletionResultType]::ParameterValue, 'On the mirror host: doctor Microsoft''s offline downloader and the tree it leaves')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;help;health' {
            break
        }
        'mdatp-doctor;help;connectivity' {
            break
        }
        'mdatp-doctor;help;diagnose' {
            break
        }
        'mdatp-doctor;help;check' {
            break
        }
        'mdatp-doctor;help;update' {
            break
        }
        'mdatp-doctor;help;bundle' {
            break
        }
        'mdatp-doctor;help;aggregate' {
            break
        }
        'mdatp-doctor;help;config' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a managed configuration file against the documented keys and types')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Show, make or undo the changes that fix the managed configuration file')
            break
        }
        'mdatp-doctor;help;config;check' {
            break
        }
        'mdatp-doctor;help;config;fix' {
            break
        }
        'mdatp-doctor;help;mirror' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the downloader''s settings.json, its log and every arch folder it fills')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Put back the previous production package (<ring>_back), byte for byte')
            break
        }
        'mdatp-doctor;help;mirror;check' {
            break
        }
        'mdatp-doctor;help;mirror;run' {
            break
        }
        'mdatp-doctor;help;mirror;promote' {
            break
        }
        'mdatp-doctor;help;mirror;rollback' {
            break
        }
        'mdatp-doctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
