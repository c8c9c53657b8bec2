/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MAPLE_RANGES_H
#define _MAPLE_RANGES_H

struct maple_tree;

struct maple_tree *maple_ranges_new(void);
int maple_ranges_add(struct maple_tree *mt, unsigned long pfn,
		     unsigned int order);
/* Call @fn for every range [first, last] in order; return their number. */
unsigned long maple_ranges_walk(struct maple_tree *mt,
				void (*fn)(void *arg, unsigned long first,
					   unsigned long last, unsigned int order),
				void *arg);
void maple_ranges_free(struct maple_tree *mt);

#endif
