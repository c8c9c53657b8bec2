# kexec_file_load with kho=on and scratch areas too small for the next
# kernel's image: kernel 1 must refuse the load (the log names
# kho_scratch=, which the host checks) instead of placing a segment
# outside scratch. No kexec follows.

HOPS=0

scenario_step() {
	if kexec -s -l /boot/kernel --initrd=/init --command-line="$(cat /proc/cmdline)"; then
		say "kexec -s -l succeeded: the next kernel fits in the scratch areas"
		return 1
	fi
	say "kexec -s -l refused, as it should"
}
