# Concurrent preserve and unpreserve across finalize and abort (kernel 1
# boots with kho=on test_kho.stress=N): lib/test_kho_stress.c runs N kthreads
# that preserve and unpreserve folios and record each change in a slot
# table that is preserved memory itself. Kernel 1 toggles finalize and
# abort STRESS_TOGGLES times while they run, finalizes for the last time
# and writes kho_test/stress_stop: the kthreads check that every call now
# gets EBUSY and stop. The successor must find exactly the slots recorded
# as preserved (the host checks its "stress restore succeeded" line).

HOPS=1
KHO=/sys/kernel/debug/kho
STRESS_TOGGLES=50

stress_step_first() {
	local i=0
	[ -e /sys/kernel/debug/kho_test/stress_stop ] ||
		{ say "no kho_test/stress_stop: boot with test_kho.stress=N"; return 1; }
	while [ $i -lt $STRESS_TOGGLES ]; do
		echo 1 >$KHO/out/finalize || { say "finalize $i failed"; return 1; }
		usleep 20000
		echo 0 >$KHO/out/finalize || { say "abort $i failed"; return 1; }
		usleep 20000
		i=$((i + 1))
	done
	echo 1 >$KHO/out/finalize || { say "the final finalize failed"; return 1; }
	echo 1 >/sys/kernel/debug/kho_test/stress_stop ||
		{ say "the stress kthreads failed"; return 1; }
	say "STRESS-RESULT: $STRESS_TOGGLES finalize/abort toggles, then the final finalize"
}

scenario_step() {
	case "$1" in
	0) stress_step_first ;;
	*) say "KEXEC-MARKER: kernel $(($1 + 1)) reached userspace after kexec_file_load" ;;
	esac
}
