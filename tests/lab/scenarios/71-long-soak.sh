# Soak (short variant: 2 minutes; `make soak` runs 30 minutes,
# tests/lab/soak/71-long-soak-30min.sh).
# timeout: 600
. /lab/long-runs.sh
soak 120
