#!/usr/bin/env bash
# Builds the `plenary:local` container image from the locally built release binary.
#
# No registry and no base image are needed: the image is the binary plus the shared
# libraries it links (found with ldd), imported as a filesystem with `docker import`.
# The same image runs the chair, a delegation, or a one-shot session runner.
#
#   deploy/image/build.sh            # builds target/release/plenary first if needed
#   deploy/image/build.sh --no-build # use the binary as it is
#   PLENARY_BIN=target/debug/plenary deploy/image/build.sh --no-build   # any other build
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${PLENARY_IMAGE:-plenary:local}"
if [ "${1:-}" != "--no-build" ]; then
  (cd "$root" && cargo build --release -p plenary-cli)
fi
bin="${PLENARY_BIN:-$root/target/release/plenary}"
[ -x "$bin" ] || { echo "build.sh: $bin not found; run cargo build --release -p plenary-cli" >&2; exit 1; }

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
install -D -m 0755 "$bin" "$rootfs/usr/local/bin/plenary"
# Debug info stays on the host (the release profile keeps it for profiling).
strip "$rootfs/usr/local/bin/plenary"
# The dynamic loader and every library the binary links, at their own paths.
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
  install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
done
mkdir -p "$rootfs/tmp" "$rootfs/data" "$rootfs/etc"
chmod 1777 "$rootfs/tmp"
echo 'nobody:x:65534:65534:nobody:/:/sbin/nologin' > "$rootfs/etc/passwd"
echo 'nogroup:x:65534:' > "$rootfs/etc/group"

tar -C "$rootfs" -c . | docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/plenary"]' \
  --change 'USER 65534:65534' \
  --change 'WORKDIR /data' \
  --change 'ENV RUST_LOG=warn,plenary=info' \
  - "$tag" >/dev/null
echo "built image $tag ($(docker image inspect "$tag" --format '{{.Size}}') bytes)"
