# Sourced (not run) by .ci/run and scripts/package.sh, from the repository root: where the
# build and test tools live, and how one that is missing gets installed, so both install the
# same versions the same way.
#
# Cargo tools go to target/tools/bin (`cargo install --root`), Python ones into the
# virtualenv target/ci-venv: a bare `pip install` is refused on stock Debian 12 / Ubuntu 24.04
# (externally managed environment). A tool already on PATH is used as it is.
tools_root="$PWD/target/tools"
venv="$PWD/target/ci-venv"
export PATH="$tools_root/bin:$venv/bin:$HOME/.cargo/bin:$PATH"

# Debian packages: `apt-get update` once per run, and wait for the dpkg lock rather than
# fail when another build on the machine is installing something.
apt_updated=
apt_install() {
    [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@" >/dev/null
}

# cargo_tool CRATE VERSION: the crate's binary (named like the crate) when it is missing.
cargo_tool() {
    command -v "$1" >/dev/null ||
        cargo install --locked --quiet --root "$tools_root" "$1" --version "$2"
}

venv_ready() {
    [ -x "$venv/bin/pip" ] ||
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; }
}

# What scripts/package.sh runs: cargo-deb and cargo-generate-rpm, and dpkg-dev for
# dpkg-shlibdeps (the .deb's dependency list) and dpkg-scanpackages (the apt repository).
packaging_tools() {
    command -v dpkg-scanpackages >/dev/null || apt_install --no-install-recommends dpkg-dev
    cargo_tool cargo-deb 3.8.0
    cargo_tool cargo-generate-rpm 0.21.1
}

# The glibc 2.17 build: cargo-zigbuild links with zig, which it runs as `python3 -m ziglang`
# from the venv on PATH when no `zig` is installed.
zig_tools() {
    cargo_tool cargo-zigbuild 0.24.1
    command -v zig >/dev/null || { venv_ready &&
        { "$venv/bin/python3" -m ziglang version >/dev/null 2>&1 ||
            "$venv/bin/pip" install --quiet ziglang==0.17.1; }; }
}

# The dnf/yum repository metadata (repodata/).
repository_tools() {
    command -v createrepo_c >/dev/null || apt_install --no-install-recommends createrepo-c
}
