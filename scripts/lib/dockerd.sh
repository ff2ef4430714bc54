# Sourced by benchmarks: a private Docker engine (docker.io from Debian) as the reference, with its own
# data root and socket, no bridge and no iptables, stopped and removed on exit.
# Usage: . scripts/lib/dockerd.sh; dockerd_start; $DOCKER run ...; (dockerd_stop runs on EXIT)
dockerd_start() {
  if ! command -v dockerd >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
    systemctl disable --now docker.service docker.socket containerd.service >/dev/null 2>&1 || true
  fi
  DOCKERD_DIR=$(mktemp -d /var/tmp/bench-dockerd.XXXXXX)
  dockerd --data-root "$DOCKERD_DIR/data" --exec-root "$DOCKERD_DIR/exec" --pidfile "$DOCKERD_DIR/pid" \
    -H "unix://$DOCKERD_DIR/sock" --bridge=none --iptables=false --ip6tables=false >"$DOCKERD_DIR/log" 2>&1 &
  DOCKER="/usr/bin/docker -H unix://$DOCKERD_DIR/sock"
  for _ in $(seq 1 100); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.2; done
  trap dockerd_stop EXIT
}

dockerd_stop() {
  [ -n "${DOCKERD_DIR:-}" ] || return 0
  [ -f "$DOCKERD_DIR/pid" ] && kill "$(cat "$DOCKERD_DIR/pid")" 2>/dev/null
  for _ in $(seq 1 50); do pgrep -f "$DOCKERD_DIR" >/dev/null || break; sleep 0.2; done
  umount -R "$DOCKERD_DIR/exec" "$DOCKERD_DIR/data" 2>/dev/null || true
  rm -rf "$DOCKERD_DIR"
  DOCKERD_DIR=
}
