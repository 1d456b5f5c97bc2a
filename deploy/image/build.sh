#!/usr/bin/env bash
# Builds the `plenary:local` container image from the locally built binary.
#
# No registry and no base image are needed: the image is the binary plus the shared
# libraries it links (found with ldd), imported as a filesystem with `docker import`.
# The same image runs the chair, a delegation, a one-shot session runner or a
# tournament shard.
#
#   deploy/image/build.sh            # builds target/release/plenary first if needed
#   deploy/image/build.sh --no-build # use the binary as it is
#   PLENARY_BIN=target/debug/plenary deploy/image/build.sh --no-build   # any other build
#   PLENARY_IMAGE=plenary:test deploy/image/build.sh                    # another tag
#
# What the image holds (see deploy/README.md):
# - everything owned by root and read-only for the container's user, except
# - /data (WORKDIR), /results and /state, owned by the `plenary` user (uid and gid 65532)
#   that every process runs as: results (`--json /data/x.json`, tournament shards in
#   /results) and the chair's journal (`--state-dir /state`) go there; mount volumes on
#   them to keep what is written (a new named volume takes the directory's owner);
# - a HEALTHCHECK: `plenary health` on port 50050, where chair and delegation containers
#   listen (each container has its own network namespace, so they all use one port).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${PLENARY_IMAGE:-plenary:local}"
# The container user: a uid no host account normally has (below nobody's 65534, above
# the range login.defs hands out), so files the containers own on the host belong to
# no one else there.
uid=65532
if [ "${1:-}" != "--no-build" ]; then
  (cd "$root" && cargo build --release -p plenary-cli)
fi
bin="${PLENARY_BIN:-$root/target/release/plenary}"
[ -x "$bin" ] || { echo "build.sh: $bin not found; run cargo build --release -p plenary-cli" >&2; exit 1; }
for tool in docker ldd strip tar; do
  command -v "$tool" >/dev/null || { echo "build.sh: \`$tool\` is needed and not installed" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
owned="$work/owned"
mkdir -p "$rootfs" "$owned"
install -D -m 0755 "$bin" "$rootfs/usr/local/bin/plenary"
# Debug info stays on the host (the release profile keeps it for profiling).
strip "$rootfs/usr/local/bin/plenary"
# The dynamic loader and every library the binary links, at their own paths.
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
  install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
done
mkdir -p "$rootfs/tmp" "$rootfs/etc" "$rootfs/run/secrets" "$rootfs/config"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/:/sbin/nologin\nplenary:x:%s:%s:plenary:/data:/sbin/nologin\n' "$uid" "$uid" > "$rootfs/etc/passwd"
printf 'root:x:0:\nplenary:x:%s:\n' "$uid" > "$rootfs/etc/group"
# The user's writable directories, in a second archive appended with their owner:
# tar sets owners from its flags, so this works without root.
mkdir -m 0755 "$owned/data" "$owned/results"
mkdir -m 0700 "$owned/state"

tar -C "$rootfs" --owner=0 --group=0 --numeric-owner -cf "$work/image.tar" .
tar -C "$owned" --owner="$uid" --group="$uid" --numeric-owner -rf "$work/image.tar" ./data ./results ./state

# HEALTHCHECK through `docker import --change` is accepted by the engine (checked on
# Docker Engine 20.10); Compose and Kubernetes also declare their own probes.
docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/plenary"]' \
  --change "USER $uid:$uid" \
  --change 'WORKDIR /data' \
  --change 'ENV RUST_LOG=warn,plenary=info' \
  --change 'EXPOSE 50050' \
  --change 'HEALTHCHECK --interval=5s --timeout=4s --start-period=10s --retries=3 CMD ["/usr/local/bin/plenary", "health", "http://127.0.0.1:50050", "--timeout-ms", "3000"]' \
  "$work/image.tar" "$tag" >/dev/null
echo "built image $tag ($(docker image inspect "$tag" --format '{{.Size}}') bytes, user $uid)"
