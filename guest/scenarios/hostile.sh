# Corrupted or hostile hand-overs (CONFIG_KEXEC_HANDOVER_CORRUPT): the
# kernel command line lists the cases, hostile_cases=CASE1,CASE2,...; the
# kernel of hop N arms case N+1 in debugfs kho/out/corrupt, finalizes and
# kexecs, so kernel N+2 receives that damaged hand-over. The damage is
# done during the kexec_file_load() of "kexec -s" by the kernel's
# kexec_handover_corrupt.c, the only kernel code there is for these cases.
# Every kernel boots with kho=on: after a rejected hand-over it reserves
# fresh scratch and test_kho preserves fresh folios, so it can run
# the next case.
# The host (scripts/check-hostile-handover) checks each successor's log.

CASES=$(sed -n 's/.*hostile_cases=\([a-z0-9,-]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
HOPS=$(echo $CASES | wc -w)
KHO=/sys/kernel/debug/kho

scenario_step() {
	local next
	[ "$1" = 0 ] || say "HOSTILE-UP: kernel $(($1 + 1)) reached userspace"
	[ "$1" -lt "$HOPS" ] || return 0
	next=$(echo $CASES | cut -d' ' -f$(($1 + 1)))
	[ -e $KHO/out/corrupt ] || { say "no $KHO/out/corrupt: KHO is off here"; return 1; }
	echo "$next" >$KHO/out/corrupt || { say "cannot arm case $next"; return 1; }
	echo 1 >$KHO/out/finalize || { say "finalize failed"; return 1; }
	say "HOSTILE-CASE: $next"
}
