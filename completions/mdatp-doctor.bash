_mdatp__doctor() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="mdatp__doctor"
                ;;
            mdatp__doctor,aggregate)
                cmd="mdatp__doctor__subcmd__aggregate"
                ;;
            mdatp__doctor,bundle)
                cmd="mdatp__doctor__subcmd__bundle"
                ;;
            mdatp__doctor,check)
                cmd="mdatp__doctor__subcmd__check"
                ;;
            mdatp__doctor,config)
                cmd="mdatp__doctor__subcmd__config"
                ;;
            mdatp__doctor,connectivity)
                cmd="mdatp__doctor__subcmd__connectivity"
                ;;
            mdatp__doctor,diagnose)
                cmd="mdatp__doctor__subcmd__diagnose"
                ;;
            mdatp__doctor,health)
                cmd="mdatp__doctor__subcmd__health"
                ;;
            mdatp__doctor,help)
                cmd="mdatp__doctor__subcmd__help"
                ;;
            mdatp__doctor,mirror)
                cmd="mdatp__doctor__subcmd__mirror"
                ;;
            mdatp__doctor,update)
                cmd="mdatp__doctor__subcmd__update"
                ;;
            mdatp__doctor__subcmd__config,check)
                cmd="mdatp__doctor__subcmd__config__subcmd__check"
                ;;
            mdatp__doctor__subcmd__config,fix)
                cmd="mdatp__doctor__subcmd__config__subcmd__fix"
                ;;
            mdatp__doctor__subcmd__config,help)
                cmd="mdatp__doctor__subcmd__config__subcmd__help"
                ;;
            mdatp__doctor__subcmd__config__subcmd__help,check)
                cmd="mdatp__doctor__subcmd__config__subcmd__help__subcmd__check"
                ;;
            mdatp__doctor__subcmd__config__subcmd__help,fix)
                cmd="mdatp__doctor__subcmd__config__subcmd__help__subcmd__fix"
                ;;
            mdatp__doctor__subcmd__config__subcmd__help,help)
                cmd="mdatp__doctor__subcmd__config__subcmd__help__subcmd__help"
                ;;
            mdatp__doctor__subcmd__help,aggregate)
                cmd="mdatp__doctor__subcmd__help__subcmd__aggregate"
                ;;
            mdatp__doctor__subcmd__help,bundle)
                cmd="mdatp__doctor__subcmd__help__subcmd__bundle"
                ;;
            mdatp__doctor__subcmd__help,check)
                cmd="mdatp__doctor__subcmd__help__subcmd__check"
                ;;
            mdatp__doctor__subcmd__help,config)
                cmd="mdatp__doctor__subcmd__help__subcmd__config"
                ;;
            mdatp__doctor__subcmd__help,connectivity)
                cmd="mdatp__doctor__subcmd__help__subcmd__connectivity"
                ;;
            mdatp__doctor__subcmd__help,diagnose)
                cmd="mdatp__doctor__subcmd__help__subcmd__diagnose"
                ;;
            mdatp__doctor__subcmd__help,health)
                cmd="mdatp__doctor__subcmd__help__subcmd__health"
                ;;
            mdatp__doctor__subcmd__help,help)
                cmd="mdatp__doctor__subcmd__help__subcmd__help"
                ;;
            mdatp__doctor__subcmd__help,mirror)
                cmd="mdatp__doctor__subcmd__help__subcmd__mirror"
                ;;
            mdatp__doctor__subcmd__help,update)
                cmd="mdatp__doctor__subcmd__help__subcmd__update"
                ;;
            mdatp__doctor__subcmd__help__subcmd__config,check)
                cmd="mdatp__doctor__subcmd__help__subcmd__config__subcmd__check"
                ;;
            mdatp__doctor__subcmd__help__subcmd__config,fix)
                cmd="mdatp__doctor__subcmd__help__subcmd__config__subcmd__fix"
                ;;
            mdatp__doctor__subcmd__help__subcmd__mirror,check)
                cmd="mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__check"
                ;;
            mdatp__doctor__subcmd__help__subcmd__mirror,promote)
                cmd="mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__promote"
                ;;
            mdatp__doctor__subcmd__help__subcmd__mirror,rollback)
                cmd="mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__rollback"
                ;;
            mdatp__doctor__subcmd__help__subcmd__mirror,run)
                cmd="mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__run"
                ;;
            mdatp__doctor__subcmd__mirror,check)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__check"
                ;;
            mdatp__doctor__subcmd__mirror,help)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__help"
                ;;
            mdatp__doctor__subcmd__mirror,promote)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__promote"
                ;;
            mdatp__doctor__subcmd__mirror,rollback)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__rollback"
                ;;
            mdatp__doctor__subcmd__mirror,run)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__run"
                ;;
            mdatp__doctor__subcmd__mirror__subcmd__help,check)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__check"
                ;;
            mdatp__doctor__subcmd__mirror__subcmd__help,help)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__help"
                ;;
            mdatp__doctor__subcmd__mirror__subcmd__help,promote)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__promote"
                ;;
            mdatp__doctor__subcmd__mirror__subcmd__help,rollback)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__rollback"
                ;;
            mdatp__doctor__subcmd__mirror__subcmd__help,run)
                cmd="mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__run"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        mdatp__doctor)
            opts="-v -h -V --mdatp --managed-config --format --color --timeout --verbose --state-dir --help --version health connectivity diagnose check update bundle aggregate config mirror help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json nagios prometheus checkmk icinga html" -- "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__aggregate)
            opts="-o -v -h -V --exit-zero --output --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --output)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -o)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json html" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__bundle)
            opts="-o -v -h -V --output --redact-ids --redact-domain --no-redact --max-log-bytes --include-mdatp-diagnostic --log-dir --wdavcfg --list-contents --skip-network --url --arch --connect-timeout --probe-timeout --ca-cert --proxy --no-proxy --stale-after --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --output)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -o)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --redact-domain)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-log-bytes)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --wdavcfg)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --list-contents)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --arch)
                    COMPREPLY=($(compgen -W "x86_64 arm64 all" -- "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --probe-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ca-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --proxy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --stale-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__check)
            opts="-v -h -V --skip-network --url --arch --connect-timeout --probe-timeout --ca-cert --proxy --no-proxy --stale-after --warn-age --crit-age --deadline --textfile-dir --log-json --log-json-max --journal --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --arch)
                    COMPREPLY=($(compgen -W "x86_64 arm64 all" -- "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --probe-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ca-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --proxy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --stale-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --warn-age)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --crit-age)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --deadline)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --textfile-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json nagios prometheus checkmk icinga" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config)
            opts="-v -h -V --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version check fix help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config__subcmd__check)
            opts="-v -h -V --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config__subcmd__fix)
            opts="-v -h -V --apply --set --backup-dir --no-verify --verify-timeout --undo --undo-from --force --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --set)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --backup-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --verify-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --undo)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --undo-from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config__subcmd__help)
            opts="check fix help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config__subcmd__help__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config__subcmd__help__subcmd__fix)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__config__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__connectivity)
            opts="-v -h -V --url --arch --connect-timeout --probe-timeout --ca-cert --proxy --no-proxy --stale-after --verify-package --max-package-size --package-timeout --with-mdatp-test --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --arch)
                    COMPREPLY=($(compgen -W "x86_64 arm64 all" -- "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --probe-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ca-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --proxy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --stale-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-package-size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --package-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__diagnose)
            opts="-v -h -V --list --explain --skip-network --probe-all --from-bundle --from-dir --url --arch --connect-timeout --probe-timeout --ca-cert --proxy --no-proxy --stale-after --warn-age --crit-age --log-json --log-json-max --journal --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --explain)
                    COMPREPLY=($(compgen -W "mdatp-not-found mdatp-failed mdatp-daemon-down mdatp-unlicensed mdatp-offboarded mdatp-expired mdatp-version-unsupported mdatp-unhealthy engine-not-loaded engine-status-undocumented offline-update-disabled automatic-update-disabled enforcement-not-realtime url-missing url-malformed url-includes-arch url-platform-mismatch url-not-ring-folder url-rollback url-mismatch verify-sig-disabled verify-sig-setting-deprecated definitions-update-failed definitions-stale definitions-missing definitions-unavailable definitions-updating reenable-bug reenable-bug-suspected mdatp-test-mirror-failed endpoint-behind-mirror engine-behind-mirror mirror-engine-behind-endpoint mirror-behind-endpoint mirror-dns-failed mirror-unreachable mirror-timeout mirror-tls-error mirror-http-error mirror-redirect-cross-host mirror-manifest-missing mirror-manifest-invalid mirror-package-missing mirror-package-invalid mirror-stale mirror-permissions mirror-sync-stalled mirror-status-unreadable config-not-found config-unreadable config-invalid-json config-unknown-key config-wrong-section config-invalid-value config-duplicate-key config-verify-sig-off config-url-unused config-interval-range config-too-complex config-not-applied disk-space-low history-off mirror-host-settings-unreadable mirror-host-settings-key-unknown mirror-host-settings-not-boolean mirror-host-no-platform mirror-host-folder-volatile mirror-host-folder-space mirror-host-folder-unreadable mirror-host-no-package mirror-host-package-missing mirror-host-package-bad mirror-host-manifest-bad mirror-host-leftovers mirror-host-package-old mirror-host-backup-bad mirror-host-not-world-readable mirror-host-log-unreadable mirror-host-run-unfinished mirror-host-run-old mirror-host-run-errors mirror-host-schedule-missing mirror-host-schedule-slow mirror-host-script-problem mirror-host-tool-missing mirror-host-serving-mismatch mirror-host-status-stale mirror-host-sync-failed mirror-host-behind-microsoft mirror-host-not-writable mirror-host-log-owner mirror-host-selinux-label mirror-host-script-outdated mirror-stage-interrupted mirror-stage-canary-bad mirror-stage-canary-behind bundle-altered bundle-redacted-value" -- "${cur}"))
                    return 0
                    ;;
                --from-bundle)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --arch)
                    COMPREPLY=($(compgen -W "x86_64 arm64 all" -- "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --probe-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ca-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --proxy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --stale-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --warn-age)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --crit-age)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__health)
            opts="-v -h -V --details --all --mdatp-json --from-file --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help)
            opts="health connectivity diagnose check update bundle aggregate config mirror help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__aggregate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__bundle)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__config)
            opts="check fix"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__config__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__config__subcmd__fix)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__connectivity)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__diagnose)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__health)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__mirror)
            opts="check run promote rollback"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__promote)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__rollback)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__mirror__subcmd__run)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__help__subcmd__update)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror)
            opts="-v -h -V --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version check run promote rollback help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "human json nagios prometheus checkmk icinga" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__check)
            opts="-v -h -V --settings --folder --script --url --probe-timeout --online --fwlink-url --interval --textfile-dir --root --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --settings)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --folder)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --script)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --probe-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fwlink-url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --textfile-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json nagios prometheus checkmk icinga" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__help)
            opts="check run promote rollback help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__promote)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__rollback)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__help__subcmd__run)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__promote)
            opts="-v -h -V --root --to --canary-reports --min-canaries --soak --log-json --log-json-max --journal --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --to)
                    COMPREPLY=($(compgen -W "canary production" -- "${cur}"))
                    return 0
                    ;;
                --canary-reports)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-canaries)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --soak)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__rollback)
            opts="-v -h -V --root --ring --log-json --log-json-max --journal --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ring)
                    COMPREPLY=($(compgen -W "production preview" -- "${cur}"))
                    return 0
                    ;;
                --log-json)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__mirror__subcmd__run)
            opts="-v -h -V --script --run-timeout --no-restore --promote-canary --textfile-dir --log-json --log-json-max --journal --interval --root --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --script)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --run-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --textfile-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        mdatp__doctor__subcmd__update)
            opts="-v -h -V --wait-timeout --poll-interval --no-wait --wait-lock --log-json --log-json-max --journal --format --mdatp --managed-config --color --timeout --verbose --state-dir --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --wait-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --poll-interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --log-json-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --mdatp)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --managed-config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _mdatp__doctor -o nosort -o bashdefault -o default mdatp-doctor
else
    complete -F _mdatp__doctor -o bashdefault -o default mdatp-doctor
fi
