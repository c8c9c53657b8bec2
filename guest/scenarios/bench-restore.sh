# The boots of scripts/bench-kho-guest: kernel 1 (test_kho preserved
# its data set at boot) finalizes KHO and kexecs; kernel 2 boots with
# test_kho's initcall blacklisted, so that its boot to /init is the
# kernel's own work on the preserved memory map (reading it, reserving the
# extents, freeing the holes, deferred struct pages) and not the test's
# restore and check of every folio, which a real user of KHO does later
# and on demand. Kernel 2 checks that it received the hand-over and that
# the test did not run, and prints its memory counts.

HOPS=1
KHO=/sys/kernel/debug/kho

scenario_next_cmdline() {
	echo "$2 initcall_blacklist=kho_test_module_init"
}

scenario_step() {
	case "$1" in
	0)
		echo 1 >$KHO/out/finalize || { say "finalize failed"; return 1; }
		;;
	*)
		[ -e $KHO/in/fdt ] || { say "no $KHO/in/fdt after a KHO kexec"; return 1; }
		if dmesg | grep -q 'KHO test: found sub-FDT'; then
			say "kho_test_module_init ran although it was blacklisted"
			return 1
		fi
		# All memory between the preserved blocks must have reached the
		# buddy allocator (memory_counts, in guest/init).
		say "memory: $(memory_counts)"
		;;
	esac
}
