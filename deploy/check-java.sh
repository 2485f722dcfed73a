#!/usr/bin/env bash
# Which Java runs Tokenmill: a 3-prompt job (conf/local.yaml, the tiny reasoner) on both runners under each
# JDK given, through bin/tokenmill as a user would start it. Default: every JDK under /usr/lib/jvm.
# Prints one line per (Java, runner): "ok" with the accuracy line, or the exit status and the one line
# Tokenmill stopped with. Run it under the build lock on a shared machine:
#   flock /tmp/tokenmill-mvn.lock deploy/check-java.sh [/path/to/jdk ...]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -gt 0 ]; then
  jdks=("$@")
else
  mapfile -t jdks < <(for d in /usr/lib/jvm/*/; do [ -x "$d/bin/java" ] && readlink -f "$d"; done | sort -u)
fi
[ ${#jdks[@]} -gt 0 ] || { echo "check-java: no JDK found" >&2; exit 2; }
"$root/bin/tokenmill" --help >/dev/null 2>&1 || true   # build the jars once, with the default Java
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for jdk in "${jdks[@]}"; do
  version="$("$jdk/bin/java" -version 2>&1 | head -n1)"
  for runner in spark local; do
    log="$work/$(basename "$jdk")-$runner.log"
    JAVA_HOME="$jdk" "$root/bin/tokenmill" run -c "$root/conf/local.yaml" --set input.limit=3 \
      --set job.runner=$runner --set job.progress=false --set job.examples=0 \
      --set output.path="$work/out-$(basename "$jdk")-$runner" >"$log" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -q '^accuracy' "$log"; then
      result="ok: $(grep '^accuracy' "$log" | tr -s ' ')"
    else
      result="exit $rc: $(grep -E '^tokenmill[a-z -]*: |Exception' "$log" | tail -n1)"
      status=1
    fi
    printf '%-45s %-6s %s\n' "$version" "$runner" "$result"
  done
done
exit $status
