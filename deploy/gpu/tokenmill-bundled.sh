#!/usr/bin/env bash
# bin/tokenmill without Maven: the CLI on the GPU bundle's own Java runtime and jars (built by
# deploy/gpu/build-bundle.sh). Used on the lent GPU machine, which has no Java and no Maven, and by the
# dry run here.
#   TOKENMILL_BUNDLE      bundle directory (default: deploy/gpu/bundle next to this script)
#   TOKENMILL_EXTRA_CP    extra classpath entries (the dry run adds the CPU natives jar here; never on a GPU)
#   TOKENMILL_JAVA_OPTS   extra JVM options
#   TOKENMILL_THREADS     libtorch intra-op threads (default: all cores)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="${TOKENMILL_BUNDLE:-$here/bundle}"
java="$bundle/jre/bin/java"
[ -x "$java" ] || { echo "tokenmill-bundled: no Java runtime at $java (run deploy/gpu/build-bundle.sh)" >&2; exit 2; }
cp="$bundle/lib/*"
[ -n "${TOKENMILL_EXTRA_CP:-}" ] && cp="$cp:$TOKENMILL_EXTRA_CP"
threads="${TOKENMILL_THREADS:-$(nproc)}"
# The same JVM flags as bin/tokenmill (its opens line is read from it, so the two never drift apart).
opens="$(sed -n 's/^opens="\(.*\)"$/\1/p' "$here/../../bin/tokenmill")"
[ -n "$opens" ] || { echo "tokenmill-bundled: could not read the opens line of bin/tokenmill" >&2; exit 2; }
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864}"
exec "$java" $opens \
  -Dai.djl.offline=true \
  -Dai.djl.pytorch.num_threads="$threads" \
  -Dai.djl.pytorch.num_interop_threads=1 \
  -Dai.djl.pytorch.graph_optimizer=false \
  -DOPT_OUT_TRACKING=true \
  -Dlog4j2.configurationFile="${TOKENMILL_LOG4J2:-$here/../../conf/log4j2.properties}" \
  -Djava.awt.headless=true \
  ${TOKENMILL_JAVA_OPTS:-} \
  -cp "$cp" io.tokenmill.jobs.cli.TokenmillCli "$@"
