/* How a VMM drives libvcpu-agent: README.md shows this file, Meson builds it. */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "splitgic/agent.h"

#define NR_VCPUS 2
#define RAM_GPA	 0x40000000ull
#define RAM_SIZE (64ull << 20)

/* Your hypervisor: run the vCPU until it exits (KVM_RUN, an emulator...).
 * A stub here, so the example links; the kinds of exit the GIC cares about: */
enum exit_kind { EXIT_MMIO, EXIT_SYSREG_READ, EXIT_SYSREG_WRITE, EXIT_WFI, EXIT_STOP };
struct vm_exit {
	enum exit_kind kind;
	uint64_t addr, data; /* MMIO: guest physical address, data */
	unsigned size;	     /* MMIO: 1, 2, 4 or 8 bytes */
	bool write;
	uint32_t sysreg; /* SYS_ICC_* encoding (gic_regs.h) */
};
static void enter_guest(struct sg_vcpu *v, struct vm_exit *e)
{
	(void)v;
	e->kind = EXIT_STOP;
}
static void other_device_mmio(struct vm_exit *e) /* the VMM's own devices */
{
	(void)e;
}

static void *vcpu_thread(void *arg)
{
	struct sg_vcpu *v = arg;
	struct sg_cpuif *cpuif = sg_vcpu_cpuif(v); /* the List registers */
	struct vm_exit e;

	for (;;) {
		sg_vcpu_flush(v);     /* pending interrupts -> List registers */
		enter_guest(v, &e);   /* the guest acks/EOIs them in the LRs */
		sg_vcpu_sync(v);      /* LRs -> agent, before handling the exit */
		switch (e.kind) {
		case EXIT_MMIO: /* GICR: served here; GICD, ITS: gicd-server */
			if (sg_vcpu_mmio(v, e.addr, e.size, e.write, &e.data) == SG_MMIO_NOT_GIC)
				other_device_mmio(&e);
			break;
		case EXIT_SYSREG_WRITE: /* ICC_SGI1R_EL1 traps: an IPI */
			if (!sg_vcpu_write_sgi(v, e.sysreg, e.data))
				sg_cpuif_sysreg_write(cpuif, e.sysreg, e.data); /* emulators */
			break;
		case EXIT_SYSREG_READ: /* an emulator's ICC_IAR1_EL1 etc. */
			sg_cpuif_sysreg_read(cpuif, e.sysreg, &e.data);
			break;
		case EXIT_WFI: /* until an interrupt is deliverable, or a kick */
			sg_vcpu_wait(v, -1);
			break;
		case EXIT_STOP:
			return NULL;
		}
	}
}

/* The agent kicks a vCPU when an interrupt arrives for it: with KVM, make
 * the thread leave KVM_RUN (e.g. pthread_kill() with a blocked signal). */
static void kick(struct sg_vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
}

int main(int argc, char **argv)
{
	const char *sock = argc > 1 ? argv[1] : "/run/splitgic/vm0.control";
	uint64_t mpidr[NR_VCPUS] = { 0x0, 0x1 }; /* Aff0 = vCPU number */
	struct sg_vm_config cfg = {
		.nr_vcpus = NR_VCPUS, .mpidr = mpidr, .lr_count = 4, .nr_spis = 64, .nr_ram = 1,
	};
	pthread_t t[NR_VCPUS];
	struct sg_vm *vm;
	char err[256];

	/* Guest RAM in a memfd: gicd-server maps it for the ITS tables. */
	int fd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, RAM_SIZE) < 0)
		return 1;
	void *host = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (host == MAP_FAILED)
		return 1;
	cfg.ram[0] = (struct sg_vm_ram){ .gpa = RAM_GPA, .size = RAM_SIZE, .host = host, .fd = fd };
	sg_addr_map_default(&cfg.map, 1); /* QEMU virt: GICD, GICRs, one ITS */

	if (sg_vm_create(&cfg, &vm) < 0)
		return 1;
	/* Hello + channels to gicd-server@vm0; starts the agent's bus thread. */
	if (sg_vm_connect(vm, sock, "vm0", err, sizeof(err)) < 0) {
		fprintf(stderr, "attach: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		sg_vcpu_set_kick_fn(sg_vm_vcpu(vm, i), kick, NULL);
		pthread_create(&t[i], NULL, vcpu_thread, sg_vm_vcpu(vm, i));
	}

	/* Device models, from any thread: */
	sg_vm_signal_spi_edge(vm, 33);	     /* edge SPI 33 (irqfd) */
	sg_vm_set_spi_level(vm, 34, true);   /* level SPI 34 raised... */
	sg_vm_set_spi_level(vm, 34, false);  /* ...and lowered */
	sg_vm_signal_msi(vm, 0, 0x10, 5);    /* ITS 0, DeviceID 0x10, EventID 5 */

	for (unsigned i = 0; i < NR_VCPUS; i++)
		pthread_join(t[i], NULL);
	sg_vm_disconnect(vm); /* the daemon sees the VM go and exits */
	sg_vm_destroy(vm);
	return 0;
}
