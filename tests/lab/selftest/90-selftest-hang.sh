# Lab self-test: a scenario that hangs must become "not ok ... timed out".
# timeout: 15
diag "sleeping past my timeout on purpose"
sleep 600
ok "never reached"
