# A plain kexec_file_load round trip: kernel 1 loads kernel 2 with
# "kexec -s -l" and executes it; kernel 2 reports that it reached userspace.
# Neither kernel shows kexec handover properties in /chosen, even if it was
# booted with some.

HOPS=1

scenario_step() {
	kho_chosen_cleared || return 1
	case "$1" in
	0) say "kernel 1 reached userspace" ;;
	*) say "KEXEC-MARKER: kernel $(($1 + 1)) reached userspace after kexec_file_load" ;;
	esac
}
