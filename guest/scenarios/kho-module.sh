# test_kho (lib/test_kho_*.c) built as a module (the x86_64 "module" kernel variant):
# each kernel loads /lib/modules/test_kho.ko with insmod (busybox, which
# uses finit_module), passing on the test_kho.* options of its command
# line, as the kernel does not apply those to loadable modules itself.
# - kernel 1: test_kho is not built in; loading it preserves the data set
#   and registers the notifier; finalize publishes the sub-FDT kho_test;
# - kernel 2: kho_test is among in/sub_fdts before the module is loaded;
#   loading it restores and verifies the data set (the host greps the
#   "KHO test: restore succeeded" line).

HOPS=1
KHO=/sys/kernel/debug/kho
MODULE=/lib/modules/test_kho.ko

# The test_kho.NAME=VALUE options of the command line, as NAME=VALUE.
module_options() {
	tr ' ' '\n' </proc/cmdline | sed -n 's/^test_kho\.//p' | tr '\n' ' '
}

load_test_module() {
	local opts
	[ ! -e /sys/module/test_kho ] || { say "test_kho is built in or loaded already"; return 1; }
	[ -f $MODULE ] || { say "no $MODULE in the initramfs"; return 1; }
	opts=$(module_options)
	# shellcheck disable=SC2086 # one word per option
	insmod $MODULE $opts || { say "insmod $MODULE $opts failed"; return 1; }
	[ "$(cat /sys/module/test_kho/initstate 2>/dev/null)" = live ] ||
		{ say "test_kho is not a live loadable module"; return 1; }
	say "loaded test_kho.ko as a module (options: ${opts:-none})"
}

scenario_step() {
	case "$1" in
	0)
		load_test_module || return 1
		echo 1 >$KHO/out/finalize || { say "finalize failed"; return 1; }
		[ -e $KHO/out/sub_fdts/kho_test ] || { say "finalize did not publish kho_test"; return 1; }
		say "finalized; sub-FDTs: $(ls $KHO/out/sub_fdts | tr '\n' ' ')"
		;;
	*)
		[ -e $KHO/in/sub_fdts/kho_test ] || { say "kernel 2 received no kho_test sub-FDT"; return 1; }
		load_test_module || return 1
		say "KEXEC-MARKER: kernel $(($1 + 1)) reached userspace after kexec_file_load"
		;;
	esac
}
