// SPDX-License-Identifier: GPL-2.0
/*
 * The alternative to KHO's bitmaps that kho_bench measures: a maple tree
 * of pfn ranges, one order per range, where a new block merges with
 * neighbouring ranges of the same order. Built with the real
 * lib/maple_tree.c (tools/testing/shared/maple-shim.c).
 */
#include <stdlib.h>

#include "maple-shared.h"
#include <linux/maple_tree.h>
#include <linux/xarray.h>
#include "maple_ranges.h"

struct maple_tree *maple_ranges_new(void)
{
	struct maple_tree *mt = malloc(sizeof(*mt));
	static bool ready;

	if (!ready) {
		/* Creates the node cache of the maple tree. */
		maple_tree_init();
		ready = true;
	}
	mt_init(mt);
	return mt;
}

int maple_ranges_add(struct maple_tree *mt, unsigned long pfn,
		     unsigned int order)
{
	MA_STATE(mas, mt, 0, 0);
	unsigned long first = pfn, last = pfn + (1UL << order) - 1;
	void *val = xa_mk_value(order);

	rcu_read_lock();
	if (pfn) {
		mas_set(&mas, pfn - 1);
		if (mas_walk(&mas) == val)
			first = mas.index;
	}
	mas_set(&mas, last + 1);
	if (mas_walk(&mas) == val)
		last = mas.last;
	rcu_read_unlock();
	return mtree_store_range(mt, first, last, val, GFP_KERNEL);
}

unsigned long maple_ranges_walk(struct maple_tree *mt,
				void (*fn)(void *arg, unsigned long first,
					   unsigned long last, unsigned int order),
				void *arg)
{
	MA_STATE(mas, mt, 0, 0);
	unsigned long nr = 0;
	void *entry;

	rcu_read_lock();
	mas_for_each(&mas, entry, ULONG_MAX) {
		if (fn)
			fn(arg, mas.index, mas.last, xa_to_value(entry));
		nr++;
	}
	rcu_read_unlock();
	return nr;
}

void maple_ranges_free(struct maple_tree *mt)
{
	mtree_destroy(mt);
	free(mt);
}
