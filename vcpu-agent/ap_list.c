// SPDX-License-Identifier: MIT
#include "ap_list.h"

bool sg_list_sorted(const struct sg_list_node *head,
		    int (*cmp)(const struct sg_list_node *a, const struct sg_list_node *b))
{
	for (const struct sg_list_node *n = head->next; n != head && n->next != head; n = n->next)
		if (cmp(n->next, n) < 0)
			return false;
	return true;
}

/* Merges two NULL-terminated chains linked through ->next; a wins ties. */
static struct sg_list_node *merge(struct sg_list_node *a, struct sg_list_node *b,
				  int (*cmp)(const struct sg_list_node *,
					     const struct sg_list_node *))
{
	struct sg_list_node head = { NULL, NULL };
	struct sg_list_node *tail = &head;

	while (a && b) {
		if (cmp(b, a) < 0) {
			tail->next = b;
			b = b->next;
		} else {
			tail->next = a;
			a = a->next;
		}
		tail = tail->next;
	}
	tail->next = a ? a : b;
	return head.next;
}

/*
 * bins[i] holds a sorted run of 2^i nodes; a run that would collide is
 * merged upwards, like a binary counter.  64 bins cover any list that fits
 * in memory, so the stack use is fixed.
 */
void sg_list_sort(struct sg_list_node *head,
		  int (*cmp)(const struct sg_list_node *a, const struct sg_list_node *b))
{
	struct sg_list_node *bins[64] = { NULL };
	struct sg_list_node *n, *next, *sorted = NULL, *prev;
	unsigned i, top = 0;

	if (head->next == head || head->next->next == head)
		return;
	for (n = head->next; n != head; n = next) {
		struct sg_list_node *carry = n;

		next = n->next;
		n->next = NULL;
		for (i = 0; i < 63 && bins[i]; i++) {
			/* bins[i] holds earlier nodes than carry. */
			carry = merge(bins[i], carry, cmp);
			bins[i] = NULL;
		}
		bins[i] = bins[i] ? merge(bins[i], carry, cmp) : carry;
		if (i + 1 > top)
			top = i + 1;
	}
	for (i = 0; i < top; i++)
		if (bins[i])
			sorted = sorted ? merge(bins[i], sorted, cmp) : bins[i];

	/* Rebuild the back links and close the ring. */
	prev = head;
	for (n = sorted; n; n = n->next) {
		prev->next = n;
		n->prev = prev;
		prev = n;
	}
	prev->next = head;
	head->prev = prev;
}
