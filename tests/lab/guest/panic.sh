# Guest script for the lab's self-test: crash the guest kernel.
echo "panicking on purpose"
echo 1 > /proc/sys/kernel/sysrq
echo c > /proc/sysrq-trigger
