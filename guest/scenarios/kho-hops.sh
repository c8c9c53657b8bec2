# A chain of test_kho.hops=N KHO kexecs (kernel 1 boots with kho=on):
# test_kho preserves 256 MiB of folios in kernel 1, and every
# successor restores them, checks them and preserves them again, until the
# last one frees them. Each kernel prints a report for scripts/check-hops,
# lines "guest[hop H]: HOP-REPORT KEY: VALUE":
# - scratch_phys and scratch_len: where its scratch areas are;
# - meminfo: MemTotal and MemFree in KiB from /proc/meminfo;
# - fdt_bytes and sub_fdts: the size of the root FDT it hands over and its
#   sub-FDTs, after finalize (not in the last kernel);
# - kmemleak: what a kmemleak scan found, when kmemleak runs (the debug
#   kernel, scripts/build-kernel ARCH debug); the leaks themselves go to
#   the console.
# The kernels log the rest: "Memory: ..." at boot, and the pr_debug()
# statistics of KEXEC_HANDOVER_DEBUG_MESSAGES (booted with loglevel=8):
# "KHO: preserved memory: ..." for the map they received, and "KHO:
# outgoing preserved memory map: ..." for the one they hand over.

HOPS=$(sed -n 's/.*test_kho\.hops=\([0-9]*\).*/\1/p' /proc/cmdline)
HOPS=${HOPS:-1}
KHO=/sys/kernel/debug/kho
KMEMLEAK=/sys/kernel/debug/kmemleak

report() { say "HOP-REPORT $1: $2"; }

# meminfo_kib FIELD: a field of /proc/meminfo, in KiB.
meminfo_kib() { sed -n "s/^$1: *\([0-9]*\) kB$/\1/p" /proc/meminfo; }

# Report what a kmemleak scan finds (kmemleak_leaks, guest/init): its
# "unreferenced object" lines on the console fail the host's
# check_no_splats.
kmemleak_scan() {
	local leaks
	if leaks=$(kmemleak_leaks); then
		# Not the words of a leak report: check_no_splats looks for them.
		report kmemleak "scanned, leaks: $leaks"
	elif [ -e $KMEMLEAK ]; then
		report kmemleak "off"
	fi
}

scenario_step() {
	if [ "$1" -gt 0 ]; then
		[ "$(wc -c <$KHO/in/fdt)" -gt 0 ] || { say "no $KHO/in/fdt after a KHO kexec"; return 1; }
		kho_chosen_cleared || return 1
	fi
	[ -e $KHO/out/scratch_phys ] || { say "no $KHO/out/scratch_phys: KHO is off"; return 1; }
	report scratch_phys "$(tr '\n' ' ' <$KHO/out/scratch_phys)"
	report scratch_len "$(tr '\n' ' ' <$KHO/out/scratch_len)"
	report meminfo "MemTotal $(meminfo_kib MemTotal) MemFree $(meminfo_kib MemFree)"
	if [ "$1" -lt "$HOPS" ]; then
		echo 1 >$KHO/out/finalize || { say "finalize failed"; return 1; }
		report fdt_bytes "$(wc -c <$KHO/out/fdt)"
		report sub_fdts "$(ls $KHO/out/sub_fdts | tr '\n' ' ')"
	fi
	kmemleak_scan
}
