#!/usr/bin/env bash
# The Docker daemon and image the docker runtime tests use (test/support/docker-daemon.ts).
# Installs nothing: Debian's docker.io and busybox-static must be installed (.ci/run does it).
#
#   .ci/docker-setup.sh [start]   start dockerd unless one answers, import the test image unless present
#   .ci/docker-setup.sh stop      stop the dockerd this script started
#
# dockerd runs without a bridge network and touches no iptables rules: the test containers
# use the host network, so every connection stays on loopback (never Docker's default
# 172.17.0.0/16 bridge). No registry is reachable, so the image is built with
# `docker import` from a root filesystem holding only the static busybox and its applets.
#
# Environment: BALSA_DOCKERD_DIR (pid and log files; default /tmp/balsa-dockerd),
# BALSA_DOCKERD_STORAGE_DRIVER (e.g. vfs where overlay2 is not available; default: dockerd
# chooses), DOCKER (the client; default /usr/bin/docker, Debian's, else `docker` on PATH).
set -euo pipefail

IMAGE=balsa-test/busybox:1
SOCKET=/var/run/docker.sock
STATE_DIR=${BALSA_DOCKERD_DIR:-/tmp/balsa-dockerd}
PID_FILE=$STATE_DIR/dockerd.pid
LOG_FILE=$STATE_DIR/dockerd.log
START_TIMEOUT_S=60
if [[ -z ${DOCKER:-} ]]; then
  if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export DOCKER_HOST=unix://$SOCKET

SUDO=''
if [[ $(id -u) -ne 0 ]]; then SUDO='sudo'; fi

daemon_answers() {
  $SUDO "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start_daemon() {
  if daemon_answers; then
    echo "docker-setup: a Docker daemon already answers on $SOCKET"
    return
  fi
  command -v dockerd >/dev/null || { echo "docker-setup: dockerd is not installed (Debian package docker.io)" >&2; exit 1; }
  mkdir -p "$STATE_DIR"
  local args=(--bridge=none --iptables=false --ip-masq=false --host "unix://$SOCKET")
  if [[ -n ${BALSA_DOCKERD_STORAGE_DRIVER:-} ]]; then args+=(--storage-driver "$BALSA_DOCKERD_STORAGE_DRIVER"); fi
  echo "docker-setup: starting dockerd ${args[*]} (log: $LOG_FILE)"
  # Its own session: it outlives this script, and the CI job's end takes it down.
  $SUDO setsid dockerd "${args[@]}" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local waited=0
  until daemon_answers; do
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null || ((waited >= START_TIMEOUT_S * 10)); then
      echo "docker-setup: dockerd did not come up; the end of its log:" >&2
      tail -n 30 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "docker-setup: dockerd $($SUDO "$DOCKER" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null) is up"
}

import_image() {
  if $SUDO "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "docker-setup: image $IMAGE is present"
    return
  fi
  local busybox
  busybox=$(command -v busybox || true)
  [[ -n $busybox ]] || { echo "docker-setup: busybox is not installed (Debian package busybox-static)" >&2; exit 1; }
  if ! file_is_static "$busybox"; then
    echo "docker-setup: $busybox is not statically linked: install busybox-static" >&2
    exit 1
  fi
  local rootfs
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' RETURN
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/root" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  # Relative links: the applets are found inside the image, not at this host's path.
  local applet
  for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | $SUDO "$DOCKER" import --change 'ENV PATH=/bin' - "$IMAGE" >/dev/null
  echo "docker-setup: imported $IMAGE from $busybox"
}

# A dynamically linked busybox would need its libraries in the image.
file_is_static() {
  ! grep -q 'ld-linux' <(head -c 4096 "$1" | tr -c '[:print:]' '\n')
}

stop_daemon() {
  if [[ ! -r $PID_FILE ]]; then
    echo "docker-setup: no dockerd started by this script"
    return
  fi
  local pid
  pid=$(cat "$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    $SUDO kill -TERM "$pid"
    # dockerd stops its containers and the containerd it started before it exits.
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    echo "docker-setup: stopped dockerd ($pid)"
  fi
  rm -f "$PID_FILE"
}

case ${1:-start} in
  start)
    start_daemon
    import_image
    ;;
  stop) stop_daemon ;;
  *)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac
