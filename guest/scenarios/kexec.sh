# A plain kexec_file_load round trip: kernel 1 loads kernel 2 with
# "kexec -s -l" and executes it; kernel 2 reports that it reached userspace.

HOPS=1

scenario_step() {
	case "$1" in
	0) say "kernel 1 reached userspace" ;;
	*) say "KEXEC-MARKER: kernel $(($1 + 1)) reached userspace after kexec_file_load" ;;
	esac
}
