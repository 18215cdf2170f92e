// SPDX-License-Identifier: MIT
/*
 * The translation cache: (DeviceID, EventID) -> (vCPU, LPI), set-associative
 * (ITS_CACHE_WAYS ways, round-robin replacement), ITS_CACHE_SIZE entries
 * inside struct its.  It is not state: it starts empty and refills from the
 * tables in guest RAM.  A whole flush bumps an epoch instead of clearing the
 * array, so it costs O(1).
 */
#include <string.h>

#include "its_internal.h"

#define NR_SETS (ITS_CACHE_SIZE / ITS_CACHE_WAYS)

_Static_assert((NR_SETS & (NR_SETS - 1)) == 0, "the number of sets is a power of two");

/* The first entry of the set (DeviceID, EventID) maps to. */
static inline unsigned set_of(uint32_t device_id, uint32_t event_id)
{
	/* MurmurHash3's finaliser over both IDs: sequential EventIDs of a
	 * few devices (the common case) spread evenly over the sets. */
	uint32_t h = device_id * 0x9E3779B1u + event_id;

	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return (h & (NR_SETS - 1)) * ITS_CACHE_WAYS;
}

static inline bool hit(const struct its *its, const struct its_cache_entry *c, uint32_t device_id,
		       uint32_t event_id)
{
	return c->epoch == its->cache_epoch && c->device_id == device_id && c->event_id == event_id;
}

void its_cache_flush(struct its *its)
{
	its->stats.cache_flushes++;
	if (++its->cache_epoch == 0) {
		/* Wrapped: entries stamped long ago could look current again. */
		memset(its->cache, 0, sizeof(its->cache));
		its->cache_epoch = 1;
	}
}

void its_cache_invalidate(struct its *its, uint32_t device_id, uint32_t event_id)
{
	struct its_cache_entry *set = &its->cache[set_of(device_id, event_id)];

	for (unsigned w = 0; w < ITS_CACHE_WAYS; w++)
		if (set[w].device_id == device_id && set[w].event_id == event_id)
			set[w].epoch = 0;
}

void its_cache_invalidate_device(struct its *its, uint32_t device_id)
{
	for (unsigned i = 0; i < ITS_CACHE_SIZE; i++)
		if (its->cache[i].device_id == device_id)
			its->cache[i].epoch = 0;
}

const struct its_cache_entry *its_cache_find(struct its *its, uint32_t device_id, uint32_t event_id)
{
	const struct its_cache_entry *set = &its->cache[set_of(device_id, event_id)];

	for (unsigned w = 0; w < ITS_CACHE_WAYS; w++)
		if (hit(its, &set[w], device_id, event_id))
			return &set[w];
	return NULL;
}

void its_cache_insert(struct its *its, uint32_t device_id, uint32_t event_id, unsigned vcpu,
		      uint16_t icid, uint32_t intid)
{
	unsigned first = set_of(device_id, event_id), w;
	struct its_cache_entry *set = &its->cache[first];

	/* A free (stale) way, else the set's next victim in turn. */
	for (w = 0; w < ITS_CACHE_WAYS; w++)
		if (set[w].epoch != its->cache_epoch)
			break;
	if (w == ITS_CACHE_WAYS) {
		w = its->cache_victim[first / ITS_CACHE_WAYS] % ITS_CACHE_WAYS;
		its->cache_victim[first / ITS_CACHE_WAYS] = (uint8_t)(w + 1);
	}
	set[w] = (struct its_cache_entry){
		.device_id = device_id,
		.event_id = event_id,
		.intid = intid,
		.vcpu = (uint16_t)vcpu,
		.icid = icid,
		.epoch = its->cache_epoch,
	};
}
