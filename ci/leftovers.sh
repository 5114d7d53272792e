#!/usr/bin/env bash
# Fails if the test suite left stacks or interfaces behind (test names start with ifct/ifcb/vm).
set -u
ns=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(ifct-|ifcbench-)' || true)
links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^(ifct|vm[tp])' || true)
if [ -n "$ns$links" ]; then
  echo "left behind by the tests:"; echo "  stacks: ${ns:-none}"; echo "  host interfaces: ${links:-none}"
  exit 1
fi
echo "nothing left behind"
