
use builtin;
use str;

set edit:completion:arg-completer[mdatp-doctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mdatp-doctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mdatp-doctor'= {
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --format 'Output format [default: human; nagios for `check`]. Each command''s help lists the formats it takes: Nagios, Prometheus, Checkmk and Icinga output are for `check` and `mirror check` only, HTML for `aggregate` only'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand health 'Show `mdatp health` as typed fields (definitions first)'
            cand connectivity 'Probe the offline update mirror the way the endpoint uses it'
            cand diagnose 'Find every known reason offline updates fail, with evidence and a fix'
            cand check 'Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts'
            cand update 'Trigger `mdatp definitions update`, wait for the real outcome, and explain it'
            cand bundle 'Write a redacted support bundle (.tar.gz) with everything support needs'
            cand aggregate 'Summarise many `diagnose --format json` reports into one fleet picture'
            cand config 'Managed configuration tools'
            cand mirror 'On the mirror host: doctor Microsoft''s offline downloader and the tree it leaves'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mdatp-doctor;health'= {
            cand --details 'Health section to show (mdatp''s `--details`): definitions, edr, features, ...'
            cand --from-file 'Read a saved health output (text or JSON) from FILE, or stdin with `-`, instead of running mdatp'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --all 'Show every field: run plain `mdatp health`'
            cand --mdatp-json 'Ask mdatp for its JSON output (`--output json`) instead of text'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;connectivity'= {
            cand --url 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]'
            cand --arch 'Architecture folder to probe [default: this machine''s]'
            cand --connect-timeout 'Time limit for each TCP connection attempt, per address'
            cand --probe-timeout 'Time limit for the whole probe of one architecture'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (repeatable)'
            cand --proxy 'Use this proxy [default: mdatp''s cloudService.proxy, if any]'
            cand --stale-after 'A package on the mirror older than this is stale (e.g. 7d, 36h)'
            cand --max-package-size 'Largest package --verify-package downloads (e.g. 2GiB, 500MB)'
            cand --package-timeout 'Time limit for --verify-package''s download of the whole package, on top of --probe-timeout (300 s fits a 200 MB package at about 0.7 MB/s). A download this cuts is reported as mirror-timeout with how much arrived and how fast, not as an invalid package'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --no-proxy 'Use no proxy, whatever mdatp is configured with'
            cand --verify-package 'Download the whole package and check it is a readable zip (prints its SHA-256)'
            cand --with-mdatp-test 'Also run `mdatp connectivity test` (Microsoft''s endpoints and, from 101.26052.0012, the offline update paths) and show its result; a mirror line it prints is used as evidence'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;diagnose'= {
            cand --explain 'Print what one finding means and how to fix it'
            cand --from-bundle 'Diagnose a support bundle written by `mdatp-doctor bundle` (read, never unpacked) instead of this endpoint: today''s rules on what it captured, judged at its creation time. Needs no mdatp, network or state directory; writes nothing'
            cand --from-dir 'Like --from-bundle, for a folder of saved outputs named as in a bundle (mdatp/health-definitions.txt, mdatp/health.txt, config/mdatp_managed.json, ...)'
            cand --url 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]'
            cand --arch 'Architecture folder to probe [default: this machine''s]'
            cand --connect-timeout 'Time limit for each TCP connection attempt, per address'
            cand --probe-timeout 'Time limit for the whole probe of one architecture'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (repeatable)'
            cand --proxy 'Use this proxy [default: mdatp''s cloudService.proxy, if any]'
            cand --stale-after 'A package on the mirror older than this is stale (e.g. 7d, 36h)'
            cand --warn-age 'Warn when the definitions'' age is in this range [default: above 24h or twice the update interval, whichever is larger]'
            cand --crit-age 'Critical when the definitions'' age is in this range'
            cand --log-json 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output'
            cand --log-json-max 'Rotate the --log-json file to FILE.1 when it would grow past this size'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --list 'Print the catalogue of findings and exit'
            cand --skip-network 'Do not probe the mirror (local checks only)'
            cand --probe-all 'When the managed file names another mirror than the one mdatp uses, probe both to the end (at once) instead of dropping the file''s as soon as health answers'
            cand --no-proxy 'Use no proxy, whatever mdatp is configured with'
            cand --journal 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;check'= {
            cand --url 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]'
            cand --arch 'Architecture folder to probe [default: this machine''s]'
            cand --connect-timeout 'Time limit for each TCP connection attempt, per address'
            cand --probe-timeout 'Time limit for the whole probe of one architecture'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (repeatable)'
            cand --proxy 'Use this proxy [default: mdatp''s cloudService.proxy, if any]'
            cand --stale-after 'A package on the mirror older than this is stale (e.g. 7d, 36h)'
            cand --warn-age 'Warn when the definitions'' age is in this range [default: above 24h or twice the update interval, whichever is larger]'
            cand --crit-age 'Critical when the definitions'' age is in this range'
            cand --deadline 'Whatever happens, answer within this time (UNKNOWN with what is known)'
            cand --textfile-dir 'Also write the Prometheus metrics to DIR/mdatp_doctor.prom, atomically (with --format prometheus, instead of stdout)'
            cand --log-json 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output'
            cand --log-json-max 'Rotate the --log-json file to FILE.1 when it would grow past this size'
            cand --format 'Output format [default: nagios]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --skip-network 'Do not probe the mirror (local checks only)'
            cand --no-proxy 'Use no proxy, whatever mdatp is configured with'
            cand --journal 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;update'= {
            cand --wait-timeout 'How long to wait for the update, the trigger command included'
            cand --poll-interval 'How often to re-read health while waiting'
            cand --log-json 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output'
            cand --log-json-max 'Rotate the --log-json file to FILE.1 when it would grow past this size'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --no-wait 'Trigger the update and return without waiting for its outcome'
            cand --wait-lock 'When another update runs, wait for it (up to --wait-timeout) instead of exiting 3'
            cand --journal 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;bundle'= {
            cand -o 'The bundle to write [default: ./mdatp-doctor-<hostname>-<UTC time>.tar.gz]'
            cand --output 'The bundle to write [default: ./mdatp-doctor-<hostname>-<UTC time>.tar.gz]'
            cand --redact-domain 'Also replace every host name under DOMAIN (DOMAIN itself and any subdomain, in any case, in every file and the manifest, free text included) with a placeholder; repeatable'
            cand --max-log-bytes 'Keep at most this much of the end of each log file'
            cand --log-dir 'Where mdatp writes its logs'
            cand --wdavcfg 'mdatp''s local configuration file'
            cand --list-contents 'Print a bundle''s manifest and check every entry''s hash, instead of writing one'
            cand --url 'Mirror ring folder to probe (http://, https://, file:// or an absolute directory) [default: mdatp''s configured URL]'
            cand --arch 'Architecture folder to probe [default: this machine''s]'
            cand --connect-timeout 'Time limit for each TCP connection attempt, per address'
            cand --probe-timeout 'Time limit for the whole probe of one architecture'
            cand --ca-cert 'Also trust the CA certificates in this PEM file (repeatable)'
            cand --proxy 'Use this proxy [default: mdatp''s cloudService.proxy, if any]'
            cand --stale-after 'A package on the mirror older than this is stale (e.g. 7d, 36h)'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --redact-ids 'Also replace org and machine ids, host names and IP addresses with placeholders'
            cand --no-redact 'Redact nothing (for a bundle that stays inside your organisation)'
            cand --include-mdatp-diagnostic 'Also add the archive of `mdatp diagnostic create`'
            cand --skip-network 'Do not probe the mirror'
            cand --no-proxy 'Use no proxy, whatever mdatp is configured with'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;aggregate'= {
            cand -o 'Write the output to FILE instead of stdout: replaced atomically (a reader sees the old page or the new one, never half of one), mode 0644'
            cand --output 'Write the output to FILE instead of stdout: replaced atomically (a reader sees the old page or the new one, never half of one), mode 0644'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --exit-zero 'Exit 0 whatever the fleet''s worst verdict (report only)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;config'= {
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Check a managed configuration file against the documented keys and types'
            cand fix 'Show, make or undo the changes that fix the managed configuration file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mdatp-doctor;config;check'= {
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;config;fix'= {
            cand --set 'Also set SECTION.KEY to VALUE, typed by the documented keys (repeatable), e.g. antivirusEngine.offlineDefinitionUpdateUrl=http://mirror:8000/linux/production/'
            cand --backup-dir 'Where backups go [default: <state dir>/backups]'
            cand --verify-timeout 'How long to wait for health to show the new values'
            cand --undo 'Restore the newest backup taken of PATH (or --undo=BACKUP: that one, which must be a backup of PATH)'
            cand --undo-from 'Restore this backup of PATH (the same as --undo=BACKUP)'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --apply 'Make the changes (without it: a dry run that only shows them)'
            cand --no-verify 'Do not read health afterwards to check that mdatp took the change'
            cand --force 'Write a file not owned by root, or one a policy (Intune, the portal) also manages'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;config;help'= {
            cand check 'Check a managed configuration file against the documented keys and types'
            cand fix 'Show, make or undo the changes that fix the managed configuration file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mdatp-doctor;config;help;check'= {
        }
        &'mdatp-doctor;config;help;fix'= {
        }
        &'mdatp-doctor;config;help;help'= {
        }
        &'mdatp-doctor;mirror'= {
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Check the downloader''s settings.json, its log and every arch folder it fills'
            cand run 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one'
            cand promote 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate'
            cand rollback 'Put back the previous production package (<ring>_back), byte for byte'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mdatp-doctor;mirror;check'= {
            cand --settings 'The downloader''s settings.json [default: looked for in common places]'
            cand --folder 'Check this download folder (every arch folder found) instead of what settings.json describes'
            cand --script 'The downloader script [default: xplat_offline_updates_download.sh next to settings.json]'
            cand --url 'The ring folder URL endpoints use (e.g. http://mirror:8000/linux/production/): fetch manifest.json and updates.zip through it and compare them with the disk'
            cand --probe-timeout 'Time limit for fetching one architecture''s files through --url'
            cand --fwlink-url 'The fwlink base URL --online asks (tests)'
            cand --interval 'The endpoints'' definitionUpdatesInterval (e.g. 8h, 28800)'
            cand --textfile-dir 'Also write the Prometheus metrics to DIR/mdatp_mirror.prom, atomically (whatever --format says; with --format prometheus, instead of stdout)'
            cand --root 'Read the machine''s files under this directory (tests)'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --online 'Also ask Microsoft''s fwlink (`&action=info`, through the proxy in https_proxy or all_proxy, as curl would) what it publishes, and report how far the mirror lags behind; the only check that leaves the host, never downloads a package'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;mirror;run'= {
            cand --script 'The downloader script; settings.json is read from its directory'
            cand --run-timeout 'Kill the script (and what it started) after this long'
            cand --textfile-dir 'Write DIR/mdatp_mirror_run.prom (the run''s result for node_exporter) atomically'
            cand --log-json 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output'
            cand --log-json-max 'Rotate the --log-json file to FILE.1 when it would grow past this size'
            cand --interval 'The endpoints'' definitionUpdatesInterval (e.g. 8h, 28800)'
            cand --root 'Read the machine''s files under this directory (tests)'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --no-restore 'Never restore the previous package, only report'
            cand --promote-canary 'After a good run, stage the new package to the canary ring (as `mirror promote --to canary`); the downloader''s downloadFolder must be <root>/incoming'
            cand --journal 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;mirror;promote'= {
            cand --root 'The served document root holding incoming/, canary/ and the ring folders'
            cand --to 'The stage to promote to'
            cand --canary-reports 'Diagnose reports of canary endpoints (`diagnose --format json` output): files, directories walked for *.json, or - for stdin'
            cand --min-canaries 'How many distinct canary hosts must run the canary''s version, healthy'
            cand --soak 'How long the canary must have served its version (e.g. 4h, 1d, 0)'
            cand --log-json 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output'
            cand --log-json-max 'Rotate the --log-json file to FILE.1 when it would grow past this size'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --journal 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;mirror;rollback'= {
            cand --root 'The served document root holding the ring folders'
            cand --ring 'The ring to roll back'
            cand --log-json 'Append one JSON line for the run and one per finding (ECS field names, secrets redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of the usual output'
            cand --log-json-max 'Rotate the --log-json file to FILE.1 when it would grow past this size'
            cand --format 'Output format [default: human]'
            cand --mdatp 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]'
            cand --managed-config 'The managed configuration file mdatp reads'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --timeout 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out'
            cand --state-dir 'Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the XDG state directory]'
            cand --journal 'Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields (a warning on stderr when no journal runs)'
            cand -v 'Show each external command, its exit status and duration on stderr'
            cand --verbose 'Show each external command, its exit status and duration on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mdatp-doctor;mirror;help'= {
            cand check 'Check the downloader''s settings.json, its log and every arch folder it fills'
            cand run 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one'
            cand promote 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate'
            cand rollback 'Put back the previous production package (<ring>_back), byte for byte'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mdatp-doctor;mirror;help;check'= {
        }
        &'mdatp-doctor;mirror;help;run'= {
        }
        &'mdatp-doctor;mirror;help;promote'= {
        }
        &'mdatp-doctor;mirror;help;rollback'= {
        }
        &'mdatp-doctor;mirror;help;help'= {
        }
        &'mdatp-doctor;help'= {
            cand health 'Show `mdatp health` as typed fields (definitions first)'
            cand connectivity 'Probe the offline update mirror the way the endpoint uses it'
            cand diagnose 'Find every known reason offline updates fail, with evidence and a fix'
            cand check 'Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts'
            cand update 'Trigger `mdatp definitions update`, wait for the real outcome, and explain it'
            cand bundle 'Write a redacted support bundle (.tar.gz) with everything support needs'
            cand aggregate 'Summarise many `diagnose --format json` reports into one fleet picture'
            cand config 'Managed configuration tools'
            cand mirror 'On the mirror host: doctor Microsoft''s offline downloader and the tree it leaves'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mdatp-doctor;help;health'= {
        }
        &'mdatp-doctor;help;connectivity'= {
        }
        &'mdatp-doctor;help;diagnose'= {
        }
        &'mdatp-doctor;help;check'= {
        }
        &'mdatp-doctor;help;update'= {
        }
        &'mdatp-doctor;help;bundle'= {
        }
        &'mdatp-doctor;help;aggregate'= {
        }
        &'mdatp-doctor;help;config'= {
            cand check 'Check a managed configuration file against the documented keys and types'
            cand fix 'Show, make or undo the changes that fix the managed configuration file'
        }
        &'mdatp-doctor;help;config;check'= {
        }
        &'mdatp-doctor;help;config;fix'= {
        }
        &'mdatp-doctor;help;mirror'= {
            cand check 'Check the downloader''s settings.json, its log and every arch folder it fills'
            cand run 'Run the downloader (a drop-in for its cron line), check what it left, restore the last good package when it left a bad one'
            cand promote 'Move a verified package one stage on: incoming to canary, or canary to production through the canary gate'
            cand rollback 'Put back the previous production package (<ring>_back), byte for byte'
        }
        &'mdatp-doctor;help;mirror;check'= {
        }
        &'mdatp-doctor;help;mirror;run'= {
        }
        &'mdatp-doctor;help;mirror;promote'= {
        }
        &'mdatp-doctor;help;mirror;rollback'= {
        }
        &'mdatp-doctor;help;help'= {
        }
    ]
    $completions[$command]
}
