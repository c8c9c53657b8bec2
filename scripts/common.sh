# shellcheck shell=bash
# Helpers shared by the scripts in this directory. Source it; do not run it.

set -euo pipefail

# A command that fails where set -e stops the script names itself: the
# script, the file and line, and the failing line, so that no step ends
# without a word. set -E hands the trap on to functions and subshells.
# It does not fire where a failure is handled (if, while, &&, ||, !),
# and inside $(...), where set -e is off, it stays silent: the command
# substitution's own status is reported where it matters.
set -E
report_failure() {
	local status=$1 line=$2 file=${BASH_SOURCE[1]:-$0} func=${FUNCNAME[1]:-}
	case $- in *e*) ;; *) return 0 ;; esac
	[ "$func" = main ] || [ "$func" = source ] && func=
	printf '%s: error: %s:%s%s failed with exit status %s: %s\n' "${0##*/}" \
		"${file#"${TOP:-}"/}" "$line" "${func:+ (in $func)}" "$status" \
		"$(sed -n "${line}{s/^[[:space:]]*//;p;q}" "$file" 2>/dev/null)" >&2
}
trap 'report_failure $? $LINENO' ERR

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../series.conf
. "$TOP/series.conf"

BUILD=${KHO_BUILD:-$TOP/build}
TREE=${KHO_TREE:-$BUILD/linux}
PATCHES=${KHO_PATCHES:-$TOP/patches}
ARCHES="x86_64 arm64"

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Run as root, or through sudo when we are not root.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "'$*' needs root, and sudo is not installed"
	fi
}

# need_tool TOOL PACKAGE: fail with a clear message when TOOL is missing.
need_tool() {
	command -v "$1" >/dev/null ||
		die "'$1' not found; install the Debian package '$2' (scripts/install-deps does)"
}

check_arch() {
	case "$1" in
	x86_64|arm64) ;;
	*) die "unknown architecture '$1' (expected one of: $ARCHES)" ;;
	esac
}

# Kernel make variables for an architecture.
kernel_arch() { case "$1" in x86_64) echo x86 ;; arm64) echo arm64 ;; esac; }
cross_compile() { case "$1" in x86_64) echo "" ;; arm64) echo aarch64-linux-gnu- ;; esac; }
kernel_image() { case "$1" in x86_64) echo arch/x86/boot/bzImage ;; arm64) echo arch/arm64/boot/Image ;; esac; }
debian_arch() { case "$1" in x86_64) echo amd64 ;; arm64) echo arm64 ;; esac; }

# The compiler for kernel builds, through ccache when it is installed.
# ccache hashes paths relative to the checkout, so that every clone of the
# repository shares the same cache entries.
kernel_cc() {
	local cc
	cc=$(cross_compile "$1")gcc
	if command -v ccache >/dev/null; then echo "ccache $cc"; else echo "$cc"; fi
}
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1

out_dir() { echo "$BUILD/out/$1"; }

# parse_boot_spec ARCH[-VARIANT][+FIRMWARE]: what a test boots, in the names
# of scripts/build-kernel and run-qemu --firmware. Sets boot_kernel
# (ARCH[-VARIANT], whose build is in out_dir), boot_arch, and the array
# boot_firmware: the run-qemu options, none for QEMU's direct boot.
parse_boot_spec() {
	boot_kernel=${1%%+*} boot_arch=${1%%[-+]*} boot_firmware=()
	[ "$boot_kernel" = "$1" ] || boot_firmware=(--firmware "${1#*+}")
}

# The patch files of a series directory (default patches/), cover letter left
# out, in order.
series_patches() {
	local p
	for p in "${1:-$PATCHES}"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] && [ "${p##*/}" != 0000-cover-letter.patch ] && echo "$p"
	done
}

# What the second kernel of a test chain prints once it reached userspace
# (guest/scenarios/*.sh).
KEXEC_MARKER="KEXEC-MARKER: kernel 2 reached userspace after kexec_file_load"

# The large data set of test_kho (lib/test_kho_data.c), which preserves 8 MiB by default:
# the chains that check 256 MiB of folios ask for it.
KHO_TEST_LARGE="test_kho.max_mem=256M"

# The KHO statistics that the checks read (what the successor found in the
# preserved memory map and how it reserved it, the size of the map a kernel
# hands over) are pr_debug() messages, which the test configurations log
# (CONFIG_KEXEC_HANDOVER_DEBUG_MESSAGES) at the debug level: the console
# shows them only with loglevel=8.
KHO_STATS_APPEND="loglevel=8"

# Kernel arguments of the KHO core scenario (guest/scenarios/kho-core.sh):
# the large data set, the statistics, and memblock=debug for
# scripts/check-kho-core.
# memblock=debug logs every early memblock call of the successor, which
# the default 128 KiB log buffer may not hold until the console prints
# them, so the log buffer is 1 MiB. The chain runs on the
# default scratch size (no kho_scratch=), which users get.
KHO_CORE_APPEND="kho=on $KHO_TEST_LARGE $KHO_STATS_APPEND memblock=debug log_buf_len=1M"

# Kernel arguments of the pstore scenario (guest/scenarios/pstore.sh):
# ramoops on the reserve_mem= region "oops", with room for pmsg and the
# console; test_kho, where it is built in, preserves its default
# 8 MiB.
PSTORE_APPEND="reserve_mem=1M:4K:oops ramoops.mem_name=oops ramoops.pmsg_size=0x10000 ramoops.console_size=0x10000 ramoops.record_size=0x10000"
# Its arguments with KHO on, for the KHO round trip, on the default scratch
# size.
PSTORE_KHO_APPEND="kho=on $PSTORE_APPEND"

# The series' config fragments: the common one and the one for ARCH.
config_fragments() {
	local dir=$TREE/tools/testing/selftests/kho
	case "$1" in x86_64) echo "$dir/config $dir/x86.conf" ;; arm64) echo "$dir/config $dir/arm64.conf" ;; esac
}

# kho_supported ARCH: the series' fragments enable KHO for ARCH.
kho_supported() {
	# shellcheck disable=SC2046
	grep -qx CONFIG_KEXEC_HANDOVER=y $(config_fragments "$1")
}

# log_dump LOG TAG FILE: decode into FILE the first line "TAG: <base64>"
# that a guest printed with dump (guest/init); fails if there is none.
log_dump() {
	sed -n "s/^$2: //p" "$1" | head -1 | base64 -d >"$3" 2>/dev/null
	[ -s "$3" ]
}

# What a kernel prints when one of its checkers finds a bug: WARN() and
# BUG(), oopses and panics, KASAN, KFENCE, UBSAN and slab debug reports
# ("BUG kmalloc-64 (Not tainted): ..."), kmemleak leak reports, "Bad page
# state" and page poisoning errors, lockdep, RCU and hung task reports.
SPLAT_PATTERN='BUG:|WARNING:|kernel BUG at|Oops|Kernel panic|general protection fault'
SPLAT_PATTERN+='|Unable to handle kernel|KASAN|KFENCE|UBSAN:|BUG [^ ]+ \((Not t|T)ainted'
SPLAT_PATTERN+='|unreferenced object|suspected memory leak|Bad page state|pagealloc: '
SPLAT_PATTERN+='|page_owner|debug_pagealloc|possible (recursive|circular) locking'
SPLAT_PATTERN+='|inconsistent lock state|suspicious RCU usage|INFO: '

# check_no_splats LOG: fail, and print the first report lines, if a kernel
# in the console log LOG reported a bug (SPLAT_PATTERN). Lines that echo a
# command line (they hold "kho_hop=", see guest/init) are not reports,
# whatever debug options they name.
check_no_splats() {
	local found
	found=$(grep -v 'kho_hop=' "$1" | grep -E -m 20 -- "$SPLAT_PATTERN") || true
	if [ -n "$found" ]; then
		echo "FAIL: ${1##*/}: a kernel reported a bug:"
		echo "$found" | sed 's/^/  /'
		return 1
	fi
	echo "${1##*/}: no kernel bug report"
}

# Kernel arguments of the KHO chains of guest/scenarios/kho-hops.sh: every
# kernel restores, checks and preserves the large data set again, and logs
# the statistics scripts/check-hops compares.
KHO_HOPS_APPEND="kho=on kho_scratch=16M,64M,32M $KHO_TEST_LARGE $KHO_STATS_APPEND"

# Kernel arguments that make the checkers of the debug kernels
# (scripts/build-kernel ARCH debug) run: KFENCE sampling every 10 ms,
# DEBUG_PAGEALLOC, page poisoning, kmemleak, and SLUB's consistency
# checks, red zones and poisoning. They come after the arguments of a
# chain and enlarge its scratch areas: a KHO successor allocates its KASAN
# shadow, an eighth of memory, while confined to scratch. The log buffer
# must hold what memblock=debug prints about those allocations before
# the console starts, or the first lines are lost.
DEBUG_APPEND="kfence.sample_interval=10 debug_pagealloc=on page_poison=1 kmemleak=on slub_debug=FZP kho_scratch=16M,256M,64M log_buf_len=8M"
