#!/usr/bin/env bash
# Builds the collection's HTML docs site offline into .build/docs/html: antsibull-docs writes the reference pages of
# every module, plugin and role (entry points included) from the installed collection, docs/*.md become the user
# guide (myst-parser), and Sphinx builds it all with -W (nitpicky: a warning or an unresolved internal reference fails
# the build). Open .build/docs/html/index.html in a browser. tests/docs checks the result in headless Chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
conf=$root/docs/docsite/sphinx
out=$root/.build/docs
rm -rf "$out" && mkdir -p "$out/rst"
chmod 700 "$out" "$out/rst"  # antsibull-docs wants its directories writable only by their owner
antsibull-docs --config-file "$conf/antsibull-docs.cfg" collection --cleanup everything --fail-on-error \
  --use-current --dest-dir "$out/rst" workstation.vms
cp "$conf/index.rst" "$out/rst/index.rst"
mkdir -p "$out/rst/guide"
cp "$root"/docs/*.md "$out/rst/guide/"
sphinx-build -q -b html -c "$conf" -W --keep-going -n "$out/rst" "$out/html"
echo "docs: $out/html/index.html"
