#!/usr/bin/env bash
# Builds the relay's Debian package, kiosk-relay_<version>_<arch>.deb, with Debian's own
# dpkg-deb from a staged tree: the release build of kiosk-sync-server, the hardened systemd
# unit, /etc/kiosk-relay/relay.toml (a conffile: sync-server/relay.example.toml as it is),
# the maintainer scripts and the documentation Debian expects. The pieces live in
# packaging/deb/; the version is the workspace's, with the Debian revision of
# packaging/deb/changelog's newest entry, which must name that version.
#
#   scripts/package-deb.sh [OUT_DIR]      (default: target/debian; prints the .deb's path)
#
# KIOSK_RELAY_BIN=path uses that binary instead of building target/release's (CI reuses
# one). Needs dpkg-dev (dpkg-shlibdeps) and binutils (strip); installed if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-install.sh
. scripts/apt-install.sh

out_dir=${1:-target/debian}
pieces=packaging/deb

if ! command -v dpkg-shlibdeps >/dev/null || ! command -v strip >/dev/null; then
  echo "installing dpkg-dev and binutils (dpkg-shlibdeps, strip)" >&2
  apt_install dpkg-dev binutils
fi

# The workspace's version, from [workspace.package] of the top Cargo.toml.
upstream=$(awk '/^\[workspace.package\]/ { in_section = 1; next }
                /^\[/ { in_section = 0 }
                in_section && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' Cargo.toml)
# The changelog's newest entry: "kiosk-relay (0.1.0-1) unstable; urgency=medium".
changelog_version=$(sed -n '1s/^kiosk-relay (\([^)]*\)).*/\1/p' "$pieces/changelog")
case "$changelog_version" in
  "$upstream"-*) version=$changelog_version ;;
  *)
    echo "packaging/deb/changelog's newest entry is version '$changelog_version', but the" \
      "workspace is $upstream: add an entry '$upstream-1' at its top" >&2
    exit 1
    ;;
esac
# The maintainer of that entry signs the package too.
maintainer=$(sed -n '0,/^ -- /s/^ -- \(.*>\)  .*/\1/p' "$pieces/changelog")

if [ -n "${KIOSK_RELAY_BIN:-}" ]; then
  binary=$KIOSK_RELAY_BIN
else
  cargo build --release --locked -p kiosk-sync-server >&2
  binary=target/release/kiosk-sync-server
fi
[ -x "$binary" ] || { echo "no relay binary at $binary" >&2; exit 1; }
arch=$(dpkg --print-architecture)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/kiosk-relay
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/kiosk-relay" \
  "$root/usr/share/doc/kiosk-relay"

# Stripped as debhelper would: the symbols only matter to a debugger.
install -m 0755 "$binary" "$root/usr/bin/kiosk-sync-server"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
  "$root/usr/bin/kiosk-sync-server"
install -m 0644 "$pieces/kiosk-relay.service" "$root/lib/systemd/system/kiosk-relay.service"
install -m 0644 sync-server/relay.example.toml "$root/etc/kiosk-relay/relay.toml"
install -m 0644 "$pieces/copyright" "$root/usr/share/doc/kiosk-relay/copyright"
gzip -9n <"$pieces/changelog" >"$root/usr/share/doc/kiosk-relay/changelog.Debian.gz"
gzip -9n <README.md >"$root/usr/share/doc/kiosk-relay/README.md.gz"
chmod 0644 "$root/usr/share/doc/kiosk-relay/"*.gz

for script in postinst prerm postrm; do
  install -m 0755 "$pieces/$script" "$root/DEBIAN/$script"
done
echo /etc/kiosk-relay/relay.toml >"$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"

# The shared libraries the binary links (libc, libgcc_s) with the versions its symbols need,
# as dpkg-shlibdeps finds them; it wants a debian/control to stand in.
shlibs_dir=$stage/shlibs
mkdir -p "$shlibs_dir/debian"
printf 'Source: kiosk\n\nPackage: kiosk-relay\nArchitecture: any\n' >"$shlibs_dir/debian/control"
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "$root/usr/bin/kiosk-sync-server" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "dpkg-shlibdeps found no libraries for the relay" >&2; exit 1; }

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: kiosk-relay
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $shlibs, adduser
Section: net
Priority: optional
Description: Kiosk relay: signed captures from enrolled tablets, central HR
 The relay of the Kiosk recruiting kiosk. Enrolled tablets push their signed,
 sealed captures to it; it verifies and stores them and serves the HR console
 and API.
 .
 This package runs it as the kiosk-relay system user under a hardened systemd
 unit, with its data in /var/lib/kiosk-relay and its settings in
 /etc/kiosk-relay/relay.toml. Nothing is started until the operator has put the
 relay's TLS certificate in place and enabled the service.
EOF
chmod 0644 "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

mkdir -p "$out_dir"
deb=$out_dir/kiosk-relay_${version}_${arch}.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >&2
echo "$deb"
