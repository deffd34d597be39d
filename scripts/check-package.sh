#!/usr/bin/env bash
# Builds the relay's Debian package (scripts/package-deb.sh) and checks it: the control
# data and maintainer scripts, every file with its mode and owner, the unit's hardening,
# the conffile against sync-server/relay.example.toml, lintian (installed if missing),
# `systemd-analyze verify` on the unit where systemd-analyze exists, and the unpacked
# package's binary reading the packaged config. Then builds the Dockerfile and runs the
# image where a container engine answers (`docker info`), else says why it did not.
#
# KIOSK_RELAY_BIN=path reuses a release binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-install.sh
. scripts/apt-install.sh

failures=0
ok() { printf '  ok: %s\n' "$*"; }
fail() {
  printf '  FAILED: %s\n' "$*" >&2
  failures=$((failures + 1))
}
skip() { printf '  skipped: %s\n' "$*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deb=$(scripts/package-deb.sh "$work/out")
ok "built $(basename "$deb")"
upstream=$(awk '/^\[workspace.package\]/ { s = 1; next } /^\[/ { s = 0 }
                s && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' Cargo.toml)
arch=$(dpkg --print-architecture)
case "$(basename "$deb")" in
  "kiosk-relay_${upstream}-"*"_${arch}.deb") ok "named kiosk-relay_<version>_<arch>.deb" ;;
  *) fail "unexpected package name $(basename "$deb")" ;;
esac

# --- control data -----------------------------------------------------------------------
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = kiosk-relay ] && ok "Package: kiosk-relay" || fail "Package is '$(field Package)'"
case "$(field Depends)" in
  *libc6*adduser*) ok "Depends: $(field Depends)" ;;
  *) fail "Depends lacks libc6 or adduser: '$(field Depends)'" ;;
esac
info=$(dpkg-deb --info "$deb")
for member in control md5sums conffiles postinst prerm postrm; do
  grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\*? *$member( |$)" <<<"$info" ||
    fail "control archive lacks $member"
done
ok "control archive holds control, md5sums, conffiles and the maintainer scripts"
control_dir=$work/control
dpkg-deb --control "$deb" "$control_dir"
[ "$(cat "$control_dir/conffiles")" = /etc/kiosk-relay/relay.toml ] &&
  ok "conffiles: /etc/kiosk-relay/relay.toml" || fail "conffiles: $(cat "$control_dir/conffiles")"
for script in postinst prerm postrm; do
  sh -n "$control_dir/$script" || fail "$script is not valid sh"
  [ "$(stat -c %a "$control_dir/$script")" = 755 ] || fail "$script is not mode 755"
done
grep -q 'adduser --system --group' "$control_dir/postinst" &&
  ok "postinst creates the kiosk-relay system user" || fail "postinst creates no system user"
# A first install starts nothing: the relay has no certificate yet.
if grep -Eq 'systemctl.*(enable|start)|deb-systemd-helper +enable|deb-systemd-invoke +start' \
  "$control_dir/postinst"; then
  fail "postinst enables or starts the service"
else
  ok "postinst neither enables nor starts the service"
fi

# --- files, modes and owners ------------------------------------------------------------
# "mode owner/group path" of every entry, as dpkg-deb lists them.
contents=$(dpkg-deb --contents "$deb" | awk '{ print $1, $2, $6 }' | sort)
expected=$(sort <<'EOF'
drwxr-xr-x root/root ./
drwxr-xr-x root/root ./etc/
drwxr-xr-x root/root ./etc/kiosk-relay/
-rw-r--r-- root/root ./etc/kiosk-relay/relay.toml
drwxr-xr-x root/root ./lib/
drwxr-xr-x root/root ./lib/systemd/
drwxr-xr-x root/root ./lib/systemd/system/
-rw-r--r-- root/root ./lib/systemd/system/kiosk-relay.service
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/kiosk-sync-server
drwxr-xr-x root/root ./usr/share/
drwxr-xr-x root/root ./usr/share/doc/
drwxr-xr-x root/root ./usr/share/doc/kiosk-relay/
-rw-r--r-- root/root ./usr/share/doc/kiosk-relay/README.md.gz
-rw-r--r-- root/root ./usr/share/doc/kiosk-relay/changelog.Debian.gz
-rw-r--r-- root/root ./usr/share/doc/kiosk-relay/copyright
EOF
)
if [ "$contents" = "$expected" ]; then
  ok "contents: exactly the expected files, root-owned, with the expected modes"
else
  fail "contents differ from the expected (< expected, > in the package):"
  diff <(echo "$expected") <(echo "$contents") >&2 || true
fi

root=$work/root
dpkg-deb -x "$deb" "$root"

# --- the unit ---------------------------------------------------------------------------
unit=$root/lib/systemd/system/kiosk-relay.service
missing=()
for line in \
  'ExecStart=/usr/bin/kiosk-sync-server serve --config /etc/kiosk-relay/relay.toml' \
  'ExecReload=/bin/kill -HUP $MAINPID' \
  User=kiosk-relay Group=kiosk-relay Environment=NO_COLOR=1 StateDirectory=kiosk-relay StateDirectoryMode=0700 \
  ConfigurationDirectory=kiosk-relay NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
  PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
  ProtectKernelLogs=yes ProtectControlGroups=yes \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' RestrictNamespaces=yes \
  LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
  SystemCallArchitectures=native CapabilityBoundingSet= AmbientCapabilities= UMask=0077 \
  Restart=on-failure; do
  grep -qxF "$line" "$unit" || missing+=("$line")
done
if [ ${#missing[@]} -eq 0 ]; then
  ok "unit: runs serve as kiosk-relay with the hardening settings"
else
  fail "unit lacks: ${missing[*]}"
fi
# No capability may come back in through another line.
if grep -E '^(CapabilityBoundingSet|AmbientCapabilities)=.' "$unit"; then
  fail "unit grants capabilities"
fi
if command -v systemd-analyze >/dev/null; then
  # Against this system's units, with ExecStart pointing at the unpacked package's binary
  # (the only change), since the package is not installed here.
  sed "s|=/usr/bin/kiosk-sync-server |=$root/usr/bin/kiosk-sync-server |" "$unit" \
    >"$work/kiosk-relay.service"
  if verify=$(systemd-analyze verify "$work/kiosk-relay.service" 2>&1) && [ -z "$verify" ]; then
    ok "systemd-analyze verify: no complaints"
  else
    fail "systemd-analyze verify: $verify"
  fi
  # systemd's own exposure score (0 = locked down, 10 = none of it): a hardening line
  # dropped from the unit raises it over 2.0 (the unit scores 1.6).
  if exposure=$(systemd-analyze security --offline=true --threshold=20 "$work/kiosk-relay.service" 2>&1 |
    grep 'Overall exposure level'); then
    ok "systemd-analyze security: ${exposure#*: }"
  else
    fail "systemd-analyze security: exposure over 2.0: ${exposure#*: }"
  fi
else
  skip "systemd-analyze verify and security: systemd-analyze is not installed"
fi

# --- the config -------------------------------------------------------------------------
config=$root/etc/kiosk-relay/relay.toml
cmp -s "$config" sync-server/relay.example.toml &&
  ok "relay.toml is sync-server/relay.example.toml" || fail "relay.toml differs from relay.example.toml"
setting() { sed -n "s/^$1 = \"\\(.*\\)\"$/\\1/p" "$config"; }
[ "$(setting data_dir)" = /var/lib/kiosk-relay ] &&
  ok "relay.toml: data_dir is the unit's StateDirectory" || fail "relay.toml: data_dir is '$(setting data_dir)'"
case "$(setting tls_cert) $(setting tls_key)" in
  "/etc/kiosk-relay/"*" /etc/kiosk-relay/"*) ok "relay.toml: certificate and key in /etc/kiosk-relay" ;;
  *) fail "relay.toml: tls_cert/tls_key are not in /etc/kiosk-relay" ;;
esac
# The unit has no capability, so the port must be unprivileged.
port=$(setting listen | sed 's/.*://')
[ -n "$port" ] && [ "$port" -ge 1024 ] &&
  ok "relay.toml: listens on port $port, which needs no capability" ||
  fail "relay.toml: port '$port' would need CAP_NET_BIND_SERVICE"

# --- lintian ----------------------------------------------------------------------------
if ! command -v lintian >/dev/null; then
  echo "  installing lintian"
  apt_install --no-install-recommends lintian
fi
# Errors fail; warnings are printed.
if lintian_out=$(lintian --fail-on error "$deb" 2>&1); then
  ok "lintian: no errors${lintian_out:+ (notes below)}"
else
  fail "lintian found errors"
fi
# (Its warning about root is about lintian itself.)
grep -v 'running with root privileges' <<<"$lintian_out" | sed 's/^/    /' || true

# --- the unpacked package runs ----------------------------------------------------------
bin=$root/usr/bin/kiosk-sync-server
"$bin" --help >/dev/null && ok "kiosk-sync-server --help" || fail "kiosk-sync-server --help"
serve_help=$("$bin" serve --help) || serve_help=
grep -q -- '--config' <<<"$serve_help" && ok "kiosk-sync-server serve --help" ||
  fail "kiosk-sync-server serve --help"
[ "$("$bin" --version)" = "kiosk-sync-server $upstream" ] && ok "--version is $upstream" ||
  fail "--version says '$("$bin" --version)'"
# The packaged config is one this binary accepts (an unknown or misspelt key is an error):
# an operator's command reads it, with the data directory redirected to a scratch one.
if "$bin" --data-dir "$work/data" verify-access-log --config "$config" >"$work/verify.log" 2>&1; then
  ok "the binary reads the packaged relay.toml"
else
  fail "the binary refuses the packaged relay.toml: $(tail -3 "$work/verify.log")"
fi

# The packaged config serves HTTPS: the unpacked binary with it, a throw-away certificate
# where relay.toml's would be, a scratch data directory and a free loopback port (the
# flags beat the file), answers /healthz over TLS.
if command -v openssl >/dev/null && command -v curl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/chain.pem" 2>/dev/null
  # Created first, so the poll below never reads a file the relay has not opened yet.
  : >"$work/serve.log"
  NO_COLOR=1 "$bin" --data-dir "$work/serve-data" serve --config "$config" \
    --listen 127.0.0.1:0 --tls-cert "$work/chain.pem" --tls-key "$work/key.pem" \
    >>"$work/serve.log" 2>&1 &
  relay_pid=$!
  trap 'kill "$relay_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
  # A line names the address: "Kiosk relay on https://127.0.0.1:PORT, data in …".
  url=
  for _ in $(seq 100); do
    url=$(sed -n 's|^Kiosk relay on \(https://[^,]*\),.*|\1|p' "$work/serve.log")
    [ -n "$url" ] || ! kill -0 "$relay_pid" 2>/dev/null && break
    sleep 0.1
  done
  if [ -n "$url" ] && curl -sf --max-time 10 --cacert "$work/chain.pem" "$url/healthz" |
    grep -q '"status":"ok"'; then
    ok "the binary serves HTTPS with the packaged relay.toml ($url/healthz)"
  else
    fail "the binary did not serve HTTPS with the packaged relay.toml: $(tail -3 "$work/serve.log")"
  fi
  kill "$relay_pid" 2>/dev/null || true
  wait "$relay_pid" 2>/dev/null || true
else
  skip "serving HTTPS with the packaged relay.toml: openssl or curl is missing"
fi

# --- the container image ----------------------------------------------------------------
if ! command -v docker >/dev/null; then
  skip "Dockerfile: no docker command"
elif ! docker_info=$(docker info 2>&1); then
  skip "Dockerfile: no usable container engine ($(grep -m1 -i 'error\|cannot' <<<"$docker_info" ||
    echo 'docker info failed'))"
else
  image=kiosk-relay:check
  if docker build -t "$image" . >"$work/docker-build.log" 2>&1; then
    ok "docker build"
    [ "$(docker run --rm "$image" --version)" = "kiosk-sync-server $upstream" ] &&
      ok "image: --version" || fail "image: --version"
    image_help=$(docker run --rm "$image" serve --help) || image_help=
    grep -q -- '--config' <<<"$image_help" &&
      ok "image: serve --help" || fail "image: serve --help"
    [ "$(docker run --rm --entrypoint id "$image" -u)" != 0 ] &&
      ok "image: runs as a non-root user" || fail "image: runs as root"
    docker run --rm "$image" verify-access-log --config /etc/kiosk-relay/relay.toml >/dev/null 2>&1 &&
      ok "image: reads its relay.toml and writes its data volume" ||
      fail "image: cannot read its relay.toml or write /var/lib/kiosk-relay"
    docker image rm "$image" >/dev/null || true
  else
    fail "docker build: $(tail -20 "$work/docker-build.log")"
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "package checks: $failures failed" >&2
  exit 1
fi
echo "package checks: all passed ($(basename "$deb"))"
