// SPDX-License-Identifier: MIT
/* Boot CPU: find the machine, bring up the GIC, run the program, report. */
#include "fdt.h"
#include "gic.h"
#include "smp.h"
#include "test.h"
#include "testdev.h"
#include "uart.h"

const char test_name[] = GUEST_PROGRAM;

void boot_main(u64 dtb) __noreturn;

/* Make the boot CPU logical CPU 0 whatever its place in /cpus. */
static void boot_cpu_first(void)
{
	u64 me = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;

	if (machine.ncpus == 0) {
		machine.mpidr[0] = me;
		machine.ncpus = 1;
		return;
	}
	for (u32 i = 0; i < machine.ncpus; i++) {
		if ((machine.mpidr[i] & MPIDR_AFF_MASK) == me) {
			u64 t = machine.mpidr[0];
			machine.mpidr[0] = machine.mpidr[i];
			machine.mpidr[i] = t;
			return;
		}
	}
	test_fatal("boot CPU MPIDR %lx is not in /cpus", me);
}

void boot_main(u64 dtb)
{
	/* QEMU passes no DTB pointer to an ELF image but puts the blob at the start of RAM. */
	if (!fdt_scan(dtb))
		fdt_scan(DEFAULT_DTB);
	printf("\n%s: splitgic guest program\n", test_name);
	if (!machine.dtb_valid)
		printf("no device tree found: using the fixed addresses of docs/splitgic-vm.md\n");
	boot_cpu_first();
	for (u32 i = 0; i < machine.ncpus; i++)
		machine.mpidr[i] &= MPIDR_AFF_MASK;
	testdev_probe();
	printf("cpus %u, GICD %lx, GICR %lx, ITS %s%lx, test device %s, RAM %lx+%lx\n",
	       machine.ncpus, machine.gicd_base, machine.gicr_base, machine.has_its ? "" : "none ",
	       machine.its_base, testdev_present() ? "present" : "absent", machine.ram_base,
	       machine.ram_size);

	gic_dist_init();
	cpus[0].online = 1;
	cpu_local_init(0);
	irq_enable();
	test_main();
	irq_disable();
	test_exit();
}
