#!/usr/bin/env bash
# Builds the Debian and RPM packages into target/packages/ from a release build.
#   cargo install cargo-deb cargo-generate-rpm   # once
#   scripts/package.sh
#
# OLD_GLIBC=1 links the binary against glibc 2.17 with cargo-zigbuild instead, so the packages
# install where Defender runs on older distributions (RHEL 8, Debian 11, Ubuntu 20.04); a
# host build needs the host's glibc (2.34+ on a current build machine). Needs cargo-zigbuild
# and zig (`python3 -m ziglang` works too); .ci/run installs both (docs/install.md).
#   OLD_GLIBC=1 scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# PACKAGES_DIR lets the test build into a scratch directory.
out="${PACKAGES_DIR:-target/packages}"
mkdir -p "$out"
if [ "${OLD_GLIBC:-}" = 1 ]; then
    # zigbuild takes the glibc version as a suffix and builds into target/<triple>/release/,
    # where `--target` makes cargo-deb and cargo-generate-rpm look for target/release/ assets.
    triple=x86_64-unknown-linux-gnu
    glibc=2.17
    cargo zigbuild --release --locked --target "$triple.$glibc"
    # The old-glibc variant states its own libc6 dependency (Cargo.toml says why).
    cargo deb --no-build --target "$triple" --variant old-glibc --output "$out/"
    # xz, not the default zstd, which older rpm (RHEL 7's 4.11) cannot unpack.
    cargo generate-rpm --target "$triple" --payload-compress xz --output "$out/"
else
    cargo build --release --locked
    cargo deb --no-build --output "$out/"
    cargo generate-rpm --output "$out/"
fi
ls -l "$out/"
