/* SPDX-License-Identifier: MIT */
/*
 * The ap_list: an intrusive doubly-linked list of the interrupts a vCPU has
 * pending or active, and the order flush takes them in when there are more
 * than List registers.  No allocation: the nodes live in the interrupts.
 */
#ifndef SPLITGIC_AP_LIST_H
#define SPLITGIC_AP_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct sg_list_node {
	struct sg_list_node *next, *prev;
};

/* A list head is a node that points at itself when empty. */
static inline void sg_list_init(struct sg_list_node *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool sg_list_empty(const struct sg_list_node *head)
{
	return head->next == head;
}

static inline void sg_list_add_tail(struct sg_list_node *head, struct sg_list_node *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void sg_list_del(struct sg_list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n;
	n->prev = n;
}

#define sg_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* True if no node compares before its predecessor (n - 1 comparisons). */
bool sg_list_sorted(const struct sg_list_node *head,
		    int (*cmp)(const struct sg_list_node *a, const struct sg_list_node *b));

/*
 * Sorts the list in place with a bottom-up merge sort (O(n log n), constant
 * stack, no allocation).  cmp returns < 0 when a must come before b.
 */
void sg_list_sort(struct sg_list_node *head,
		  int (*cmp)(const struct sg_list_node *a, const struct sg_list_node *b));

#endif
