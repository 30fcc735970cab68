#!/bin/sh
# The fault suite of issue 9: 500 users restored with passwords at 30% 5xx + 10% dropped
# connections + 20 ms latency, checked against the sandbox's stored password hashes.
#   benches/fault_suite.sh                 one run (fault seed 1)
#   FAULT_SEEDS=1,2,3 benches/fault_suite.sh   several fault sequences
# Exit status 0 only when every user of every run was restored exactly once with its password.
set -eu
cd "$(dirname "$0")/.."
exec cargo bench --bench fault_suite "$@"
