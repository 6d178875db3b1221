"""What failed, in a few lines: the digest make test prints on its last lines, because a CI log's tail is often all
one gets to see of a run.

Usage: python3 failure_digest.py LOG    (prints at most 5 lines, each at most 400 characters)

Reads the output of one failed part or one failed molecule scenario, and says, first match wins:
- the molecule scenario digests the part already printed (`molecule: why ...` lines, from molecule.sh);
- the molecule step that failed, the task and its message (the last failure not ignored before molecule's report),
  or the tasks that made idempotence fail;
- pytest's short summary (`FAILED path::test - message`);
- else the part's last lines.
"""
import json
import re
import sys

WIDTH = 400
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAILURE = re.compile(r"^(fatal|failed): \[[^]]+\]")
TASK = re.compile(r"^TASK \[(.*)\] \**$")
STEP = re.compile(r"\[([\w.-]+) > (\w+)\]")


def short(text):
    text = " ".join(text.split())
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def message(line):
    """The msg of an Ansible failure line, else the line."""
    try:
        result = json.loads(line.partition("=> ")[2])
    except ValueError:
        return line
    msg = result.get("msg") if isinstance(result, dict) else None
    return str(msg) if msg else line


def molecule_failure(lines):
    report = next((i for i, line in enumerate(lines)
                   if re.search(r"CRITICAL (Ansible return code|Idempotence test failed)", line)), None)
    if report is None:
        return []
    step = next((m.group(2) for line in lines[report:report + 3] if (m := STEP.search(line))), None)
    if step is None:
        step = next((m.group(2) for line in reversed(lines[:report])
                     if "Executing" in line and (m := STEP.search(line))), "?")
    if "Idempotence test failed" in lines[report]:
        changed = [line.strip("* ") for line in lines[report + 1:report + 8] if line.startswith("* [")]
        return [short(f"at {step}: idempotence failed, changed: {', '.join(changed) or '?'}")]
    for i in range(report - 1, -1, -1):
        if FAILURE.match(lines[i]) and not any("...ignoring" in later for later in lines[i + 1:i + 3]):
            task = next((m.group(1) for line in reversed(lines[:i]) if (m := TASK.match(line))), "?")
            return [short(f"at {step}, TASK [{task}]: {message(lines[i])}")]
    return [short(f"at {step}: {lines[report]}")]


def digest(lines):
    why = [line for line in lines if line.startswith("molecule: why ")]
    if why:
        return why
    found = molecule_failure(lines)
    if found:
        return found
    pytest = [line for line in lines if re.match(r"^(FAILED|ERROR) \S+::", line)]
    if pytest:
        return pytest
    return [line for line in lines if line.strip()][-3:]


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        lines = [ANSI.sub("", line.rstrip("\n")) for line in log]
    for line in digest(lines)[:5]:
        print(short(line))


if __name__ == "__main__":
    main()
