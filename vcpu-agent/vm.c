// SPDX-License-Identifier: MIT
/*
 * VM and vCPU objects: creation (the only place the agent allocates), reset
 * values of the private interrupts and the redistributor, lookups (vCPUs by
 * affinity, guest RAM by address).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"

/* Reset state of SGI/PPI intid as KVM presents it to a GICv3 guest. */
void sg_irq_reset_private(struct sg_irq *irq, uint32_t intid)
{
	memset(irq, 0, sizeof(*irq));
	sg_list_init(&irq->ap);
	irq->intid = intid;
	irq->lr = -1;
	irq->group1 = true;			/* IGROUPR0 resets to all ones */
	irq->enabled = gic_intid_is_sgi(intid); /* SGIs enabled, PPIs disabled */
	irq->edge = gic_intid_is_sgi(intid);	/* SGIs edge, PPIs level */
}

static int cmp_aff(const void *a, const void *b)
{
	const struct sg_aff_entry *x = a, *y = b;

	return x->aff < y->aff ? -1 : x->aff > y->aff;
}

static int vcpu_init(struct sg_vm *vm, struct sg_vcpu *v, unsigned idx)
{
	pthread_condattr_t ca;
	int rc;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->idx = idx;
	v->mpidr = vm->shape.mpidr[idx];
	sg_list_init(&v->ap_list);
	for (unsigned i = 0; i < GIC_NR_PRIVATE; i++)
		sg_irq_reset_private(&v->priv[i], i);
	/* GICR_WAKER resets with the processor asleep (IHI 0069 12.11.44). */
	v->rd.proc_sleep = true;
	sg_cpuif_init(&v->cpuif, vm->shape.lr_count);
	rc = mmio_chan_init(&v->chan, idx);
	if (rc < 0)
		return rc;
	pthread_mutex_init(&v->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->wake_cond, &ca);
	pthread_cond_init(&v->state_cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static void vcpu_fini(struct sg_vcpu *v)
{
	sg_lpi_fini(v);
	mmio_chan_fini(&v->chan);
	pthread_cond_destroy(&v->state_cond);
	pthread_cond_destroy(&v->wake_cond);
	pthread_mutex_destroy(&v->lock);
}

int sg_vm_create(const struct sg_vm_config *cfg, struct sg_vm **out)
{
	struct sg_vm *vm;
	const char *why = NULL;
	unsigned i;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->mpidr || cfg->nr_vcpus < 1 || cfg->nr_vcpus > SG_MAX_VCPUS ||
	    cfg->nr_ram > SG_MAX_RAM_REGIONS || cfg->lpi_pool > SG_LPI_POOL_MAX)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->shape.nr_vcpus = cfg->nr_vcpus;
	memcpy(vm->shape.mpidr, cfg->mpidr, cfg->nr_vcpus * sizeof(cfg->mpidr[0]));
	vm->shape.nr_spis = cfg->nr_spis;
	vm->shape.lr_count = cfg->lr_count;
	vm->shape.map = cfg->map;
	if (!sg_shape_check(&vm->shape, &why)) {
		sg_err("vcpu-agent: bad VM configuration: %s", why);
		free(vm);
		return -EINVAL;
	}
	vm->has_its = vm->shape.map.nr_its > 0;
	/* LPIs exist only with an ITS (GICR_TYPER.PLPIS): no tables without. */
	vm->lpi_pool = !vm->has_its ? 0 : cfg->lpi_pool ? cfg->lpi_pool : SG_LPI_POOL_DEFAULT;
	vm->nr_ram = cfg->nr_ram;
	memcpy(vm->ram, cfg->ram, cfg->nr_ram * sizeof(cfg->ram[0]));
	vm->by_aff = calloc(cfg->nr_vcpus, sizeof(*vm->by_aff));
	if (posix_memalign((void **)&vm->vcpus, 64, cfg->nr_vcpus * sizeof(*vm->vcpus)) != 0)
		vm->vcpus = NULL;
	if (!vm->by_aff || !vm->vcpus) {
		free(vm->by_aff);
		free(vm->vcpus);
		free(vm);
		return -ENOMEM;
	}
	for (i = 0; i < cfg->nr_vcpus; i++) {
		rc = vcpu_init(vm, &vm->vcpus[i], i);
		if (rc < 0) {
			while (i--)
				vcpu_fini(&vm->vcpus[i]);
			free(vm->by_aff);
			free(vm->vcpus);
			free(vm);
			return rc;
		}
		vm->by_aff[i] = (struct sg_aff_entry){ vm->shape.mpidr[i] & MPIDR_AFF_MASK, i };
	}
	qsort(vm->by_aff, cfg->nr_vcpus, sizeof(*vm->by_aff), cmp_aff);
	rc = sg_bus_init(vm);
	if (rc == 0 && vm->lpi_pool) {
		vm->lpi_xfer = calloc(SG_LPI_WORDS, sizeof(*vm->lpi_xfer));
		if (!vm->lpi_xfer)
			rc = -ENOMEM;
	}
	for (i = 0; i < cfg->nr_vcpus && rc == 0; i++)
		rc = sg_lpi_init(&vm->vcpus[i], vm->lpi_pool);
	if (rc < 0) {
		sg_vm_destroy(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

void sg_vm_destroy(struct sg_vm *vm)
{
	if (!vm)
		return;
	sg_bus_fini(vm);
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++)
		vcpu_fini(&vm->vcpus[i]);
	free(vm->lpi_xfer);
	free(vm->by_aff);
	free(vm->vcpus);
	free(vm);
}

const struct sg_vm_shape *sg_vm_shape(const struct sg_vm *vm)
{
	return &vm->shape;
}

struct sg_vcpu *sg_vm_vcpu(struct sg_vm *vm, unsigned idx)
{
	return idx < vm->shape.nr_vcpus ? &vm->vcpus[idx] : NULL;
}

unsigned sg_vcpu_index(const struct sg_vcpu *v)
{
	return v->idx;
}

struct sg_cpuif *sg_vcpu_cpuif(struct sg_vcpu *v)
{
	return &v->cpuif;
}

/* Binary search: SGI targets are looked up once per target-list bit. */
int sg_vm_find_affinity(const struct sg_vm *vm, uint64_t aff)
{
	unsigned lo = 0, hi = vm->shape.nr_vcpus;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (vm->by_aff[mid].aff == aff)
			return (int)vm->by_aff[mid].idx;
		if (vm->by_aff[mid].aff < aff)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void *sg_vm_ram_ptr(const struct sg_vm *vm, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		const struct sg_vm_ram *r = &vm->ram[i];

		/* Written so that no sum can wrap: gpa and len are the guest's. */
		if (r->host && gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len)
			return (char *)r->host + (gpa - r->gpa);
	}
	return NULL;
}

static const char *const stat_names[SG_VCPU_NR_STATS] = {
	[SG_STAT_MMIO_LOCAL] = "mmio_local",
	[SG_STAT_MMIO_POSTED] = "mmio_posted",
	[SG_STAT_MMIO_WAITED] = "mmio_waited",
	[SG_STAT_MMIO_MSI] = "mmio_msi",
	[SG_STAT_MMIO_ERRORS] = "mmio_errors",
	[SG_STAT_MMIO_REJECTED] = "mmio_rejected",
	[SG_STAT_FLUSHES] = "flushes",
	[SG_STAT_SYNCS] = "syncs",
	[SG_STAT_LR_OVERFLOWS] = "lr_overflows",
	[SG_STAT_EOICOUNT_DEACT] = "eoicount_deactivations",
	[SG_STAT_SGI_SENT] = "sgi_sent",
	[SG_STAT_SGI_RECEIVED] = "sgi_received",
	[SG_STAT_SGI_GROUP_DROPPED] = "sgi_group_dropped",
	[SG_STAT_KICKS] = "kicks",
	[SG_STAT_HOLD_WAITS] = "hold_waits",
	[SG_STAT_HOLD_TIMEOUTS] = "hold_timeouts",
	[SG_STAT_BAD_INPUT] = "bad_input",
	[SG_STAT_LPI_PENDING] = "lpi_pending",
	[SG_STAT_LPI_MERGED] = "lpi_merged",
	[SG_STAT_LPI_DROPPED] = "lpi_dropped",
	[SG_STAT_LPI_POOL_WAITS] = "lpi_pool_waits",
	[SG_STAT_LPI_MOVED] = "lpi_moved",
	[SG_STAT_LPI_RAM_REJECTS] = "lpi_ram_rejects",
};

uint64_t sg_vcpu_stat(const struct sg_vcpu *v, enum sg_vcpu_stat s)
{
	if ((unsigned)s >= SG_VCPU_NR_STATS)
		return 0;
	return atomic_load_explicit(&v->stats.v[s], memory_order_relaxed);
}

const char *sg_vcpu_stat_name(enum sg_vcpu_stat s)
{
	return (unsigned)s < SG_VCPU_NR_STATS ? stat_names[s] : NULL;
}
