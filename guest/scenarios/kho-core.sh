# The KHO core across one kexec, or test_kho.hops=N kexecs (kernel 1 boots
# with kho=on; test_kho preserves 256 MiB of folios and checks them
# after every kexec):
# - kernel 1 checks the debugfs interface: finalize starts at 0, garbage is
#   refused with EINVAL, finalize/abort/finalize works, a second finalize
#   gets EEXIST; it then dumps out/fdt and the scratch areas and kexecs;
# - kernel 2 dumps in/fdt, lists in/sub_fdts and says where its image is
#   (/proc/iomem), which must be inside scratch, KASLR or not; each kernel
#   but the last finalizes again for the next kexec.
# The host compares the dumps, decodes them with dtc and checks the
# addresses the test module logged (scripts/test).

HOPS=$(sed -n 's/.*test_kho\.hops=\([0-9]*\).*/\1/p' /proc/cmdline)
HOPS=${HOPS:-1}
KHO=/sys/kernel/debug/kho

# expect_write_error VALUE FILE ERROR: writing VALUE to FILE must fail with
# the error message ERROR.
expect_write_error() {
	if echo "$1" 2>/dev/null >"$2"; then
		say "writing '$1' to $2 succeeded, expected: $3"
		return 1
	fi
	(echo "$1" >"$2") 2>&1 | grep -q "$3" || {
		say "writing '$1' to $2 did not fail with: $3"
		return 1
	}
}

# debugfs files report size 0, so [ -s ] cannot tell: read them.
has_data() { [ -e "$1" ] && [ "$(wc -c <"$1")" -gt 0 ]; }

kho_step_first() {
	[ -d $KHO/out ] || { say "no $KHO/out"; return 1; }
	[ "$(cat $KHO/out/finalize)" = 0 ] || { say "finalize does not start at 0"; return 1; }
	expect_write_error garbage $KHO/out/finalize "Invalid argument" || return 1
	expect_write_error 0 $KHO/out/finalize "No such file or directory" || return 1
	echo 1 >$KHO/out/finalize || { say "finalize failed"; return 1; }
	has_data $KHO/out/fdt || { say "no out/fdt after finalize"; return 1; }
	echo 0 >$KHO/out/finalize || { say "abort failed"; return 1; }
	[ ! -e $KHO/out/fdt ] || { say "out/fdt is still there after abort"; return 1; }
	echo 1 >$KHO/out/finalize || { say "finalize after abort failed"; return 1; }
	expect_write_error 1 $KHO/out/finalize "File exists" || return 1
	[ "$(cat $KHO/out/finalize)" = 1 ] || { say "finalize does not read 1"; return 1; }
	say "finalize, abort, finalize: ok; sub-FDTs: $(ls $KHO/out/sub_fdts | tr '\n' ' ')"
	say "scratch_phys: $(tr '\n' ' ' <$KHO/out/scratch_phys)"
	say "scratch_len: $(tr '\n' ' ' <$KHO/out/scratch_len)"
	dump KHO-FDT-OUT $KHO/out/fdt
}

# The kernel image as START-END from /proc/iomem: "Kernel code" starts it;
# it ends with "Kernel bss" on x86_64 and with "Kernel data" on arm64,
# where that resource runs to _end.
kernel_image() {
	local start end
	start=$(sed -n 's/^ *\([0-9a-f]*\)-.* : Kernel code$/\1/p' /proc/iomem)
	end=$(sed -n 's/^ *[0-9a-f]*-\([0-9a-f]*\) : Kernel bss$/\1/p' /proc/iomem)
	[ -n "$end" ] ||
		end=$(sed -n 's/^ *[0-9a-f]*-\([0-9a-f]*\) : Kernel data$/\1/p' /proc/iomem)
	echo "$start-$end"
}

kho_step_after_kexec() {
	has_data $KHO/in/fdt || { say "no $KHO/in/fdt after a KHO kexec"; return 1; }
	kho_chosen_cleared || return 1
	say "in/sub_fdts: $(ls $KHO/in/sub_fdts | tr '\n' ' ')"
	say "kernel image: $(kernel_image)"
	say "memory: $(memory_counts)"
	dump KHO-FDT-IN $KHO/in/fdt
	say "KEXEC-MARKER: kernel $(($1 + 1)) reached userspace after kexec_file_load"
}

scenario_step() {
	case "$1" in
	0) kho_step_first ;;
	*)
		kho_step_after_kexec "$1" || return 1
		[ "$1" -lt "$HOPS" ] || return 0
		echo 1 >$KHO/out/finalize || { say "finalize for the next kexec failed"; return 1; }
		say "finalized again for kexec $(($1 + 1))"
		;;
	esac
}
