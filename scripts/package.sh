#!/usr/bin/env bash
# Builds the Debian and RPM packages into target/packages/ from a release build.
#   cargo install cargo-deb cargo-generate-rpm   # once
#   scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/packages
cargo build --release --locked
cargo deb --no-build --output target/packages/
cargo generate-rpm --output target/packages/
ls -l target/packages/
