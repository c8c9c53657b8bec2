# Failure injection while preserving and finalizing (kernel 1 boots with
# kho=on kmemleak=on test_kho.manual=1):
# - the fault injection of failslab and fail_page_alloc is opened to every
#   allocation that may sleep, of any order, and driven by the per-task
#   counter /proc/self/fail-nth: writing N makes the N-th allocation of
#   that task fail;
# - for N = 1, 2, ..., the N-th allocation of the call fails. A call
#   whose failure was injected must fail with ENOMEM and change nothing,
#   or succeed completely (the allocation had a fallback); once the
#   counter outlasts the call, the call must succeed. This runs for
#   writing 1 to debugfs kho_test/preserve (lib/test_kho_faults.c preserves its
#   data set in the writer's context), then to kho/out/finalize. What the
#   KHO tracker allocated before a failure stays with it, so the preserve
#   calls allocate less as N grows and skip some allocations; the
#   userspace harness tools/testing/kho fails every one of them in turn
#   on a fresh tracker;
# - kmemleak must then find nothing, and the kernel kexecs: the successor
#   must restore the test module's data set and revive reserve_mem "oops"
#   (checked by the host).

HOPS=1
KHO=/sys/kernel/debug/kho
DEBUGFS=/sys/kernel/debug
FAULTS_MAX=5000

# Let fail-nth reach every allocation that may sleep, of any order.
faults_setup() {
	local attr
	for attr in failslab fail_page_alloc; do
		[ -d $DEBUGFS/$attr ] || { say "no $DEBUGFS/$attr"; return 1; }
		echo N >$DEBUGFS/$attr/ignore-gfp-wait || return 1
		# One line per injected failure, no stack dump.
		echo 1 >$DEBUGFS/$attr/verbose || return 1
	done
	echo 0 >$DEBUGFS/fail_page_alloc/min-order
}

# fail_nth_write N VALUE FILE: write VALUE to FILE from a task whose N-th
# allocation fails from now on. The files are opened before the counter
# is set, and the write runs in that same task (no command substitution:
# a forked task starts with a clear counter), so that only the write
# counts. Prints "RC LEFT ERROR": the exit status of the write, what is
# left of the counter (0: the failure was injected) and the error.
fail_nth_write() {
	(
		exec 3>"$3" 4>/proc/self/fail-nth 5</proc/self/fail-nth \
			6>/tmp/fail-nth.err || exit 1
		echo "$1" >&4
		echo "$2" >&3 2>&6
		rc=$?
		read -r left <&5
		# A counter the write did not use up would hit the next step.
		echo 0 >&4
		err=$(cat /tmp/fail-nth.err)
		echo "$rc $left ${err##*: }"
	)
}

# faults_loop NAME FILE DONE UNDO STATE: fail each allocation of writing 1
# to FILE in turn: for N = 1, 2, ... the N-th allocation fails, until the
# call makes fewer than N allocations. DONE is a command that says
# whether the call took effect, UNDO one that reverts a call that
# succeeded, STATE one that describes the state. Prints the counts as
# "FAULTS-RESULT: NAME: ..." and leaves the call done.
faults_loop() {
	local name=$1 file=$2 done=$3 undo=$4 state=$5
	local n=0 rc left err failed=0 absorbed=0
	while :; do
		n=$((n + 1))
		[ $n -le $FAULTS_MAX ] || { say "$name: still failing after $FAULTS_MAX"; return 1; }
		set -- $(fail_nth_write $n 1 "$file")
		rc=$1 left=$2
		shift 2
		err="$*"
		if [ "$left" != 0 ]; then
			# The call made fewer than n allocations: a plain retry.
			[ "$rc" = 0 ] || { say "$name: the call with allocation $n to fail, which it does not reach, failed: $err"; return 1; }
			$done || { say "$name: the retry succeeded, but did nothing"; return 1; }
			break
		elif [ "$rc" = 0 ]; then
			# The allocation that failed had a fallback: all or nothing.
			$done || { say "$name: succeeded with allocation $n failed, but did nothing ($($state))"; return 1; }
			$undo || { say "$name: cannot undo after allocation $n failed"; return 1; }
			absorbed=$((absorbed + 1))
		else
			[ "$err" = "Cannot allocate memory" ] ||
				{ say "$name: allocation $n failed, the call said: $err"; return 1; }
			! $done || { say "$name: failed with allocation $n failed, but took effect ($($state))"; return 1; }
			failed=$((failed + 1))
		fi
	done
	say "FAULTS-RESULT: $name: $failed injected failures gave ENOMEM, $absorbed were absorbed, the call with allocation $n to fail succeeded ($($state))"
}

preserved() { [ "$(cat $DEBUGFS/kho_test/preserve)" = 1 ]; }
unpreserve() { echo 0 >$DEBUGFS/kho_test/preserve; }
preserve_state() { echo "kho_test/preserve reads $(cat $DEBUGFS/kho_test/preserve)"; }
# The debugfs views (out/fdt, out/sub_fdts/NAME) are best effort, like
# all of debugfs: a finalize whose failed allocation was one of theirs
# succeeds without them. What is handed over must be complete: the root
# FDT has the test module's subnode, checked when out/fdt is there.
finalized() {
	[ "$(cat $KHO/out/finalize)" = 1 ] || return 1
	[ ! -e $KHO/out/fdt ] || grep -q kho_test $KHO/out/fdt
}
# The last finalize, the one that is handed over, has its views.
handed_over() { finalized && [ -e $KHO/out/fdt ] && [ -e $KHO/out/sub_fdts/kho_test ]; }
not_finalized() { [ "$(cat $KHO/out/finalize)" = 0 ] && [ ! -e $KHO/out/fdt ]; }
abort() { echo 0 >$KHO/out/finalize && not_finalized; }
finalize_state() {
	echo "out/finalize reads $(cat $KHO/out/finalize), out/:" $(ls $KHO/out) "sub_fdts/:" $(ls $KHO/out/sub_fdts)
}

kmemleak_clean() {
	local leaks
	leaks=$(kmemleak_leaks) || { say "kmemleak does not run: boot with kmemleak=on"; return 1; }
	[ "$leaks" = 0 ] || { say "kmemleak found $leaks unreferenced objects (above)"; return 1; }
	say "FAULTS-RESULT: kmemleak: no leaks"
}

faults_step_first() {
	[ -e $DEBUGFS/kho_test/preserve ] || { say "no kho_test/preserve: boot with test_kho.manual=1"; return 1; }
	faults_setup || { say "cannot set up fault injection"; return 1; }
	! preserved || { say "the data set is preserved before the test"; return 1; }
	faults_loop preserve $DEBUGFS/kho_test/preserve preserved unpreserve preserve_state || return 1
	faults_loop finalize $KHO/out/finalize finalized abort finalize_state || return 1
	handed_over || { say "the last finalize lacks its debugfs views: $(finalize_state)"; return 1; }
	kmemleak_clean
}

# The successor only has to restore and check the data set: it needs
# neither kmemleak nor a fresh 256 MiB data set of its own.
scenario_next_cmdline() {
	echo "$2 test_kho.max_mem=4194304" | sed 's/ kmemleak=on//'
}

scenario_step() {
	case "$1" in
	0) faults_step_first ;;
	*) say "KEXEC-MARKER: kernel $(($1 + 1)) reached userspace after kexec_file_load" ;;
	esac
}
