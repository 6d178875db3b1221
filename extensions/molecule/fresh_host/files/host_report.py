#!/usr/bin/env python3
"""Prints, as JSON, the last hypervisor_host_report the role showed in an Ansible log read from stdin.

The default callback prints `debug: var=` as JSON after `ok: [host] => `; the report is the value of its key.
"""
import json
import sys

MARK = '"hypervisor_host_report": '


def last_report(text):
    start = text.rfind(MARK)
    if start < 0:
        sys.exit("no hypervisor_host_report in the log")
    report, _end = json.JSONDecoder().raw_decode(text, start + len(MARK))
    return report


if __name__ == "__main__":
    print(json.dumps(last_report(sys.stdin.read())))
