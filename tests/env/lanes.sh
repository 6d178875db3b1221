#!/usr/bin/env bash
# make test's parts in three lanes that run side by side, each part after the other within its lane:
#   vm      the parts that boot QEMU VMs (a TCG guest keeps a core busy while it boots: one VM part at a time per lane)
#   other   everything that is Python on the host or system containers (units, sanity, the integration tests that
#           boot no VM, matrix, lint, examples, the container scenarios, build, docs): it fills the other core while a
#           guest boots; then it takes what is left of the VM queue, as its own parts no longer need that core
#   fresh   fresh_host, the README's `make site` on a nested fresh machine (its own daemons, networks and guests),
#           then VM scenarios from the same queue as the vm lane
# (CI of 5beb9f7: the other lane was done at 3187 s and idle while the VM queue ran on to 4112 s.)
# Each lane's lines are prefixed with its name; each part reports its time. Setup ran once before (make test's
# prerequisite), so the parts are made with `-o host`: two lanes never run the host role (apt, daemons) at once.
# LANES="vm other" limits the lanes. Exits non-zero when any part of any lane failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

declare -A parts=(
  [vm]="integration-vm molecule-vm"
  [other]="units sanity integration-other matrix lint examples molecule-other build docs molecule-vm"
  [fresh]="fresh-host molecule-vm"
)

lane() {
  local name=$1 t s status=0 l0 result line log
  l0=$(date +%s)
  log=$(mktemp)
  for t in ${parts[$name]}; do
    s=$(date +%s)
    result=passed
    make --no-print-directory -o host "$t" </dev/null 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" = 0 ] || { status=1; result=FAILED; }
    line="$t took $(( $(date +%s) - s ))s (load $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "make test: $line"
    echo "make test:   $name/$line, $result" >> "$summary"
    # each VM scenario's time, wherever the queue ran it (the queue's order comes from these)
    grep -E '^molecule: \S+ (ok|FAILED) in ' "$log" | sed 's/^/make test:     /' >> "$scenarios"
    # fresh_host's nested `make site` runs, step by step: where a newcomer's first minutes go
    grep -oE '"setup: [a-z-]+ +[0-9.]+s|make site \(run [0-9]\) (took|exited) [^"]*' "$log" | tr -d '"' |
      awk '/^setup:/ { steps = steps " " $2 " " $3; next }
           { sub(/\.[0-9]+$/, ""); print "make test:     fresh_host: " $0 ":" steps; steps = "" }' >> "$scenarios"
    if [ $result = FAILED ]; then
      python3 tests/env/failure_digest.py "$log" | sed "s|^|make test: why $name/$t: |" >> "$why"
    fi
  done
  rm -f "$log"
  line="lane $name took $(( $(date +%s) - l0 ))s, $([ $status = 0 ] && echo passed || echo FAILED)"
  echo "make test: $line"
  echo "make test: $line" >> "$summary"
  return $status
}

t0=$(date +%s)
# every part's time and outcome again on the last lines, lane by lane: a CI log's tail is often all one gets to see
summary=$(mktemp) scenarios=$(mktemp) why=$(mktemp)
# the VM scenarios are one queue that the vm and fresh lanes take from, each after its first part: whichever lane is
# free takes the next one (tests/env/molecule.sh, MOLECULE_QUEUE), so neither lane waits while the other has a backlog
MOLECULE_QUEUE=$(mktemp)
export MOLECULE_QUEUE
MOLECULE_LANE=vm bash tests/env/molecule.sh --list > "$MOLECULE_QUEUE"
trap 'rm -f "$summary" "$scenarios" "$why" "$MOLECULE_QUEUE"' EXIT
pids=()
names=()
for name in ${LANES:-vm other fresh}; do
  # sed -u reads to the end (no early close), so a lane's exit status is its own (PIPESTATUS)
  ( lane "$name" 2>&1 | sed -u "s/^/[$name] /"; exit "${PIPESTATUS[0]}" ) &
  pids+=($!)
  names+=("$name")
done
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
python3 tests/env/image_server.py stop
echo "make test: all took $(( $(date +%s) - t0 ))s (load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "make test: summary (each molecule scenario's time, each part's, each lane's, then what failed)"
cat "$scenarios"
grep '^make test:   ' "$summary" | sort -s -t/ -k1,1
grep -v '^make test:   ' "$summary"
cat "$why"
if [ ${#failed[@]} -gt 0 ]; then echo "make test: failed lanes: ${failed[*]}"; exit 1; fi
