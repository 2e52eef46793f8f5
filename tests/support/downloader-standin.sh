#!/bin/sh
# A test stand-in for Microsoft's offline downloader (xplat_offline_updates_download.sh
# 0.0.2), written for mdatp-doctor's tests from its documented behaviour, not copied from it:
# settings.json read from this script's own directory, the same download tree, the same log
# lines, curl without -f (an error page is saved as the package), and exit status 0 on
# every failure. The base URL comes from STANDIN_BASE_URL (a loopback server in tests).
scriptVersion="0.0.2"
base="${STANDIN_BASE_URL:?STANDIN_BASE_URL is not set}"
dir=$(dirname "$0")

echo "------ downloader stand-in version $scriptVersion ------"
command -v jq >/dev/null 2>&1 || { echo "Exiting script since jq is not installed."; exit 0; }
command -v curl >/dev/null 2>&1 || { echo "Exiting script since curl is not installed."; exit 0; }
[ -f "$dir/settings.json" ] || { echo "Exiting script since settings.json file does not exist."; exit 0; }

setting() {
    v=$(jq -r ".$1" < "$dir/settings.json")
    [ "$v" = "null" ] && v=$2
    printf '%s' "$v"
}
folder=$(setting downloadFolder "$HOME/wdav-update")
log=$(setting logFilePath /tmp/mdatp_offline_updates.log)
linux=$(setting downloadLinuxUpdates false)
mac=$(setting downloadMacUpdates false)
preview=$(setting downloadPreviewUpdates false)
backup=$(setting backupPreviousUpdates false)

log_message() {
    echo "$1"
    { date; echo "$1"; echo "----------End of message----------"; } >> "$log"
}
fail() {
    echo "Error ($1): $2"
    [ -n "$3" ] && rm -f "$3"
    [ -n "$4" ] && rm -f "$4"
    exit 0
}
engine_of() { sed -n 's/.*<engine>\([^<]*\)<\/engine>.*/\1/p' "$1"; }
sigs_of() { sed -n 's/.*<signatures date="[^"]*">\([^<]*\)<\/signatures>.*/\1/p' "$1"; }

download() {
    platform=$1
    if [ "$platform" = linux ]; then linkid=2144709; else linkid=2120136; fi
    rings=production
    [ "$preview" = true ] && rings="production preview"
    for ring in $rings; do
        for arch in x86_64 arm64; do
            path="$folder/$platform/$ring/arch_$arch"
            mkdir -p "$path"
            url="$base?linkid=$linkid"
            [ "$arch" = arm64 ] && url="$url&arch=arm64"
            [ "$ring" = preview ] && url="$url&engRing=3&sigRing=1"
            info="$url&action=info"
            if [ -f "$path/manifest.json" ]; then
                curl -sS -L -o temp.txt "$info" || fail 0 "Failed to download manifest from $info"
                if [ "$(engine_of temp.txt)" = "$(jq -r .EngineVersion "$path/manifest.json")" ] &&
                   [ "$(sigs_of temp.txt)" = "$(jq -r .DefinitionVersion "$path/manifest.json")" ]; then
                    rm -f temp.txt
                    echo "No new update available"
                    continue
                fi
                rm -f temp.txt
            fi
            if [ "$backup" = true ]; then
                back="$folder/$platform/${ring}_back/arch_$arch"
                mkdir -p "$back"
                if [ -f "$path/updates.zip" ] && [ -f "$path/manifest.json" ]; then
                    cp -f "$path/updates.zip" "$path/manifest.json" "$back/"
                fi
            fi
            curl -sS -L -o "$path/updates.zip_temp" "$url" ||
                fail 0 "Failed to download $url" "$path/updates.zip_temp" "$path/manifest.xml"
            curl -sS -L -o "$path/manifest.xml" "$info" ||
                fail 0 "Failed to download manifest from $info" "$path/updates.zip_temp" "$path/manifest.xml"
            mv "$path/updates.zip_temp" "$path/updates.zip"
            engine=$(engine_of "$path/manifest.xml")
            log_message "Engine version: $engine"
            sigs=$(sigs_of "$path/manifest.xml")
            log_message "Definition version: $sigs."
            jq -n --arg e "$engine" --arg d "$sigs" '{EngineVersion: $e, DefinitionVersion: $d}' > "$path/manifest.json"
            rm -f "$path/manifest.xml"
        done
    done
}

log_message "Script started."
[ "$linux" = true ] && download linux
[ "$mac" = true ] && download mac
log_message "Script completed."
exit 0
