// SPDX-License-Identifier: MIT
#include "testdev.h"

static bool present;
static u32 spi_base, spi_count;

bool testdev_probe(void)
{
	present = testdev_read(TESTDEV_ID) == TESTDEV_ID_VALUE;
	if (present) {
		spi_base = testdev_read(TESTDEV_SPI_BASE);
		spi_count = testdev_read(TESTDEV_SPI_COUNT);
	}
	return present;
}

bool testdev_present(void)
{
	return present;
}

u32 testdev_spi_base(void)
{
	return spi_base;
}

u32 testdev_spi_count(void)
{
	return spi_count;
}

void testdev_exit(u32 status)
{
	if (present)
		testdev_write(TESTDEV_EXIT, status);
}
