#!/usr/bin/env bash
# Starts LXD, Incus and libvirtd (+ the default network) with or without systemd as PID 1, and
# initialises LXD/Incus from a preseed: `lxd init --minimal` cannot pick a subnet on these hosts.
set -euo pipefail
LXD_SUBNET=${LXD_SUBNET:-10.99.10.1/24}
INCUS_SUBNET=${INCUS_SUBNET:-10.99.20.1/24}
has_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

# Systemd containers die at boot with the default inotify limits once a dozen run.
sysctl -q -w fs.inotify.max_user_instances=1048576 fs.inotify.max_user_watches=1048576 || true

preseed() { # $1 = bridge name, $2 = subnet
  cat <<PRESEED
config: {}
networks:
- name: $1
  type: bridge
  config:
    ipv4.address: $2
    ipv4.nat: "true"
    ipv6.address: none
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root: {path: /, pool: default, type: disk}
    eth0: {name: eth0, network: $1, type: nic}
PRESEED
}

start_lxd() {
  if ! lxc query /1.0 >/dev/null 2>&1; then
    mkdir -p /var/log/lxd
    if has_systemd; then systemctl start lxd; else setsid -f lxd --group lxd --logfile=/var/log/lxd/lxd.log </dev/null >/dev/null 2>&1; fi
    lxd waitready --timeout=60
  fi
  if ! lxc storage show default >/dev/null 2>&1; then
    preseed lxdbr0 "$LXD_SUBNET" | lxd init --preseed
  fi
  echo "lxd: $(lxc query /1.0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"]["server_version"])')"
}

start_incus() {
  local incusd=/usr/libexec/incus/incusd
  [ -x "$incusd" ] || { echo "incus: not installed"; return 0; }
  if ! incus query /1.0 >/dev/null 2>&1; then
    mkdir -p /var/log/incus
    if has_systemd; then systemctl start incus; else setsid -f "$incusd" --group incus-admin --logfile=/var/log/incus/incusd.log </dev/null >/dev/null 2>&1; fi
    incus admin waitready --timeout=60
  fi
  if ! incus storage show default >/dev/null 2>&1; then
    preseed incusbr0 "$INCUS_SUBNET" | incus admin init --preseed
  fi
  echo "incus: running"
}

start_libvirt() {
  if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    if has_systemd; then systemctl start libvirtd; else
      pgrep -x virtlogd >/dev/null || virtlogd -d
      pgrep -x virtlockd >/dev/null || virtlockd -d
      libvirtd -d
    fi
    for _ in $(seq 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  # (grep -q on a pipe would fail the pipeline under pipefail once virsh gets SIGPIPE)
  case "$(virsh -c qemu:///system net-info default)" in
    *Active:*yes*) ;;
    *) virsh -c qemu:///system net-start default ;;
  esac
  virsh -c qemu:///system net-autostart default >/dev/null
  echo "libvirt: $(virsh -c qemu:///system version | sed -n 's/Running hypervisor: //p')"
}

start_lxd
start_incus
start_libvirt
