# shellcheck shell=bash
# The test harness shared by scripts/test and scripts/check-full: KTAP
# output, one "ok" or "not ok" line per test, the plan and the closing
# line "N passed, N failed, N skipped"; the QEMU boot chains both run.
# Source it after common.sh, call ktap_begin LOGDIR first and ktap_end
# last.

passed=0 failed=0 skipped=0 n=0

# ktap_begin LOGDIR: print the KTAP header; test logs go to LOGDIR ($logs).
ktap_begin() {
	logs=$1
	mkdir -p "$logs"
	echo "TAP version 13"
}

# run_test NAME COMMAND...: one KTAP result; the output goes to a log file
# and, when the test fails, to the terminal with a "# " prefix.
run_test() {
	local name=$1 log start
	shift
	n=$((n + 1))
	log=$logs/$(printf '%02d' $n)-$(echo "$name" | tr -c 'a-zA-Z0-9_\n-' '-').log
	start=$(date +%s)
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok $n $name # $(($(date +%s) - start)) s"
	else
		failed=$((failed + 1))
		sed 's/^/# /' "$log" | tail -n 40
		echo "not ok $n $name # $(($(date +%s) - start)) s, log: ${log#"$TOP"/}"
	fi
}

skip_test() {
	n=$((n + 1))
	skipped=$((skipped + 1))
	echo "ok $n $1 # SKIP $2"
}

# ktap_end: the plan and the closing line; fails if a test failed.
ktap_end() {
	echo "1..$n"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ $failed = 0 ]
}

# boot_chain ARCH[-VARIANT][+FIRMWARE] SCENARIO NAME [run-qemu options...]:
# build the initramfs for guest/scenarios/SCENARIO.sh and boot the chain
# on the kernel of build/out/ARCH[-VARIANT] (scripts/build-kernel ARCH
# [VARIANT]), started by FIRMWARE (run-qemu --firmware; default: QEMU's
# direct kernel boot); the console log is
# $logs/console-ARCH[-VARIANT][+FIRMWARE]-NAME.log. BOOT_MODULES lists
# modules of that kernel's build tree (e.g. lib/test_kho.ko) to put in the
# initramfs.
boot_chain() {
	local out image initrd module modules=()
	parse_boot_spec "$1"
	out=$(out_dir "$boot_kernel")
	image=$out/$(kernel_image "$boot_arch")
	initrd=$out/initramfs-$2.cpio
	for module in ${BOOT_MODULES:-}; do
		modules+=("$out/$module")
	done
	"$TOP/scripts/make-initramfs" "$boot_arch" "$image" "$2" "$initrd" "${modules[@]}" &&
		"$TOP/scripts/run-qemu" "${boot_firmware[@]}" "${@:4}" "$boot_arch" "$image" "$initrd" \
			"$logs/console-$1-$3.log"
}

# A chain of test_kho.hops=N KHO kexecs (guest/scenarios/kho-hops.sh) on the
# kernel of ARCH[-VARIANT]: every successor restores and checks the test
# data and preserves it again; scripts/check-hops checks that scratch,
# memory and the hand-over metadata stay the same from kernel to kernel and
# prints them, and no kernel may report a bug. The console log is
# $logs/console-ARCH[-VARIANT]-NAME.log.
#
#   kho_hops ARCH[-VARIANT] NAME N [KERNEL-ARGS [run-qemu options...]]
kho_hops() {
	local log=$logs/console-$1-$2.log restored
	boot_chain "$1" kho-hops "$2" --boots $(($3 + 1)) \
		--append "$KHO_HOPS_APPEND test_kho.hops=$3 ${4:-}" \
		--expect "KHO test: freeing the restored folios after $3 kexecs" "${@:5}" || return 1
	restored=$(grep -c 'KHO test: restore succeeded: .*orders 0-10' "$log" || true)
	[ "$restored" = "$3" ] ||
		{ echo "FAIL: $restored kernels restored the test data, expected $3"; return 1; }
	echo "each of the $3 successors restored and verified the test data"
	"$TOP/scripts/check-hops" --hops "$3" "$log" && check_no_splats "$log"
}

# Failure injection while preserving and finalizing (guest/scenarios/
# faults.sh): every allocation of the preserve calls of lib/test_kho_faults.c
# (test_kho.manual) and of the finalize fails in turn, through the
# per-task fail-nth of failslab and fail_page_alloc; each failing call
# returns ENOMEM and changes nothing, the retry succeeds, kmemleak finds
# nothing, and the successor restores the whole 256 MiB data set and
# reserve_mem "oops".
# kho_faults ARCH[-VARIANT] [APPEND [run-qemu options...]]: APPEND adds
# kernel arguments, e.g. DEBUG_APPEND for a debug kernel.
KHO_FAULTS_APPEND="kho=on kho_scratch=16M,64M,32M kmemleak=on test_kho.manual=1 $KHO_TEST_LARGE reserve_mem=1M:4K:oops"
kho_faults() {
	boot_chain "$1" faults faults --boots 2 --timeout 240 \
		--append "$KHO_FAULTS_APPEND ${2:-}" "${@:3}" \
		--expect "FAULTS-RESULT: preserve: " --expect "FAULTS-RESULT: finalize: " \
		--expect "FAULTS-RESULT: kmemleak: no leaks" \
		--expect "reserve_mem: revived 'oops' at" \
		--expect "KHO test: restore succeeded: " --expect "MiB, orders 0-10, generation 1" || return 1
	grep -q "KHO test: restore succeeded: .* 256 MiB, orders 0-10" "$logs/console-$1-faults.log" ||
		{ echo "the successor did not restore the full 256 MiB"; return 1; }
}

# Kthreads preserve and unpreserve while finalize and abort toggle 50
# times (guest/scenarios/stress.sh, test_kho.stress): calls after the
# final finalize get EBUSY, and the successor finds exactly the slots
# recorded as preserved, under PROVE_LOCKING and DEBUG_VM.
# kho_stress ARCH[-VARIANT] [APPEND [run-qemu options...]], as kho_faults.
KHO_STRESS_APPEND="kho=on kho_scratch=16M,64M,32M test_kho.stress=4 test_kho.max_mem=16777216"
kho_stress() {
	boot_chain "$1" stress stress --boots 2 --timeout 240 \
		--append "$KHO_STRESS_APPEND ${2:-}" "${@:3}" \
		--expect "KHO test: stress: all 4 kthreads stopped" \
		--expect "STRESS-RESULT: 50 finalize/abort toggles" \
		--expect "KHO test: stress restore succeeded: 128 slots" \
		--expect "KHO test: restore succeeded: "
}
