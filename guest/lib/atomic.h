/* SPDX-License-Identifier: MIT */
/*
 * Atomics and spinlocks.  Built with -mno-outline-atomics and without LSE, so
 * the compiler emits LDAXR/STLXR loops, which also work with the MMU off.
 */
#ifndef GUEST_ATOMIC_H
#define GUEST_ATOMIC_H

#include "barrier.h"
#include "sysreg.h"
#include "types.h"

static inline u32 atomic_add(u32 *p, u32 v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline u64 atomic_add64(u64 *p, u64 v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline u32 atomic_load(const u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline u64 atomic_load64(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void atomic_store(u32 *p, u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void atomic_store64(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline bool atomic_cas(u32 *p, u32 old, u32 new)
{
	return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

typedef struct {
	u32 locked;
} spinlock_t;

/* Test-and-test-and-set; WFE waits for the unlocking store to clear our monitor. */
static inline void spin_lock(spinlock_t *l)
{
	u32 tmp, one = 1;
	asm volatile("	sevl\n"
		     "1:	wfe\n"
		     "2:	ldaxr	%w0, [%1]\n"
		     "	cbnz	%w0, 1b\n"
		     "	stxr	%w0, %w2, [%1]\n"
		     "	cbnz	%w0, 2b\n"
		     : "=&r"(tmp)
		     : "r"(&l->locked), "r"(one)
		     : "memory");
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	sev();
}

/* Spinlock held with IRQs masked, so an interrupt handler on the same CPU cannot deadlock. */
static inline u64 spin_lock_irqsave(spinlock_t *l)
{
	u64 flags = irq_save();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, u64 flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

#endif
