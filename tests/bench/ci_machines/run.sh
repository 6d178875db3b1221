#!/usr/bin/env bash
# Benchmark: N throwaway LXD containers (debian/12) that each run one command, then are deleted:
#   ours   = ansible-playbook workstation.vms.ci_machines (parallel create/wait/run/delete, JUnit on the controller)
#   anchor = a plain sequential loop of community.general.lxd_container create + delete (anchors' venv,
#            tests/bench/venv.sh), the same command through `lxc exec`
# Same daemon, same run, repetitions interleaved (anchor, ours, anchor, ours, ...). Prints each wall time, the
# medians and the ratio ours/anchor (goal <= 0.5). Not part of `make test`.
# Usage: bash tests/bench/ci_machines/run.sh [N=8] [REPS=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$root/tests/bench/ci_machines
n=${1:-8}
reps=${2:-1}
anchor_venv=$(bash "$root/tests/bench/venv.sh" | tail -n1)
mkdir -p "$root/.build/collections/ansible_collections/workstation"
ln -sfn "$root" "$root/.build/collections/ansible_collections/workstation/vms"
export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections ANSIBLE_CONFIG=$root/ansible.cfg ANSIBLE_NOCOLOR=1
out=$(mktemp -d /tmp/cim-bench.XXXXXX)
cleanup() {
  for c in $(lxc list --format csv -c n | grep '^cim-bench' || true); do lxc delete --force "$c" >/dev/null 2>&1 || true; done
  rm -rf "$out"
}
trap cleanup EXIT
cleanup; mkdir -p "$out"

now() { date +%s.%N; }
ours=() theirs=()
for r in $(seq 1 "$reps"); do
  t0=$(now)
  "$anchor_venv/bin/ansible-playbook" "$here/anchor.yml" -e bench_count="$n" -e bench_prefix="cim-bench-a$r-" \
    -e bench_image=debian/12 -e bench_command=true > "$out/anchor-$r.log" 2>&1 \
    || { echo "anchor run $r failed, see log:"; tail -30 "$out/anchor-$r.log"; exit 1; }
  t1=$(now)
  (cd "$out" && "$root/.venv/bin/ansible-playbook" workstation.vms.ci_machines -e ci_count="$n" \
    -e ci_name_prefix=cim-bench- -e ci_run_id="o$r" -e ci_image=debian/12 -e ci_command=true \
    -e ci_results_dir="$out/results" > "$out/ours-$r.log" 2>&1) \
    || { echo "ours run $r failed, see log:"; tail -30 "$out/ours-$r.log"; exit 1; }
  t2=$(now)
  theirs+=("$(echo "$t1 - $t0" | bc)"); ours+=("$(echo "$t2 - $t1" | bc)")
  left=$(lxc list --format csv -c n | grep -c '^cim-bench' || true)
  printf 'rep %d: anchor %.1fs  ours %.1fs  (containers left on the daemon: %s)\n' "$r" "${theirs[-1]}" "${ours[-1]}" "$left"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ours[@]}"); mt=$(median "${theirs[@]}")
printf 'N=%d containers, %d rep(s), load %s\n' "$n" "$reps" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'median wall time: ours %.1fs, anchor (community.general.lxd_container, sequential) %.1fs\n' "$mo" "$mt"
printf 'ratio ours/anchor: %.2f (goal <= 0.50)\n' "$(echo "$mo / $mt" | bc -l)"
