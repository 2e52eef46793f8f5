
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
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Show `mdatp health` as typed fields (definitions first)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Regenerate completions/ and man/ from this command-line definition')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;health' {
            [CompletionResult]::new('--details', '--details', [CompletionResultType]::ParameterName, 'Health section to show (mdatp''s `--details`): definitions, edr, features, ...')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read a saved health output (text or JSON) from FILE, or stdin with `-`, instead of running mdatp')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
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
        'mdatp-doctor;generate' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Directory that receives completions/ and man/')
            [CompletionResult]::new('--mdatp', '--mdatp', [CompletionResultType]::ParameterName, 'The mdatp client to run [default: `mdatp` on PATH, then /opt/microsoft/mdatp/sbin/wdavdaemonclient]')
            [CompletionResult]::new('--managed-config', '--managed-config', [CompletionResultType]::ParameterName, 'The managed configuration file mdatp reads')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the call is killed, with anything it started, when it runs out')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each external command, its exit status and duration on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mdatp-doctor;help' {
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Show `mdatp health` as typed fields (definitions first)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Regenerate completions/ and man/ from this command-line definition')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mdatp-doctor;help;health' {
            break
        }
        'mdatp-doctor;help;generate' {
            break
        }
        'mdatp-doctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
