#!/usr/bin/env bash
# Builds the Debian and RPM packages of both glibc variants into target/packages/:
#   host-glibc/  linked against this machine's glibc (`cargo build --release`): for systems
#                with that glibc or newer (2.34+ when built on a current distribution);
#   old-glibc/   linked against glibc 2.17 with cargo-zigbuild, so they install where Defender
#                runs on older distributions too (RHEL 7 and 8, Debian 10 and 11, Ubuntu 20.04).
# With --repo DIR it also makes each variant a plain directory repository, DIR/host-glibc/ and
# DIR/old-glibc/, that both apt and dnf/yum read (docs/packaging.md):
#   deb [trusted=yes] file:DIR/old-glibc ./        baseurl=file://DIR/old-glibc
#
#   scripts/package.sh [--variant host-glibc|old-glibc] [--repo DIR]
#
# --variant builds only that one (OLD_GLIBC=1 means --variant old-glibc); PACKAGES_DIR
# replaces target/packages. Needs a Rust toolchain; installs what else it lacks
# (scripts/tools.sh): cargo-deb, cargo-generate-rpm, cargo-zigbuild into target/tools,
# ziglang into the venv target/ci-venv, and, as root with apt, dpkg-dev and createrepo-c.
set -euo pipefail
usage() { echo "usage: scripts/package.sh [--variant host-glibc|old-glibc] [--repo DIR]" >&2; exit 2; }

variants=(host-glibc old-glibc)
[ "${OLD_GLIBC:-}" = 1 ] && variants=(old-glibc)
repo=
while [ $# -gt 0 ]; do
    case "$1" in
    --variant)
        [ $# -ge 2 ] || usage
        case "$2" in host-glibc | old-glibc) variants=("$2") ;; *) usage ;; esac
        shift 2 ;;
    --repo)
        [ $# -ge 2 ] || usage
        repo=$(realpath -m -- "$2")
        shift 2 ;;
    *) usage ;;
    esac
done
out=$(realpath -m -- "${PACKAGES_DIR:-$(dirname "$0")/../target/packages}")
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "package.sh: needs cargo (a Rust toolchain, 1.88 or later)" >&2; exit 1; }

# shellcheck source=scripts/tools.sh
. scripts/tools.sh
packaging_tools
if [[ " ${variants[*]} " = *" old-glibc "* ]]; then zig_tools; fi
if [ -n "$repo" ]; then repository_tools; fi

# Each variant's directory holds this run's packages only, so --repo publishes what was built.
build() {
    local dir="$out/$1"
    mkdir -p "$dir"
    rm -f "$dir"/*.deb "$dir"/*.rpm
    case "$1" in
    host-glibc)
        cargo build --release --locked
        cargo deb --no-build --output "$dir/"
        cargo generate-rpm --output "$dir/"
        ;;
    old-glibc)
        # zigbuild takes the glibc version as a suffix and builds into target/<triple>/release/,
        # where `--target` makes cargo-deb and cargo-generate-rpm look for target/release/ assets.
        local triple=x86_64-unknown-linux-gnu
        local glibc=2.17
        cargo zigbuild --release --locked --target "$triple.$glibc"
        # The old-glibc variant states its own libc6 dependency (Cargo.toml says why).
        cargo deb --no-build --target "$triple" --variant old-glibc --output "$dir/"
        # xz, not the default zstd, which older rpm (RHEL 7's 4.11) cannot unpack.
        cargo generate-rpm --target "$triple" --payload-compress xz --output "$dir/"
        ;;
    esac
}

# A flat apt repository (Packages, Packages.gz) and a dnf/yum one (repodata/) in the same
# directory: dpkg-scanpackages reads only the .deb files, createrepo_c only the .rpm ones.
# Packages already there stay (an older version to go back to); the same file name is replaced.
publish() {
    local dir="$repo/$1"
    mkdir -p "$dir"
    cp -f -- "$out/$1"/*.deb "$out/$1"/*.rpm "$dir/"
    (
        cd "$dir"
        dpkg-scanpackages --multiversion . >Packages.new
        gzip -9nc Packages.new >Packages.gz.new
        # The Release file lists the indexes there are (apt otherwise tries Packages.xz and
        # others first, each an `Err:` line) with their hashes, which apt checks.
        {
            echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
            echo "SHA256:"
            for f in Packages Packages.gz; do
                printf ' %s %s %s\n' "$(sha256sum <"$f.new" | cut -d' ' -f1)" "$(stat -c %s "$f.new")" "$f"
            done
        } >Release.new
        mv -f Packages.new Packages
        mv -f Packages.gz.new Packages.gz
        mv -f Release.new Release
    )
    createrepo_c --quiet "$dir"
}

for v in "${variants[@]}"; do build "$v"; done
ls -l "${variants[@]/#/$out/}"
[ -n "$repo" ] || exit 0
for v in "${variants[@]}"; do publish "$v"; done
echo
echo "Repositories in $repo:"
for v in "${variants[@]}"; do
    echo "  apt:  deb [trusted=yes] file:$repo/$v ./"
    echo "  dnf:  baseurl=file://$repo/$v  (gpgcheck=0)"
done
