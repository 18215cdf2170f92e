// SPDX-License-Identifier: MIT
/*
 * vmm-checks: exercises splitgic-vm's own pieces from inside a guest, on 2
 * vCPUs: the system registers it provides, synchronous exception and IRQ
 * entry emulated at EL1, unbacked addresses, PSCI over HVC and its errors,
 * a virtual timer deadline far in the future that only a virtual-time jump
 * reaches, and the UART's RX interrupt through the distributor.  main() returns 0 or the number of
 * the first failed check, which becomes splitgic-vm's exit status.  Freestanding: no guest runtime.
 */
#include <stdint.h>

#define UART	 0x09000000ul
#define GICD	 0x08000000ul
#define GICR	 0x080A0000ul
#define SGI_BASE (GICR + 0x10000ul)

#define PSCI_VERSION  0x84000000ul
#define PSCI_CPU_OFF  0x84000002ul
#define PSCI_CPU_ON   0xC4000003ul
#define PSCI_AFFINITY 0xC4000004ul
#define PSCI_FEATURES 0x8400000Aul

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		asm volatile("mrs %0, " #r : "=r"(v_));                                            \
		v_;                                                                                \
	})
#define write_sysreg(r, v) asm volatile("msr " #r ", %0" ::"r"((uint64_t)(v)) : "memory")

#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_SGI1R_EL1	S3_0_C12_C11_5
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SRE_EL1	S3_0_C12_C12_5

int main(void);
void secondary_main(uint64_t ctx);
void sync_handler(void);
void irq_handler(void);
extern char secondary_entry[];

static volatile uint64_t last_esr, last_elr, sync_count;
static volatile uint32_t last_intid, irq_count;
static volatile uint64_t mailbox;
static volatile uint32_t uart_char;

static void mmio_w32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static uint32_t mmio_r32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

static void puts_(const char *s)
{
	while (*s)
		mmio_w32(UART, (uint8_t)*s++);
}

static int64_t hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 asm("x0") = fn, x1 asm("x1") = a1, x2 asm("x2") = a2,
			     x3 asm("x3") = a3;

	asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	return (int64_t)x0;
}

void sync_handler(void)
{
	uint64_t esr = read_sysreg(esr_el1), elr = read_sysreg(elr_el1);

	last_esr = esr;
	last_elr = elr;
	sync_count++;
	/* SVC returns after itself already; UDF and BRK are stepped over. */
	if ((esr >> 26) != 0x15)
		write_sysreg(elr_el1, elr + 4);
}

void irq_handler(void)
{
	uint32_t iar = (uint32_t)read_sysreg(ICC_IAR1_EL1);

	if (iar == 27)
		write_sysreg(cntv_ctl_el0, 3); /* ENABLE | IMASK: the line drops */
	if (iar == 33)
		uart_char = mmio_r32(UART) & 0xff; /* empties the FIFO: the line drops */
	last_intid = iar;
	irq_count++;
	write_sysreg(ICC_EOIR1_EL1, iar);
}

void secondary_main(uint64_t ctx)
{
	mailbox = ctx;
	asm volatile("sev");
	hvc(PSCI_CPU_OFF, 0, 0, 0);
	for (;;)
		asm volatile("wfi");
}

/* Polls cond with WFE yields; gives up after many polls (a hang would be
 * the VMM's timeout otherwise). */
#define WAIT(cond)                                                                                 \
	({                                                                                         \
		unsigned long n_ = 0;                                                              \
		while (!(cond) && ++n_ < 10000000ul)                                               \
			asm volatile("sevl; wfe" ::: "memory");                                    \
		(cond);                                                                            \
	})

#define CHECK(n, cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			puts_("vmm-checks: FAIL " #n ": " #cond "\n");                             \
			return n;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	uint64_t t0, t1, svc_pc;

	puts_("vmm-checks: start\n");
	/* 1-4: system registers the VMM provides. */
	CHECK(1, read_sysreg(mpidr_el1) == 0x80000000ul);
	CHECK(2, ((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xf) == 1);
	CHECK(3, read_sysreg(cntfrq_el0) == 62500000ul);
	t0 = read_sysreg(cntvct_el0);
	t1 = read_sysreg(cntvct_el0);
	CHECK(4, t1 >= t0 && (read_sysreg(ICC_SRE_EL1) & 1));

	/* 5-7: synchronous exceptions reach the EL1 vectors with a syndrome. */
	asm volatile("adr %0, 1f\n\tsvc #0x42\n1:" : "=r"(svc_pc)::"memory");
	CHECK(5, sync_count == 1 && last_esr >> 26 == 0x15 && (last_esr & 0xffff) == 0x42 &&
			 last_elr == svc_pc);
	asm volatile("adr %0, 1f\n1:\tudf #1" : "=r"(svc_pc)::"memory");
	CHECK(6, sync_count == 2 && last_esr >> 26 == 0 && last_elr == svc_pc);
	asm volatile("brk #7" ::: "memory");
	CHECK(7, sync_count == 3 && last_esr >> 26 == 0x3c && (last_esr & 0xffff) == 7);

	/* 8: an unbacked address reads as zero and ignores writes. */
	mmio_w32(0x20000000ul, 0x1234);
	CHECK(8, mmio_r32(0x20000000ul) == 0 && mmio_r32(0x20000ff0ul) == 0);

	/* 9-14: PSCI. */
	CHECK(9, hvc(PSCI_VERSION, 0, 0, 0) == 0x10000);
	CHECK(10, hvc(PSCI_FEATURES, PSCI_CPU_ON, 0, 0) == 0 &&
			  hvc(PSCI_FEATURES, 0x84000009ul, 0, 0) == -1 &&
			  hvc(0x84000009ul, 0, 0, 0) == -1);
	CHECK(11, hvc(PSCI_CPU_ON, 5, (uint64_t)secondary_entry, 0) == -2);
	CHECK(12, hvc(PSCI_CPU_ON, 0, (uint64_t)secondary_entry, 0) == -4);
	CHECK(13, hvc(PSCI_CPU_ON, 1, 0x1000, 0) == -9 && hvc(PSCI_AFFINITY, 1, 0, 0) == 1);
	CHECK(14, hvc(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 0x77) == 0 &&
			  WAIT(mailbox == 0x77) && WAIT(hvc(PSCI_AFFINITY, 1, 0, 0) == 1));

	/* 15-16: an SGI to ourselves is taken as an IRQ at VBAR_EL1 + 0x280. */
	mmio_w32(GICD, (1u << 4) | (1u << 1));		    /* ARE, EnableGrp1 */
	mmio_w32(GICR + 0x14, 0);			    /* GICR_WAKER: awake */
	mmio_w32(SGI_BASE + 0x080, 0xffffffffu);	    /* IGROUPR0: group 1 */
	mmio_w32(SGI_BASE + 0x100, (1u << 3) | (1u << 27)); /* enable SGI 3, PPI 27 */
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	write_sysreg(ICC_SGI1R_EL1, (3ul << 24) | 1); /* SGI 3 to Aff0 0 */
	CHECK(15, irq_count == 0);		      /* IRQs are masked */
	asm volatile("msr daifclr, #2" ::: "memory");
	CHECK(16, WAIT(irq_count == 1) && last_intid == 3);

	/* 17-18: a timer deadline 1000 s away, waited for in WFI with IRQs
	 * masked: only a virtual-time jump gets there before the timeout. */
	asm volatile("msr daifset, #2" ::: "memory");
	write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + 1000ul * 62500000ul);
	write_sysreg(cntv_ctl_el0, 1);
	while (!(read_sysreg(cntv_ctl_el0) & 4))
		asm volatile("wfi");
	CHECK(17, mmio_r32(SGI_BASE + 0x200) & (1u << 27)); /* GICR_ISPENDR0 */
	asm volatile("msr daifclr, #2" ::: "memory");
	CHECK(18, WAIT(irq_count == 2) && last_intid == 27 &&
			  read_sysreg(cntvct_el0) >= read_sysreg(cntv_cval_el0));

	/* 19: the UART's RX interrupt (SPI 1, INTID 33, level) once unmasked,
	 * with "x" waiting on stdin. */
	mmio_w32(GICD + 0x6100 + 8 * 33, 0); /* GICD_IROUTER33: CPU 0 */
	mmio_w32(GICD + 0x6104 + 8 * 33, 0);
	mmio_w32(GICD + 0x0084, 0xffffffffu); /* GICD_IGROUPR1: group 1 */
	mmio_w32(GICD + 0x0104, 1u << 1);     /* GICD_ISENABLER1: INTID 33 */
	(void)mmio_r32(GICD);		      /* the posted writes land first */
	mmio_w32(UART + 0x38, 1u << 4);	      /* UARTIMSC.RXIM */
	CHECK(19, WAIT(irq_count == 3) && last_intid == 33 && uart_char == 'x');
	puts_("vmm-checks: PASS\n");
	return 0;
}
