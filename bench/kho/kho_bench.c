// SPDX-License-Identifier: GPL-2.0
/*
 * Comparison benchmarks of the KHO preserved memory map, over simulated
 * physical memory with 64-byte struct pages and the real mm/memblock.c.
 * Not part of the series: built against an applied tree, whose harness
 * (tools/testing/kho) and map code (kernel/kexec_handover_{tracker,map,
 * index}.c) they run; see README.
 *
 *   ./kho_bench [PREFIX]   the successor's reader of the map against the
 *                          per-block reader it replaced, on W1-W4 and a
 *                          size sweep of alternating order-0 pages; writes
 *                          PREFIX-workloads.tsv and PREFIX-sweep.tsv
 *   ./kho_bench -q [PREFIX]  the same on W1, W4 and 64 MiB and 1 GiB
 *                          alternating only, the per-block reader stopped
 *                          after QUICK_BUDGET seconds: a quick check
 *   ./kho_bench -t [TSV]   the tracker (xarrays of bitmaps) against a
 *                          maple tree range tracker that merges adjacent
 *                          ranges of the same order, as sketched in the
 *                          KHO v5 review; TSV gets the numbers for a plot
 *   ./kho_bench -g [TSV]   -t on the small workloads only that
 *                          lib/test_kho.c makes in a QEMU guest
 *                          (scripts/bench-kho-guest), each restore run 5
 *                          times, the fastest shown
 *
 * A restore that takes longer than RESTORE_BUDGET seconds is stopped and
 * reported as such: memblock_reserve() walks the reserved regions from the
 * start, so restoring many scattered blocks one by one grows
 * quadratically.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/memblock.h>

/* tools/testing/kho's harness, with the hooks of kho_sim.patch. */
#include "kho_sim.h"
#include "maple_ranges.h"

#define RESTORE_BUDGET	30
#define QUICK_BUDGET	2
#define POOL_SIZE	SZ_1G

/* The guest's W3 alternating case, scaled down: see bench-kho-guest. */
#ifndef GUEST_ALT_MIB
#define GUEST_ALT_MIB	64
#endif
#define GUEST_ALT_BYTES	((u64)GUEST_ALT_MIB << 20)
#define GUEST_ALT_NAME	__stringify(GUEST_ALT_MIB) "M"

struct block {
	unsigned long pfn;
	unsigned int order;
};

struct workload {
	const char *name;
	phys_addr_t ram_end;
	struct block *b;
	unsigned long nr, cap;
	u64 pages;
	unsigned long per_order[NR_PAGE_ORDERS];
};

struct result {
	double preserve_s, finalize_s, restore_s;
	u64 bytes;
	unsigned long regions;
	bool timed_out;
};

/*
 * Struct pages as the kernel has them, 64 bytes, so that writing them
 * costs what it costs there: the harness's struct page is only what its
 * tests need. The readers write the order of a block to its head page.
 */
struct bench_page {
	unsigned long private;
	unsigned long pad[7];
};

static struct bench_page *bench_pages;
static unsigned long bench_nr_pfns;

/* A simulated machine of @ram_end bytes and its struct pages. */
static void bench_sim_init(phys_addr_t ram_end)
{
	sim_init(ram_end, ram_end - POOL_SIZE, ram_end - POOL_SIZE);
	if (bench_pages)
		munmap(bench_pages, bench_nr_pfns * sizeof(*bench_pages));
	bench_nr_pfns = PHYS_PFN(ram_end);
	bench_pages = mmap(NULL, bench_nr_pfns * sizeof(*bench_pages),
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bench_pages == MAP_FAILED) {
		perror("mmap of the struct pages");
		exit(2);
	}
}

/* Out of line and checked, as the harness's pfn_to_page() is. */
static noinline struct bench_page *
bench_pfn_to_page(unsigned long pfn)
{
	if (pfn >= bench_nr_pfns) {
		fprintf(stderr, "%s(0x%lx): beyond the simulated RAM\n",
			__func__, pfn);
		abort();
	}
	return &bench_pages[pfn];
}

static u64 rnd_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * CPU time of this thread: the restore figures are taken on a machine
 * shared with other work, where wall-clock time counts the waits too.
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add(struct workload *w, unsigned long pfn, unsigned int order)
{
	if (w->nr == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1 << 16;
		w->b = realloc(w->b, w->cap * sizeof(*w->b));
	}
	w->b[w->nr++] = (struct block){ pfn, order };
	w->pages += 1UL << order;
	w->per_order[order]++;
}

static void shuffle(struct workload *w)
{
	unsigned long i;

	for (i = w->nr - 1; i > 0; i--) {
		unsigned long j = rnd() % (i + 1);
		struct block t = w->b[i];

		w->b[i] = w->b[j];
		w->b[j] = t;
	}
}

/* Pages already used by a workload being built. */
static unsigned long *used;

static bool take(unsigned long pfn, unsigned int order)
{
	unsigned long i;

	for (i = pfn; i < pfn + (1UL << order); i++)
		if (used[i / 64] & (1UL << (i % 64)))
			return false;
	for (i = pfn; i < pfn + (1UL << order); i++)
		used[i / 64] |= 1UL << (i % 64);
	return true;
}

/*
 * Where preservable memory starts: above the fixed low layout and the
 * scratch area. The restore benchmark moves it up with a larger scratch.
 */
static phys_addr_t preserve_start = SIM_PRESERVE_START;

/* Preservable pfns: from preserve_start, below the page pool. */
static unsigned long first_pfn(void)
{
	return PHYS_PFN(preserve_start);
}

static unsigned long end_pfn(const struct workload *w)
{
	return PHYS_PFN(w->ram_end - POOL_SIZE);
}

/* Place a folio of @order at a random free place of @w. */
static void add_scattered(struct workload *w, unsigned long span,
			  unsigned int order)
{
	for (;;) {
		unsigned long pfn = (first_pfn() + rnd() % span) &
				    ~((1UL << order) - 1);

		if (pfn >= first_pfn() &&
		    pfn + (1UL << order) <= end_pfn(w) && take(pfn, order)) {
			add(w, pfn, order);
			return;
		}
	}
}

/* W1: 8 GiB, about 1000 folios of each order 0..10, scattered. */
static void make_w1(struct workload *w)
{
	unsigned long span;
	int order, i;

	w->name = "W1 8G orders 0-10";
	w->ram_end = 64ULL << 30;
	used = calloc(PHYS_PFN(w->ram_end) / 64 + 1, sizeof(long));
	span = end_pfn(w) - first_pfn();
	for (order = MAX_PAGE_ORDER; order >= 0; order--)
		for (i = 0; i < 1000; i++)
			add_scattered(w, span, order);
	free(used);
	shuffle(w);
}

/*
 * W1 as lib/test_kho.c makes it with test_kho.layout=random: every order
 * once, then random orders, each capped by what is left of @bytes, here
 * scattered over the RAM of a 4 GiB machine.
 */
static void make_w1_guest(struct workload *w, u64 bytes)
{
	unsigned long span, left = PHYS_PFN(bytes);
	unsigned int order;

	/* The same folios whatever ran before. */
	rnd_state = 88172645463325252ULL;
	w->name = "W1 1G orders 0-10 (guest)";
	w->ram_end = 4ULL << 30;
	used = calloc(PHYS_PFN(w->ram_end) / 64 + 1, sizeof(long));
	span = end_pfn(w) - first_pfn();
	while (left) {
		order = w->nr <= MAX_PAGE_ORDER ? w->nr :
			rnd() % (MAX_PAGE_ORDER + 1);
		order = min_t(unsigned int, order, ilog2(left));
		add_scattered(w, span, order);
		left -= 1UL << order;
	}
	free(used);
	shuffle(w);
}

/* W2: 512G host, 480G in order-9/10 folios, 20G of order-0 at random. */
static void make_w2(struct workload *w)
{
	unsigned long pfn, gib = PHYS_PFN(SZ_1G), start, end;
	unsigned int g, order, g0 = DIV_ROUND_UP(preserve_start, SZ_1G);

	w->name = "W2 512G: 480G hi-order + 20G order-0";
	w->ram_end = 512ULL << 30;
	for (g = g0; g < g0 + 480; g++) {
		/* Each GiB holds folios of one order: 2 MiB or 4 MiB. */
		order = rnd() % 2 ? 9 : 10;
		for (pfn = g * gib; pfn < (g + 1) * gib; pfn += 1UL << order)
			add(w, pfn, order);
	}
	start = (g0 + 480) * gib;
	end = end_pfn(w);
	for (pfn = start; pfn < end; pfn++)
		if (rnd() % (end - start) < 20 * gib)
			add(w, pfn, 0);
	shuffle(w);
}

/* W3: 48G of order-0 pages, contiguous or every other page. */
static void make_w3(struct workload *w, bool alternating)
{
	unsigned long pfn, nr = PHYS_PFN(48ULL << 30);
	unsigned long first = PHYS_PFN(SZ_1G), step = alternating ? 2 : 1;

	w->name = alternating ? "W3 48G order-0 alternating" :
				"W3 48G order-0 contiguous";
	w->ram_end = alternating ? 128ULL << 30 : 64ULL << 30;
	for (pfn = first; pfn < first + nr * step; pfn += step)
		add(w, pfn, 0);
}

/*
 * W3 as lib/test_kho.c makes it with test_kho.layout=contiguous or
 * alternating: @bytes of order-0 pages from 1 GiB up, every page or every
 * other page, on a 4 GiB machine.
 */
static void make_w3_guest(struct workload *w, const char *name, u64 bytes,
			  bool alternating)
{
	unsigned long pfn, first = PHYS_PFN(SZ_1G), step = alternating ? 2 : 1;

	w->name = name;
	w->ram_end = 4ULL << 30;
	for (pfn = first; pfn < first + PHYS_PFN(bytes) * step; pfn += step)
		add(w, pfn, 0);
}

/* W4: 1000 order-0 pages scattered across 1 TiB. */
static void make_w4(struct workload *w)
{
	unsigned long span;
	int i;

	w->name = "W4 1000 pages in 1T";
	w->ram_end = 1ULL << 40;
	span = end_pfn(w) - first_pfn();
	for (i = 0; i < 1000; i++)
		add(w, first_pfn() + rnd() % span, 0);
	shuffle(w);
}

/* log2 C(M, N) per order, in bytes: the information-theoretic bound. */
static double bound_bytes(const struct workload *w)
{
	double bits = 0;
	unsigned int order;

	for (order = 0; order < NR_PAGE_ORDERS; order++) {
		double m = (double)(PHYS_PFN(w->ram_end) >> order);
		double n = w->per_order[order];

		bits += (lgamma(m + 1) - lgamma(n + 1) - lgamma(m - n + 1)) /
			log(2);
	}
	return bits / 8;
}

/*
 * Run @restore in a child with a time limit; the child reports the time
 * and the memblock regions it made through a pipe.
 */
static void timed_restore(struct result *r, void (*restore)(void *), void *arg)
{
	double t[2] = { 0, 0 };
	int fds[2], status;
	pid_t pid;
	double start;

	if (pipe(fds))
		exit(2);
	pid = fork();
	if (!pid) {
		sim_reset_memblock();
		start = now();
		restore(arg);
		t[0] = now() - start;
		t[1] = memblock.reserved.cnt;
		if (write(fds[1], t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	start = now();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() - start > RESTORE_BUDGET) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->timed_out = true;
			r->restore_s = RESTORE_BUDGET;
			close(fds[0]);
			return;
		}
		usleep(2000);
	}
	if (read(fds[0], t, sizeof(t)) != sizeof(t))
		exit(2);
	close(fds[0]);
	r->restore_s = t[0];
	r->regions = t[1];
}

/* Restores per figure; the fastest counts, as the machine may be busy. */
static unsigned int repeats = 1;

static void best_restore(struct result *r, void (*restore)(void *), void *arg)
{
	struct result best = *r, t;
	unsigned int i;

	for (i = 0; i < repeats; i++) {
		t = *r;
		timed_restore(&t, restore, arg);
		if (!i || t.restore_s < best.restore_s)
			best = t;
		if (t.timed_out)
			break;
	}
	*r = best;
}

/* ---- the series: kernel/kexec_handover_{tracker,map,index}.c ---- */

static void bitmap_restore(void *arg)
{
	struct kho_mem_in in = sim_mem_in();

	sim_deserialize(&in, *(u64 *)arg);
}

static void run_bitmaps(const struct workload *w, struct result *r)
{
	struct kho_mem_track track;
	struct kho_mem_chunk *first, *c;
	unsigned long i;
	double start;
	u64 phys;

	kho_mem_track_init(&track);
	start = now();
	for (i = 0; i < w->nr; i++)
		if (kho_mem_track_add(&track, w->b[i].pfn, w->b[i].order))
			exit(2);
	r->preserve_s = now() - start;

	start = now();
	if (kho_mem_serialize(&track, &first))
		exit(2);
	r->finalize_s = now() - start;

	/* Chunks and the bitmaps they point to. */
	for (c = first; c; c = KHOSER_LOAD_PTR(c->hdr.next))
		r->bytes += PAGE_SIZE * (1 + c->hdr.num_entries);

	phys = first ? virt_to_phys(first) : 0;
	best_restore(r, bitmap_restore, &phys);
	kho_mem_free_chunks(first);
	sim_track_destroy(&track);
}

/* ---- the alternative: a maple tree of ranges, one order per range ---- */

struct range_entry {
	u64 start, size, order;	/* 24 bytes, as estimated in the review */
};

struct range_map {
	struct range_entry *e;
	unsigned long nr;
};

static void maple_restore(void *arg)
{
	const struct range_map *map = arg;
	unsigned long i, pfn;

	for (i = 0; i < map->nr; i++) {
		const struct range_entry *e = &map->e[i];

		/* One region and one head page write per block or range. */
		memblock_reserve(e->start, e->size);
		memblock_reserved_mark_noinit(e->start, e->size);
		for (pfn = PHYS_PFN(e->start); pfn < PHYS_PFN(e->start + e->size);
		     pfn += 1UL << e->order)
			bench_pfn_to_page(pfn)->private = e->order + 1;
	}
}

static void maple_store(void *arg, unsigned long first, unsigned long last,
			unsigned int order)
{
	struct range_map *map = arg;

	map->e[map->nr].start = PFN_PHYS(first);
	map->e[map->nr].size = PFN_PHYS(last + 1 - first);
	map->e[map->nr].order = order;
	map->nr++;
}

static void run_maple(const struct workload *w, struct result *r)
{
	struct maple_tree *mt = maple_ranges_new();
	struct range_map map = {};
	unsigned long i, nr;
	double start;

	start = now();
	for (i = 0; i < w->nr; i++)
		if (maple_ranges_add(mt, w->b[i].pfn, w->b[i].order))
			exit(2);
	r->preserve_s = now() - start;

	/* Serialize into an array of ranges in (contiguous) pool pages. */
	start = now();
	nr = maple_ranges_walk(mt, NULL, NULL);
	r->bytes = PAGE_ALIGN(nr * sizeof(struct range_entry));
	map.e = (void *)get_zeroed_page(GFP_KERNEL);
	for (i = 1; i < r->bytes / PAGE_SIZE; i++)
		get_zeroed_page(GFP_KERNEL);
	maple_ranges_walk(mt, maple_store, &map);
	r->finalize_s = now() - start;

	best_restore(r, maple_restore, &map);
	maple_ranges_free(mt);
}

static void fmt_time(char *buf, const struct result *r)
{
	if (r->timed_out)
		sprintf(buf, ">%d s", RESTORE_BUDGET);
	else
		sprintf(buf, "%.1f ms", r->restore_s * 1e3);
}

static void fmt_bytes(char *buf, double b)
{
	if (b >= 1 << 30)
		sprintf(buf, "%.1f GiB", b / (1 << 30));
	else if (b >= 1 << 20)
		sprintf(buf, "%.1f MiB", b / (1 << 20));
	else if (b >= 1 << 10)
		sprintf(buf, "%.1f KiB", b / (1 << 10));
	else
		sprintf(buf, "%.0f B", b);
}

/* kho_bench -t and -g: the tracker against the maple tree ranges. */
static int tracker_main(bool guest, FILE *tsv)
{
	static struct workload w[8];
	int i, nr = 0;

	if (guest)
		repeats = 5;
	if (!guest) {
		make_w1(&w[nr++]);
		make_w2(&w[nr++]);
		make_w3(&w[nr++], false);
		make_w3(&w[nr++], true);
		make_w4(&w[nr++]);
	}
	/* The same sizes as scripts/bench-kho-guest boots. */
	make_w1_guest(&w[nr++], SZ_1G);
	make_w3_guest(&w[nr++], "W3 1G order-0 contiguous (guest)", SZ_1G, false);
	make_w3_guest(&w[nr++], "W3 " GUEST_ALT_NAME " order-0 alternating (guest)",
		      GUEST_ALT_BYTES, true);

	printf("%-38s %-7s %9s %9s %9s %11s %10s %10s %9s\n", "workload",
	       "tracker", "folios", "ns/folio", "ns/page", "finalize",
	       "bytes", "restore", "regions");
	if (tsv)
		fprintf(tsv, "workload\tbitmap_bytes\tmaple_bytes\tbound_bytes\t"
			"bitmap_restore_ms\tmaple_restore_ms\n");
	for (i = 0; i < nr; i++) {
		struct result r[2] = {};
		const char *names[2] = { "bitmaps", "maple" };
		char rb[32], bb[32];
		int k;

		for (k = 0; k < 2; k++) {
			bench_sim_init(w[i].ram_end);
			if (k == 0)
				run_bitmaps(&w[i], &r[k]);
			else
				run_maple(&w[i], &r[k]);
			fmt_time(rb, &r[k]);
			fmt_bytes(bb, r[k].bytes);
			printf("%-38s %-7s %9lu %9.1f %9.2f %8.2f ms %10s %10s %9s\n",
			       k ? "" : w[i].name, names[k], w[i].nr,
			       r[k].preserve_s * 1e9 / w[i].nr,
			       r[k].preserve_s * 1e9 / w[i].pages,
			       r[k].finalize_s * 1e3, bb, rb,
			       r[k].timed_out ? "-" : ({ static char s[16];
				sprintf(s, "%lu", r[k].regions); s; }));
		}
		fmt_bytes(bb, bound_bytes(&w[i]));
		printf("%-38s bound log2 C(M,N): %s; maple/bitmaps:", "", bb);
		printf(" preserve %.2fx, finalize %.2fx, bytes %.3fx, restore %s%.2fx\n",
		       r[1].preserve_s / r[0].preserve_s,
		       r[1].finalize_s / r[0].finalize_s,
		       (double)r[1].bytes / r[0].bytes,
		       r[0].timed_out || r[1].timed_out ? "(budget) " : "",
		       r[1].restore_s / r[0].restore_s);
		if (tsv)
			fprintf(tsv, "\"%s\"\t%llu\t%llu\t%.0f\t%.3f\t%.3f\n", w[i].name,
				(unsigned long long)r[0].bytes,
				(unsigned long long)r[1].bytes, bound_bytes(&w[i]),
				r[0].restore_s * 1e3, r[1].restore_s * 1e3);
	}
	if (tsv)
		fclose(tsv);
	sim_exit();
	return 0;
}

/*
 * ---- restore: the successor's reader against the per-block reader ----
 *
 * Both read the same serialized map, made by the real tracker, with
 * memblock confined to a scratch area of the size the kernel would have
 * left when it reads the map: by default scratch is 120% of what the
 * first kernel reserved in memblock, mostly its memory map (64 bytes per
 * page) and some 51 MiB besides, and by the time the successor reads the
 * map it has reserved as much again, its own memory map included. So
 * 20% of those reservations are left, e.g. 420 MiB on a 128 GiB machine.
 * memblock's arrays, when they grow, and the new reader's index come from
 * there, as in the kernel.
 */

#define KERNEL_RESERVED_OTHER	(51ULL << 20)

static phys_addr_t scratch_left(phys_addr_t ram_end)
{
	u64 reserved = PHYS_PFN(ram_end) * sizeof(struct bench_page) +
		       KERNEL_RESERVED_OTHER;

	return ALIGN(reserved / 5, SZ_2M);
}

struct restore {
	/* Map read, extents reserved, every hole found, in seconds. */
	double read_s;
	/* memblock_free_all() with the hook freeing into the simulated buddy. */
	double free_s;
	unsigned long blocks;
	u64 bytes;
	unsigned long regions;
	u64 mem;
	unsigned long extents, holes;
	/* The per-block reader: blocks memblock_reserve() failed on. */
	unsigned long lost;
	/* Stopped at the budget: fraction done, extrapolated total. */
	bool stopped;
	double done, est_s, exponent;
	/* Blocks the per-block reader would lose at the end, by arithmetic. */
	unsigned long lost_projected;
	phys_addr_t array_needed;
};

/* The serialized map of a workload. */
struct map {
	u64 first;
	unsigned long nr_bitmaps;
	u64 bytes;
};

static void make_map(const struct workload *w, struct kho_mem_track *track,
		     struct map *map)
{
	struct kho_mem_chunk *first, *c;
	unsigned long i;

	kho_mem_track_init(track);
	for (i = 0; i < w->nr; i++)
		if (kho_mem_track_add(track, w->b[i].pfn, w->b[i].order))
			exit(2);
	if (kho_mem_serialize(track, &first))
		exit(2);
	*map = (struct map){ .first = first ? virt_to_phys(first) : 0 };
	for (c = first; c; c = KHOSER_LOAD_PTR(c->hdr.next)) {
		map->nr_bitmaps += c->hdr.num_entries;
		map->bytes += PAGE_SIZE * (1 + c->hdr.num_entries);
	}
}

static u64 memblock_array_bytes(unsigned long init_max)
{
	return memblock.reserved.max > init_max ?
	       memblock.reserved.max * sizeof(struct memblock_region) : 0;
}

static unsigned long nr_holes, hole_pages;

/* Find the holes only: the freeing itself is timed on its own. */
static unsigned long count_hole(phys_addr_t start, phys_addr_t end, void *arg)
{
	nr_holes++;
	hole_pages += PHYS_PFN(end - start);
	return PHYS_PFN(end - start);
}

static double new_read_once(const struct map *map, struct kho_mem_in *in)
{
	unsigned long i;
	double start;

	sim_reset_memblock();
	*in = sim_mem_in();
	nr_holes = 0;
	hole_pages = 0;
	start = cpu_now();
	sim_deserialize(in, map->first);
	for (i = 0; i < memblock.reserved.cnt; i++) {
		struct memblock_region *r = &memblock.reserved.regions[i];

		if (memblock_is_kho_preserved(r))
			kho_mem_free_holes(&in->index, r->base,
					   r->base + r->size, count_hole, NULL);
	}
	return cpu_now() - start;
}

static void run_new(const struct map *map, struct restore *r)
{
	unsigned long init_max;
	struct kho_mem_in in;
	unsigned int i;
	double t, start;

	sim_reset_memblock();
	init_max = memblock.reserved.max;
	for (i = 0; i < 3; i++) {
		t = new_read_once(map, &in);
		if (!i || t < r->read_s)
			r->read_s = t;
	}
	r->blocks = in.blocks;
	r->bytes = in.bytes;
	r->regions = memblock.reserved.cnt;
	r->extents = in.extents;
	r->holes = nr_holes;
	/* The index as allocated, one entry and page per bitmap of the map. */
	r->mem = map->nr_bitmaps * (sizeof(struct kho_mem_index_entry) +
				    sizeof(struct kho_mem_bitmap)) +
		 memblock_array_bytes(init_max);

	start = cpu_now();
	memblock_free_all();
	r->free_s = cpu_now() - start;
}

/* CPU seconds the per-block reader may take before it is stopped. */
static int baseline_budget = RESTORE_BUDGET;

/* What the per-block reader's child shares with the parent. */
struct baseline_progress {
	unsigned long done, lost, regions;
	u64 mem;
	double elapsed;
	bool finished;
	/* Elapsed time when 2^i blocks were done. */
	double at_pow2[64];
};

/*
 * The reader before this series, kept here as the baseline: for every
 * block of the map one memblock_reserve() and one
 * memblock_reserved_mark_noinit(), and the order written to its head
 * page.
 */
static void baseline_read(const struct map *map, struct baseline_progress *p,
			  unsigned long init_max)
{
	const struct kho_mem_chunk *c;
	double start = cpu_now();
	unsigned int i;

	sim_early_begin();
	for (c = map->first ? phys_to_virt(map->first) : NULL; c;
	     c = KHOSER_LOAD_PTR(c->hdr.next)) {
		const unsigned int order = c->hdr.order;
		const phys_addr_t size = (phys_addr_t)PAGE_SIZE << order;

		for (i = 0; i < c->hdr.num_entries; i++) {
			const struct kho_mem_bitmap *bits =
				phys_to_virt(c->entries[i].bitmap);
			unsigned long bit;

			for_each_set_bit(bit, bits->preserve, KHO_PRESERVE_BITS) {
				phys_addr_t phys = c->entries[i].phys_start +
						   ((phys_addr_t)bit << (order + PAGE_SHIFT));

				if (memblock_reserve(phys, size))
					p->lost++;
				else
					memblock_reserved_mark_noinit(phys, size);
				bench_pfn_to_page(PHYS_PFN(phys))->private = order;
				p->done++;
				if (!(p->done & (p->done - 1)))
					p->at_pow2[__builtin_ctzl(p->done)] = cpu_now() - start;
				if (!(p->done & 1023)) {
					p->elapsed = cpu_now() - start;
					p->regions = memblock.reserved.cnt;
					p->mem = memblock_array_bytes(init_max);
				}
			}
		}
	}
	sim_early_end();
	p->elapsed = cpu_now() - start;
	p->regions = memblock.reserved.cnt;
	p->mem = memblock_array_bytes(init_max);
	p->finished = true;
}

static int block_cmp(const void *x, const void *y)
{
	const struct block *p = x, *q = y;

	return p->pfn < q->pfn ? -1 : p->pfn > q->pfn;
}

/*
 * What the per-block reader would lose by the end: memblock doubles its
 * reserved array when it is full, allocating the new one in scratch while
 * the old one is still there; when that fails, every block that needs a
 * region of its own is lost. Count the regions the map needs (runs of
 * adjacent blocks) and compare with the largest array scratch can hold.
 */
static void baseline_project(const struct workload *w, struct restore *r)
{
	const size_t sz = sizeof(struct memblock_region);
	phys_addr_t scratch = sim_scratch[0].size;
	unsigned long i, runs = 0, cap = 128;
	struct block *b = malloc(w->nr * sizeof(*b));
	unsigned long prev_end = 0;

	memcpy(b, w->b, w->nr * sizeof(*b));
	qsort(b, w->nr, sizeof(*b), block_cmp);
	for (i = 0; i < w->nr; i++) {
		if (!i || b[i].pfn != prev_end)
			runs++;
		prev_end = b[i].pfn + (1UL << b[i].order);
	}
	free(b);
	while (runs > cap && (3 * cap) * sz <= scratch)
		cap *= 2;
	r->array_needed = roundup_pow_of_two(max(runs, 128UL)) * sz;
	r->lost_projected = runs > cap ? runs - cap : 0;
}

static void run_baseline(const struct workload *w, const struct map *map,
			 struct restore *r)
{
	struct baseline_progress *p;
	unsigned long init_max;
	int status, i;
	double start;
	pid_t pid;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(2);
	memset(p, 0, sizeof(*p));
	sim_reset_memblock();
	init_max = memblock.reserved.max;
	pid = fork();
	if (!pid) {
		baseline_read(map, p, init_max);
		_exit(0);
	}
	/* The budget is the child's CPU time, or three times it on the clock. */
	start = now();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (p->elapsed > baseline_budget ||
		    now() - start > 3 * baseline_budget) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->stopped = true;
			break;
		}
		usleep(2000);
	}
	if (!r->stopped && (!WIFEXITED(status) || WEXITSTATUS(status)))
		exit(2);
	r->blocks = p->done - p->lost;
	r->lost = p->lost;
	r->regions = p->regions;
	r->mem = p->mem;
	r->read_s = p->elapsed;
	if (r->stopped) {
		/* Fit t ~ n^k on the last two powers of two, extrapolate. */
		r->done = (double)p->done / w->nr;
		for (i = 63; i > 0 && !p->at_pow2[i]; i--)
			;
		r->exponent = i > 1 && p->at_pow2[i - 1] > 0 ?
			      log2(p->at_pow2[i] / p->at_pow2[i - 1]) : 2;
		r->est_s = p->elapsed * pow(1 / r->done, r->exponent);
	}
	baseline_project(w, r);
	munmap(p, sizeof(*p));
}

static void fmt_seconds(char *buf, double s)
{
	if (s >= 3600)
		sprintf(buf, "%.1f h", s / 3600);
	else if (s >= 1)
		sprintf(buf, "%.1f s", s);
	else
		sprintf(buf, "%.2f ms", s * 1e3);
}

static void print_restore(const struct workload *w, const struct map *map,
			  const char *reader, const struct restore *r,
			  bool first_row)
{
	char t[32], b[32], m[32], s[32];

	fmt_seconds(t, r->read_s);
	fmt_bytes(b, (double)(w->pages << PAGE_SHIFT));
	fmt_bytes(m, (double)r->mem);
	fmt_bytes(s, (double)sim_scratch[0].size);
	printf("%-38s %-9s %9lu %10s %10s %10s %9.1f %9lu %10s %9lu\n",
	       first_row ? w->name : "", reader, w->nr, b,
	       first_row ? s : "", t,
	       r->read_s * 1e9 / (r->stopped ? r->done * w->nr : w->nr),
	       r->regions, m, r->stopped ? 0 : w->nr - r->blocks);
}

struct restore_pair {
	struct restore r[2];
	u64 bytes;
	unsigned long nr;
};

/* Both readers on @w, on a fresh simulated machine freed afterwards. */
static void restore_workload(struct workload *w, struct restore_pair *out)
{
	struct kho_mem_track track;
	struct map map;
	struct restore *r = out->r;
	char t[32], b[32];

	memset(out, 0, sizeof(*out));
	bench_sim_init(w->ram_end);
	make_map(w, &track, &map);
	run_new(&map, &r[0]);
	print_restore(w, &map, "new", &r[0], true);
	fmt_seconds(t, r[0].free_s);
	printf("%-38s %-9s %lu extents, %lu holes; ", "", "", r[0].extents,
	       r[0].holes);
	printf("freeing them and the rest of RAM into the buddy: %s\n", t);

	run_baseline(w, &map, &r[1]);
	print_restore(w, &map, "per-block", &r[1], false);
	printf("%-38s %-9s ", "", "");
	if (r[1].stopped) {
		fmt_seconds(t, r[1].est_s);
		printf("stopped after %.1f s of CPU, %.2f%% done, %lu lost so far; ",
		       r[1].read_s, r[1].done * 100, r[1].lost);
		printf("extrapolated %s (t ~ n^%.2f)\n%-38s %-9s ", t,
		       r[1].exponent, "", "");
	} else {
		printf("%lu blocks lost (memblock_reserve() failed); ", r[1].lost);
	}
	fmt_bytes(b, (double)r[1].array_needed);
	printf("at the end: regions array %s, %s scratch: %lu blocks lost\n", b,
	       r[1].lost_projected ? "beyond" : "within", r[1].lost_projected);
	printf("%-38s %-9s per-block/new: %s%.0fx\n\n", "", "",
	       r[1].stopped ? "extrapolated " : "",
	       (r[1].stopped ? r[1].est_s : r[1].read_s) / r[0].read_s);
	out->bytes = w->pages << PAGE_SHIFT;
	out->nr = w->nr;

	kho_mem_free_chunks(map.first ? phys_to_virt(map.first) : NULL);
	sim_track_destroy(&track);
	sim_exit();
}

/* @bytes of every other order-0 page from 1 GiB up. */
static void make_alternating(struct workload *w, const char *name, u64 bytes)
{
	unsigned long pfn, first = PHYS_PFN(SZ_1G);

	w->name = name;
	w->ram_end = max_t(u64, 4ULL << 30,
			   roundup_pow_of_two(SZ_1G + 2 * bytes + POOL_SIZE));
	for (pfn = first; pfn < first + 2 * PHYS_PFN(bytes); pfn += 2)
		add(w, pfn, 0);
}

static double base_total(const struct restore *r)
{
	return r->stopped ? r->est_s : r->read_s;
}

static void release(struct workload *w)
{
	free(w->b);
	memset(w, 0, sizeof(*w));
}

/*
 * The restore comparison: W1-W4 (res[0..4], W3 contiguous and alternating
 * at 2 and 3) and W3's 1 GiB alternating (res[5]), then the size sweep.
 * @quick runs W1, W4 and 1 GiB alternating, and the sweep up to 1 GiB.
 */
static int restore_main(const char *prefix, bool quick)
{
	static const unsigned int all[] = { 0, 1, 2, 3, 4, 5 }, few[] = { 0, 4, 5 };
	static const struct {
		const char *name;
		u64 bytes;
	} sweep[] = {
		{ "alternating 64M", 64ULL << 20 },
		{ "alternating 1G", 1ULL << 30 },
		{ "alternating 8G", 8ULL << 30 },
		{ "alternating 48G", 48ULL << 30 },
	};
	struct restore_pair res[6], sw[ARRAY_SIZE(sweep)], *alt48 = NULL,
			    *contig48 = NULL;
	void (*make[])(struct workload *) = { make_w1, make_w2, NULL, NULL,
					       make_w4 };
	const unsigned int *which = quick ? few : all;
	unsigned int nr = quick ? ARRAY_SIZE(few) : ARRAY_SIZE(all);
	unsigned int nr_sweep = quick ? 2 : ARRAY_SIZE(sweep);
	FILE *tw = NULL, *ts = NULL;
	struct workload w;
	double t0 = now(), lo = 0, hi = 0;
	unsigned int i, k;
	char path[4096];

	if (quick)
		baseline_budget = QUICK_BUDGET;

	if (prefix) {
		snprintf(path, sizeof(path), "%s-workloads.tsv", prefix);
		tw = fopen(path, "w");
		snprintf(path, sizeof(path), "%s-sweep.tsv", prefix);
		ts = fopen(path, "w");
		if (!tw || !ts) {
			perror(path);
			return 2;
		}
		fprintf(tw, "workload\tnew_ms\tper_block_ms\tper_block_stopped\n");
		fprintf(ts, "bytes\tblocks\tnew_ns_per_block\t"
			"per_block_ns_per_block\tper_block_stopped\n");
	}

	printf("Restore of the preserved memory map: the new reader (map read, extents,\n"
	       "every hole found; freeing excluded) against the per-block reader\n"
	       "(memblock_reserve + mark_noinit + head page per block, stopped after %d s).\n"
	       "64-byte struct pages; memblock arrays and the index from scratch.%s\n\n",
	       baseline_budget, quick ? "\nQuick run: W1, W4, 1G alternating, sweep to 1G." : "");
	printf("%-38s %-9s %9s %10s %10s %10s %9s %9s %10s %9s\n", "workload",
	       "reader", "blocks", "preserved", "scratch", "time", "ns/block",
	       "regions", "mem used", "lost");
	for (k = 0; k < nr; k++) {
		i = which[k];
		memset(&w, 0, sizeof(w));
		rnd_state = 88172645463325252ULL + i;
		if (i == 2 || i == 3) {
			make_w3(&w, i == 3);
		} else if (i == 5) {
			make_alternating(&w, "W3 1G order-0 alternating", SZ_1G);
		} else {
			/* Scratch depends on the RAM: size it first. */
			w.ram_end = i == 0 ? 64ULL << 30 : i == 1 ? 512ULL << 30 :
				    1ULL << 40;
		}
		if (i != 2 && i != 3 && i != 5) {
			phys_addr_t ram_end = w.ram_end;

			sim_set_scratch_size(scratch_left(ram_end));
			preserve_start = ALIGN(SIM_SCRATCH_START +
					       sim_scratch[0].size, SZ_1G);
			make[i](&w);
		}
		sim_set_scratch_size(scratch_left(w.ram_end));
		restore_workload(&w, &res[i]);
		if (tw)
			fprintf(tw, "\"%s\"\t%.4f\t%.4f\t%d\n", w.name,
				res[i].r[0].read_s * 1e3,
				base_total(&res[i].r[1]) * 1e3,
				res[i].r[1].stopped);
		release(&w);
	}
	preserve_start = SIM_PRESERVE_START;
	if (!quick) {
		contig48 = &res[2];
		alt48 = &res[3];
	}

	printf("Size sweep, every other order-0 page (%s is W3 alternating above):\n",
	       quick ? "1G" : "48G");
	for (i = 0; i < nr_sweep; i++) {
		if (sweep[i].bytes == 48ULL << 30) {
			sw[i] = *alt48;
		} else if (sweep[i].bytes == SZ_1G) {
			sw[i] = res[5];
		} else {
			memset(&w, 0, sizeof(w));
			make_alternating(&w, sweep[i].name, sweep[i].bytes);
			sim_set_scratch_size(scratch_left(w.ram_end));
			restore_workload(&w, &sw[i]);
			release(&w);
		}
	}
	printf("%-16s %9s %15s %9s %22s %9s\n", "preserved", "blocks",
	       "new ns/block", "/64M", "per-block ns/block", "/64M");
	for (i = 0; i < nr_sweep; i++) {
		const struct restore *n = &sw[i].r[0], *b = &sw[i].r[1];
		double nb = n->read_s * 1e9 / sw[i].nr;
		double bb = base_total(b) * 1e9 / sw[i].nr;
		double n0 = sw[0].r[0].read_s * 1e9 / sw[0].nr;
		double b0 = base_total(&sw[0].r[1]) * 1e9 / sw[0].nr;
		char by[32];

		fmt_bytes(by, (double)sw[i].bytes);
		printf("%-16s %9lu %15.2f %8.2fx %21.1f%s %8.1fx\n", by, sw[i].nr,
		       nb, nb / n0, bb, b->stopped ? "~" : " ", bb / b0);
		if (!i || nb < lo)
			lo = nb;
		if (!i || nb > hi)
			hi = nb;
		if (ts)
			fprintf(ts, "%llu\t%lu\t%.3f\t%.3f\t%d\n",
				(unsigned long long)sw[i].bytes, sw[i].nr, nb, bb,
				b->stopped);
	}
	printf("(~: extrapolated from the part done within the budget)\n\n");

	printf("Goals (reported, not asserted):\n");
	if (alt48 && contig48) {
		printf("  W3 48G alternating, new reader: %.2f ms, goal <= 50 ms: %s\n",
		       alt48->r[0].read_s * 1e3,
		       alt48->r[0].read_s <= 0.050 ? "met" : "MISSED");
		printf("  W3 48G contiguous, new reader: %.3f ms, goal <= 1 ms: %s\n",
		       contig48->r[0].read_s * 1e3,
		       contig48->r[0].read_s <= 0.001 ? "met" : "MISSED");
	}
	printf("  time per block 64M..%s alternating: %.2f to %.2f ns, ",
	       quick ? "1G" : "48G", lo, hi);
	printf("spread %.0f%%, goal <= 25%%: %s\n", (hi / lo - 1) * 100,
	       hi <= 1.25 * lo ? "met" : "MISSED");
	printf("Ran in %.0f s.\n", now() - t0);
	if (tw)
		fclose(tw);
	if (ts)
		fclose(ts);
	sim_exit();
	return 0;
}

int main(int argc, char **argv)
{
	bool tracker = argc > 1 && (!strcmp(argv[1], "-t") || !strcmp(argv[1], "-g"));
	bool quick = argc > 1 && !strcmp(argv[1], "-q");
	bool opt = tracker || quick;
	const char *out = argc > 1 + opt ? argv[1 + opt] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tracker)
		return tracker_main(!strcmp(argv[1], "-g"),
				    out ? fopen(out, "w") : NULL);
	return restore_main(out, quick);
}
