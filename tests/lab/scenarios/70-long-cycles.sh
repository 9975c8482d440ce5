# Attach/detach cycles leave nothing behind (short variant: 10 + 10 cycles;
# `make soak` runs 200 + 200, tests/lab/soak/70-long-cycles-200.sh).
# timeout: 600
. /lab/long-runs.sh
cycles 10
