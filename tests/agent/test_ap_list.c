// SPDX-License-Identifier: MIT
/*
 * The ap_list's intrusive list and its merge sort: every permutation size
 * from empty to past several bins comes out ordered, complete, with
 * consistent back links.
 */
#include <check.h>
#include <stdlib.h>

#include "ap_list.h"
#include "check_run.h"

struct item {
	struct sg_list_node node;
	unsigned key;
};

static int cmp(const struct sg_list_node *a, const struct sg_list_node *b)
{
	unsigned x = sg_container_of(a, struct item, node)->key;
	unsigned y = sg_container_of(b, struct item, node)->key;

	return x < y ? -1 : x > y;
}

/* A deterministic shuffle (xorshift), so a failure reproduces. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(sort_permutations)
{
	enum { MAX = 300 };
	static struct item items[MAX];
	uint32_t seed = 0x9E3779B9u;

	for (unsigned n = 0; n < MAX; n += n < 40 ? 1 : 37) {
		struct sg_list_node head;
		unsigned order[MAX], count = 0, prev_key = 0;
		const struct sg_list_node *prev = &head;

		for (unsigned i = 0; i < n; i++)
			order[i] = i;
		for (unsigned i = n; i > 1; i--) {
			unsigned j = next_rand(&seed) % i, t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
		sg_list_init(&head);
		for (unsigned i = 0; i < n; i++) {
			items[i].key = order[i];
			sg_list_add_tail(&head, &items[i].node);
		}
		sg_list_sort(&head, cmp);
		ck_assert(sg_list_sorted(&head, cmp));
		for (const struct sg_list_node *p = head.next; p != &head; p = p->next) {
			unsigned key = sg_container_of(p, struct item, node)->key;

			ck_assert_ptr_eq(p->prev, prev);
			ck_assert_uint_eq(key, count ? prev_key + 1 : 0);
			prev_key = key;
			prev = p;
			count++;
		}
		ck_assert_ptr_eq(head.prev, prev);
		ck_assert_uint_eq(count, n);
	}
}
END_TEST

START_TEST(delete_and_reinsert)
{
	struct item it[3] = { { .key = 2 }, { .key = 0 }, { .key = 1 } };
	struct sg_list_node head;

	sg_list_init(&head);
	ck_assert(sg_list_empty(&head));
	for (unsigned i = 0; i < 3; i++)
		sg_list_add_tail(&head, &it[i].node);
	sg_list_del(&it[1].node);
	ck_assert_ptr_eq(head.next, &it[0].node);
	ck_assert_ptr_eq(it[0].node.next, &it[2].node);
	ck_assert_ptr_eq(it[2].node.prev, &it[0].node);
	sg_list_add_tail(&head, &it[1].node);
	ck_assert(!sg_list_sorted(&head, cmp)); /* 2, 1, 0 */
	sg_list_sort(&head, cmp);
	ck_assert_ptr_eq(head.next, &it[1].node);
	ck_assert_ptr_eq(head.prev, &it[0].node);
	sg_list_del(&it[0].node);
	sg_list_del(&it[1].node);
	sg_list_del(&it[2].node);
	ck_assert(sg_list_empty(&head));
}
END_TEST

static Suite *ap_list_suite(void)
{
	Suite *s = suite_create("agent-ap-list");
	TCase *tc = tcase_create("list");

	tcase_add_test(tc, sort_permutations);
	tcase_add_test(tc, delete_and_reinsert);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(ap_list_suite());
}
