/* SPDX-License-Identifier: MIT */
/*
 * The ITS and LPIs (Arm IHI 0069, chapters 5 and 6): tables in guest RAM, the
 * command queue, and the redistributors' LPI property and pending tables.
 */
#ifndef GUEST_ITS_H
#define GUEST_ITS_H

#include "fdt.h"
#include "types.h"

#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER(n)	(0x0100 + 8 * (n))
#define GITS_TRANSLATER 0x10040

#define GITS_CTLR_ENABLED	   BIT(0)
#define GITS_CTLR_QUIESCENT	   BIT(31)
#define GITS_TYPER_PHYSICAL	   BIT64(0)
#define GITS_TYPER_ITT_SIZE(t)	   ((u32)(((t) >> 4) & 0xf) + 1)
#define GITS_TYPER_IDBITS(t)	   ((u32)(((t) >> 8) & 0x1f) + 1)
#define GITS_TYPER_DEVBITS(t)	   ((u32)(((t) >> 13) & 0x1f) + 1)
#define GITS_TYPER_SEIS		   BIT64(18)
#define GITS_TYPER_PTA		   BIT64(19)
#define GITS_TYPER_HCC(t)	   ((u32)(((t) >> 24) & 0xff))
#define GITS_TYPER_CIDBITS(t)	   ((u32)(((t) >> 32) & 0xf) + 1)
#define GITS_TYPER_CIL		   BIT64(36)
#define GITS_BASER_VALID	   BIT64(63)
#define GITS_BASER_INDIRECT	   BIT64(62)
#define GITS_BASER_TYPE(v)	   ((u32)(((v) >> 56) & 7))
#define GITS_BASER_ESIZE(v)	   ((u32)(((v) >> 48) & 0x1f) + 1)
#define GITS_BASER_PSZ(v)	   ((u32)(((v) >> 8) & 3))
#define GITS_BASER_SIZE(v)	   ((u32)((v)&0xff) + 1)
#define GITS_BASER_TYPE_DEVICE	   1
#define GITS_BASER_TYPE_COLLECTION 4
#define GITS_CBASER_VALID	   BIT64(63)
#define GITS_CREADR_STALLED	   BIT64(0)
#define GITS_CWRITER_RETRY	   BIT64(0)
#define GITS_OFFSET_MASK	   GENMASK64(19, 5)

/* Normal Inner Non-cacheable in the cacheability fields: the MMU is off here. */
#define GIC_CACHE_NC 1ull

#define ITS_CMD_MOVI	0x01
#define ITS_CMD_INT	0x03
#define ITS_CMD_CLEAR	0x04
#define ITS_CMD_SYNC	0x05
#define ITS_CMD_MAPD	0x08
#define ITS_CMD_MAPC	0x09
#define ITS_CMD_MAPTI	0x0a
#define ITS_CMD_MAPI	0x0b
#define ITS_CMD_INV	0x0c
#define ITS_CMD_INVALL	0x0d
#define ITS_CMD_MOVALL	0x0e
#define ITS_CMD_DISCARD 0x0f

#define LPI_BASE      8192u
#define LPI_ID_BITS   14u /* LPIs 8192..16383 */
#define LPI_PROP_EN   BIT(0)
#define LPI_PROP_RES1 BIT(1)

struct its_info {
	u64 base;
	u64 typer;
	bool pta;
	u32 ite_size;
	u32 dev_bits;
	u32 event_bits;
	u32 dev_entries;  /* DeviceIDs covered by the flat device table */
	u32 coll_entries; /* ICIDs covered by the collection table */
	u64 cmdq;
	u32 cmdq_size;
	u32 cwriter;
	u32 creadr_seen; /* last GITS_CREADR.Offset read */
	u64 baser[8];
	u8 *prop_table;
	u32 lpi_id_bits;
	bool stalled_seen;
};

extern struct its_info its;

/* Set up the ITS tables and command queue and enable it; false if there is no ITS. */
bool its_init(void);
/* On the calling CPU: point its redistributor at the LPI tables and enable LPIs. */
bool lpi_cpu_init(void);
/* ITS_CMD RDbase field of a CPU's redistributor, per GITS_TYPER.PTA. */
u64 its_rdbase(int cpu);
void *its_alloc_itt(u32 event_bits);

/* Queue one command (4 doublewords); its_flush() publishes and waits. */
void its_queue(const u64 cmd[4]);
/* Publish queued commands, wait for GITS_CREADR to catch up; false on stall or timeout. */
bool its_flush(void);
u64 its_cmd_offset(void);

void its_mapd(u32 dev, void *itt, u32 event_bits, bool valid);
void its_mapc(u32 icid, int cpu, bool valid);
void its_mapti(u32 dev, u32 event, u32 lpi, u32 icid);
void its_movi(u32 dev, u32 event, u32 icid);
void its_discard(u32 dev, u32 event);
void its_inv(u32 dev, u32 event);
void its_invall(u32 icid);
void its_int(u32 dev, u32 event);
void its_sync(int cpu);

void lpi_set_config(u32 lpi, u8 prio, bool enable);
/* A CPU's MSI write, as a device would: DeviceID is the CPU's requester ID (0 on QEMU). */
void its_translater_write(u32 event);

#endif
