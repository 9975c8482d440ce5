# Attach/detach cycles leave nothing behind: 200 of a served vbd, 200 of a
# custom class (make soak).
# timeout: 3000
. /lab/long-runs.sh
cycles 200
