# pstore/ramoops on a reserve_mem= region across kexec.
#
# Kernel 1 boots with "reserve_mem=1M:4K:oops ramoops.mem_name=oops" (see
# PSTORE_APPEND in scripts/common.sh), writes a line with a random tag to
# /dev/pmsg0, finalizes KHO when it runs with kho=on and kexecs. The
# command line of kernel 2 is changed so that a fresh allocation of "oops"
# would land elsewhere (pstore_next= on the command line):
#   perturb   an entry "extra" of the same size and alignment comes before
#             "oops": allocated first, it takes the place that "oops" got
#             in kernel 1, whatever the memory map looks like;
#   mismatch  "oops" asks for another size, and "aligned" (which kernel 1
#             must then have) for an alignment its old address lacks.
# Kernel 2 checks what pstore_expect= says:
#   kept  ramoops uses the same address and /sys/fs/pstore shows the line;
#   lost  ramoops uses another address and the line is gone (kho=off, the
#         negative control, or a reserve_mem= entry that changed).
# With pstore_hops=N the chain makes N kexecs: every kernel but the last
# checks the line of its predecessor, writes its own and finalizes again.
# The host checks the memblock sub-FDT that kernel 1 dumps (scripts/test).

KHO=/sys/kernel/debug/kho
PSTORE=/sys/fs/pstore

# param NAME: the value of NAME= on the kernel command line.
param() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }

HOPS=$(param pstore_hops)
HOPS=${HOPS:-1}

# The address ramoops logged for its memory ("ramoops: using SIZE@ADDR").
ramoops_addr() {
	dmesg | sed -n 's/.*ramoops: using 0x[0-9a-f]*@\(0x[0-9a-f]*\),.*/\1/p' | tail -1
}

# The start of reserve_mem region $1 as memblock logged it at finalize.
handed_over_start() {
	dmesg | sed -n "s/.*reserve_mem: handing '$1' at \[mem \(0x[0-9a-f]*\)-.*/\1/p" | tail -1
}

pstore_mount() {
	mount -t pstore pstore $PSTORE || { say "cannot mount pstore on $PSTORE"; return 1; }
}

# pstore_write HOP: write a line with a random tag to /dev/pmsg0 and keep
# it, and where ramoops keeps its records, for the next kernel to check.
pstore_write() {
	local line addr

	addr=$(ramoops_addr)
	line="PSTORE-LINE: kernel $(($1 + 1)) wrote this to /dev/pmsg0, tag $(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	echo "$line" >/dev/pmsg0 || { say "writing to /dev/pmsg0 failed"; return 1; }
	echo "$line" >/pstore-line
	echo "$addr" >/pstore-addr
	say "wrote to /dev/pmsg0: $line"
}

# Finalize KHO; memblock must have published its sub-FDT.
kho_finalize() {
	[ -d $KHO/out ] || { say "kho=on but no $KHO/out"; return 1; }
	say "KHO scratch areas: phys $(tr '\n' ' ' <$KHO/out/scratch_phys)len $(tr '\n' ' ' <$KHO/out/scratch_len)"
	echo 1 >$KHO/out/finalize || { say "finalize failed"; return 1; }
	say "KHO finalized; sub-FDTs: $(ls $KHO/out/sub_fdts | tr '\n' ' ')"
	[ -e $KHO/out/sub_fdts/memblock ] || { say "memblock published no sub-FDT"; return 1; }
	dump KHO-FDT-OUT $KHO/out/fdt
	dump KHO-MEMBLOCK-FDT-OUT $KHO/out/sub_fdts/memblock
}

pstore_first() {
	local addr start align

	pstore_mount || return 1
	addr=$(ramoops_addr)
	[ -n "$addr" ] || { say "ramoops did not start on reserve_mem region 'oops'"; return 1; }
	[ -c /dev/pmsg0 ] || { say "no /dev/pmsg0"; return 1; }
	say "ramoops keeps its records in reserve_mem region 'oops' at $addr"
	pstore_write 0 || return 1

	if [ "$(param kho)" != on ]; then
		say "KHO is off: nothing is handed over"
		return 0
	fi
	kho_finalize || return 1

	[ "$(param pstore_next)" = mismatch ] || return 0
	# An alignment that the old address of "aligned" does not have.
	start=$(handed_over_start aligned)
	[ -n "$start" ] || { say "region 'aligned' was not handed over"; return 1; }
	align=$(((start & -start) * 2))
	[ "$align" -le $((16 << 20)) ] ||
		{ say "'aligned' at $start is too well aligned for this test"; return 1; }
	printf '0x%x\n' "$align" >/aligned-align
	say "kernel 2 asks for 'oops' with another size and for 'aligned' with alignment $(cat /aligned-align)"
}

# The command line of kernel 2: see the top of this file.
scenario_next_cmdline() {
	case "$(param pstore_next)" in
	perturb)
		case "$2" in
		*:extra\ *) echo "$2" ;;
		*) echo "$2" | sed 's/reserve_mem=\([^ ]*\):oops/reserve_mem=\1:extra &/' ;;
		esac
		;;
	mismatch)
		echo "$2" | sed -e 's/reserve_mem=1M:4K:oops/reserve_mem=2M:4K:oops/' \
			-e "s/reserve_mem=\([^: ]*\):[^: ]*:aligned/reserve_mem=\1:$(cat /aligned-align):aligned/"
		;;
	*)
		echo "$2"
		;;
	esac
}

# pstore_after_kexec HOP: check what pstore_expect= says about the line
# that the previous kernel, kernel HOP, wrote; then, while the chain goes
# on, write a line of this kernel's own and finalize again.
pstore_after_kexec() {
	local addr old line found='' prev=$1

	pstore_mount || return 1
	addr=$(ramoops_addr)
	old=$(cat /pstore-addr)
	line=$(cat /pstore-line)
	say "ramoops keeps its records at ${addr:-?} (kernel $prev: $old)"
	say "$PSTORE holds: $(ls $PSTORE | tr '\n' ' ')"
	for f in $PSTORE/pmsg-ramoops-*; do
		[ -e "$f" ] || continue
		say "$f: $(cat "$f")"
		grep -qxF "$line" "$f" && found=$f
	done
	[ -d $KHO/in ] && [ -e $KHO/in/sub_fdts/memblock ] &&
		dump KHO-MEMBLOCK-FDT-IN $KHO/in/sub_fdts/memblock

	case "$(param pstore_expect)" in
	kept)
		[ "$addr" = "$old" ] || { say "ramoops moved from $old to $addr"; return 1; }
		[ -n "$found" ] || { say "the line of kernel $prev is lost"; return 1; }
		say "PSTORE-RESULT: kernel $prev's pmsg line is in $found"
		;;
	lost)
		[ -n "$addr" ] && [ "$addr" != "$old" ] ||
			{ say "ramoops did not move ($old): the test would prove nothing"; return 1; }
		[ -z "$found" ] || { say "the line of kernel $prev survived in $found"; return 1; }
		say "PSTORE-RESULT: kernel $prev's pmsg line is lost, ramoops moved from $old to $addr"
		;;
	*)
		say "no pstore_expect=kept|lost on the command line"
		return 1
		;;
	esac
	say "KEXEC-MARKER: kernel $((prev + 1)) reached userspace after kexec_file_load"

	[ "$prev" -lt "$HOPS" ] || return 0
	pstore_write "$prev" && kho_finalize
}

scenario_step() {
	case "$1" in
	0) pstore_first ;;
	*) pstore_after_kexec "$1" ;;
	esac
}
