#!/usr/bin/env bash
# Benchmark: N throwaway LXD containers (debian/12) that each run one command, then are deleted:
#   ours   = ansible-playbook workstation.vms.ci_machines (parallel create/wait/run/delete, JUnit on the controller)
#   anchor = a plain sequential loop of community.general.lxd_container create + delete (anchors' venv,
#            tests/bench/venv.sh), the same command through `lxc exec`
# Same daemon, same run, repetitions interleaved (anchor, ours, anchor, ours, ...). Prints each wall time, the
# medians and the ratio ours/anchor (goal <= 0.25); JSON in .build/bench/ci_machines.json. Run by tests/bench/run.sh
# (which sets PATH and ANSIBLE_*).   Usage: bash tests/bench/ci_machines/bench.sh ANCHOR_VENV [--count 8] [--reps 5]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$root/tests/bench/ci_machines
anchor_venv=$1; shift
n=8 reps=5
while [ $# -gt 0 ]; do
  case $1 in
    --count) n=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "ci_machines: unknown argument $1 (--count N, --reps R)" >&2; exit 2 ;;
  esac
done
bench() { python -c "import sys; sys.path.insert(0, '$root/tests/bench'); import benchlib; $1"; }
out=$(mktemp -d /tmp/cim-bench.XXXXXX)
cleanup() {
  local left
  left=$(lxc list cim-bench --format csv -c n | grep '^cim-bench' || true)
  # shellcheck disable=SC2086  # a list of names
  [ -z "$left" ] || lxc delete --force $left >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT
cleanup; mkdir -p "$out"
load0=$(bench "print(benchlib.gate('ci_machines'))")

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
  left=$(lxc list cim-bench --format csv -c n | grep -c '^cim-bench' || true)
  printf 'rep %d: anchor %.1fs  ours %.1fs  (containers left on the daemon: %s)\n' "$r" "${theirs[-1]}" "${ours[-1]}" "$left"
done
bench "
import statistics
ours, anchor = [float(x) for x in '${ours[*]}'.split()], [float(x) for x in '${theirs[*]}'.split()]
mo, ma = statistics.median(ours), statistics.median(anchor)
benchlib.report('ci_machines', {'machines': $n, 'repetitions': $reps, 'ours_s': ours, 'anchor_s': anchor,
                                'median_s': {'ours': round(mo, 2), 'anchor': round(ma, 2)},
                                'ratio_ours_over_anchor': benchlib.ratio(mo, ma)}, $load0, [
    'N=%d containers created, used and deleted, median of %d: ours %.1fs, sequential community.general.lxd_container'
    ' loop %.1fs: ratio %s (goal <= 0.25)' % ($n, $reps, mo, ma, benchlib.ratio(mo, ma))])
"
