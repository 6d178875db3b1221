#!/bin/sh
# Prints what the host's apt sources say, whatever their format: "format: deb822" when every source is a
# deb822 .sources file (a cloud or container image of today, often without /etc/apt/sources.list), else
# "format: list"; then "suite: NAME" for each enabled deb suite. Missing files are not an error.
set -u
list_files=$(ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
deb822_files=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
# The lists are split on purpose below (paths under /etc/apt have no spaces); no globbing of them.
set -f
one_line=0
# shellcheck disable=SC2086
if [ -n "$list_files" ] && awk '$1 == "deb" { found = 1 } END { exit !found }' $list_files; then one_line=1; fi
if [ "$one_line" = 0 ] && [ -n "$deb822_files" ]; then echo "format: deb822"; else echo "format: list"; fi
if [ -n "$list_files" ]; then
  # deb [option=value ...] URI SUITE COMPONENT...
  # shellcheck disable=SC2086
  awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print "suite: " $(i + 1) }' $list_files
fi
if [ -n "$deb822_files" ]; then
  # Stanzas end at a blank line; one is used when Types has deb and Enabled is not no.
  for f in $deb822_files; do
    awk 'function flush() { if (deb && enabled) for (k = 1; k <= n; k++) print "suite: " s[k]; deb = 0; enabled = 1; n = 0 }
         BEGIN { enabled = 1 }
         /^[ \t]*#/ { next }
         /^[ \t]*$/ { flush(); next }
         tolower($1) == "types:" { for (k = 2; k <= NF; k++) if ($k == "deb") deb = 1 }
         tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
         tolower($1) == "suites:" { n = 0; for (k = 2; k <= NF; k++) s[++n] = $k }
         END { flush() }' "$f"
  done
fi
