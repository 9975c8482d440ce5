# Soak: 30 minutes (make soak).
# timeout: 2400
. /lab/long-runs.sh
soak 1800
