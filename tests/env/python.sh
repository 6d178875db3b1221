#!/usr/bin/env bash
# Prints the path of a CPython interpreter of one of the versions given (first found wins, in the order given):
#   bash tests/env/python.sh 3.12 3.13
# Looks in /usr/bin (Debian's own), /usr/local/bin, pyenv (~/.pyenv, /opt/pyenv), then the project's own build under
# $WSVMS_CACHE/python/. Debian 12 ships only 3.11 and none of PyPI, npm or Debian has a prebuilt CPython that
# installs offline (uv and the npm "portable-python" packages download from GitHub, which these machines cannot
# reach), but Debian 13 ("trixie") has the CPython 3.13 source: when 3.13 is asked for and not found, it is built
# from that source package (about 5 minutes on 2 cores, once: cached) with a private apt configuration, so the
# host's own apt sources are left as they are. Exits 1 with the reason on stderr when none can be had.
set -euo pipefail
cache=${WSVMS_CACHE:-/var/cache/workstation-vms}/python

found() { # $1 = X.Y: prints the first working interpreter of that version
  local v=$1 c
  for c in /usr/bin/python"$v" /usr/local/bin/python"$v" "$HOME"/.pyenv/versions/"$v".*/bin/python"$v" \
    /opt/pyenv/versions/"$v".*/bin/python"$v" "$cache/$v/bin/python$v"; do
    # a pyenv shim or a half-built tree may exist without a working interpreter behind it
    if [ -x "$c" ] && "$c" -c 'import ssl, sqlite3, venv, ensurepip' 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

build_313() {
  local work=$cache/src apt_dir=$cache/apt
  command -v apt-get >/dev/null || { echo "python.sh: no apt-get to fetch the CPython 3.13 source" >&2; return 1; }
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources" "$work"
  cat >"$apt_dir/sources/trixie-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
  echo "python.sh: building CPython 3.13 from Debian trixie's source package into $cache/3.13" >&2
  # the headers of the modules found() needs (ssl, sqlite3; zlib and ctypes for ensurepip's pip) and of lzma/bz2,
  # from the host's own Debian 12: a fresh machine has gcc and make (packages.sh) but none of these
  local deps=(gcc make xz-utils libssl-dev zlib1g-dev libffi-dev libsqlite3-dev libbz2-dev liblzma-dev)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${deps[@]}" >&2 \
    || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${deps[@]}" >&2; }
  apt-get "${apt[@]}" update -q >&2
  (cd "$work" && rm -rf python3.13* && apt-get "${apt[@]}" source --download-only -q python3.13 >&2)
  local orig
  orig=$(ls "$work"/python3.13_*.orig.tar.xz)
  rm -rf "$work/build" && mkdir -p "$work/build"
  tar -xJf "$orig" -C "$work/build" --strip-components=1
  # upstream source as released (Debian's patches are for Debian's own layout); no PGO: the tests need a working
  # interpreter, not the fastest one
  (cd "$work/build" && ./configure -q --prefix="$cache/3.13" >&2 \
    && nice make -s -j"$(nproc)" >&2 && make -s altinstall >&2)
  rm -rf "$work/build"
}

for v in "$@"; do
  found "$v" && exit 0
done
for v in "$@"; do
  if [ "$v" = 3.13 ]; then
    build_313 && found 3.13 && exit 0
  fi
done
echo "python.sh: no CPython $* on this host; only 3.13 can be built here (from Debian trixie's source)" >&2
exit 1
