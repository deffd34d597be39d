#!/usr/bin/env bash
# Installs what the foreign-language binding tests need, if it is missing:
#   - the Kotlin JVM compiler (npm package kotlin-compiler, which also ships
#     lib/kotlinx-coroutines-core-jvm.jar) into .tools/kotlin-compiler/
#   - JNA (Debian's libjna-java: /usr/share/java/jna.jar)
#   - a Java runtime (Debian's default-jdk-headless), if there is none
# Python 3 is taken from the machine. Prints the settings the tests read.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kotlin_version="2.4.20"
tools="$root/.tools"
kotlin_home="$tools/kotlin-compiler-$kotlin_version/package"

# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"

if ! command -v java >/dev/null; then
  echo "installing a Java runtime (default-jdk-headless)"
  apt_install default-jdk-headless
fi

if [ ! -x "$kotlin_home/bin/kotlinc" ]; then
  echo "installing the Kotlin compiler $kotlin_version (npm package kotlin-compiler)"
  mkdir -p "$tools"
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "kotlin-compiler@$kotlin_version" >/dev/null)
  mkdir -p "$tools/kotlin-compiler-$kotlin_version"
  tar xzf "$work/kotlin-compiler-$kotlin_version.tgz" -C "$tools/kotlin-compiler-$kotlin_version"
  rm -rf "$work"
  chmod +x "$kotlin_home"/bin/*
fi

jna_jar="$(dpkg -L libjna-java 2>/dev/null | grep '/jna\.jar$' | head -n1 || true)"
if [ -z "$jna_jar" ]; then
  echo "installing JNA (Debian's libjna-java)"
  apt_install libjna-java
  jna_jar="$(dpkg -L libjna-java | grep '/jna\.jar$' | head -n1)"
fi

command -v python3 >/dev/null || apt_install python3

echo "KOTLIN_HOME=$kotlin_home"
echo "JNA_JAR=$jna_jar"
