#!/usr/bin/env bash
# A Java 21 for checking Tokenmill on a Debian 12 (bookworm) machine, which packages only Java 17:
# Debian 13's (trixie) openjdk-21 JDK, unpacked into a directory (nothing installed system-wide), with
# its launchers patched to load trixie's glibc 2.41 (the JDK needs glibc >= 2.38; bookworm has 2.36).
# Only the JVM's own executables (java, javac, jshell, jar, jspawnhelper) use the newer loader; programs
# the JVM starts (Hadoop's shell calls) run on the system's. Prints the JAVA_HOME on stdout:
#   flock /tmp/tokenmill-mvn.lock deploy/check-java.sh "$(deploy/jdk21-from-debian.sh)"
# Where Java 21 is packaged (Debian 13, Ubuntu 24.04, Temurin), use that JDK instead.
#   TOKENMILL_JDK21_DIR   where to unpack (default ~/.cache/tokenmill/jdk21); reused when already there
set -euo pipefail
dir="${TOKENMILL_JDK21_DIR:-$HOME/.cache/tokenmill/jdk21}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
home="$dir/root/usr/lib/jvm/java-21-openjdk-amd64"
glibc="$dir/glibc/usr/lib/x86_64-linux-gnu"
if [ -x "$home/bin/java" ] && "$home/bin/java" -version >/dev/null 2>&1; then echo "$home"; exit 0; fi

for tool in curl xz dpkg-deb patchelf; do
  command -v "$tool" >/dev/null || { echo "jdk21-from-debian: $tool is missing (apt-get install curl xz-utils patchelf)" >&2; exit 2; }
done
mkdir -p "$dir"
rm -rf "$dir/root" "$dir/glibc"
echo "jdk21-from-debian: reading trixie's package index from $mirror" >&2
curl -fsS -m 300 "$mirror/dists/trixie/main/binary-amd64/Packages.xz" | xz -d > "$dir/Packages"
fetch() { # package -> unpacked into $2
  local file
  file="$(awk -v p="$1" '$0 == "Package: " p {found = 1} found && /^Filename: / {print $2; exit}' "$dir/Packages")"
  [ -n "$file" ] || { echo "jdk21-from-debian: $1 is not in trixie's index" >&2; exit 1; }
  echo "jdk21-from-debian: $file" >&2
  curl -fsS -m 600 -o "$dir/pkg.deb" "$mirror/$file"
  dpkg-deb -x "$dir/pkg.deb" "$2"
  rm -f "$dir/pkg.deb"
}
fetch openjdk-21-jre-headless "$dir/root"
fetch openjdk-21-jdk-headless "$dir/root"
fetch libc6 "$dir/glibc"

# The JDK's conf/ links to /etc/java-21-openjdk, which this machine lacks: copy the packaged files in.
(cd "$home/conf" && find . -type l | while read -r link; do
  target="$(readlink "$link")"
  if [ -e "$dir/root$target" ]; then rm "$link"; cp -r "$dir/root$target" "$link"; fi
done)
for exe in bin/java bin/javac bin/jshell bin/jar lib/jspawnhelper; do
  origin='$ORIGIN/../lib'; [ "$exe" = lib/jspawnhelper ] && origin='$ORIGIN'
  patchelf --set-interpreter "$glibc/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$origin:$glibc" "$home/$exe"
done
"$home/bin/java" -version >&2
echo "$home"
