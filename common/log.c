// SPDX-License-Identifier: MIT
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "splitgic";
static enum sg_log_level log_level = SG_LOG_INFO;
static bool log_to_journal;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* JOURNAL_STREAM is "device:inode" of the journal stream systemd connected. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void sg_log_init(const char *ident, enum sg_log_level level)
{
	log_ident = ident;
	log_level = level;
	log_to_journal = stderr_is_journal();
}

void sg_log_set_level(enum sg_log_level level)
{
	log_level = level;
}

bool sg_log_enabled(enum sg_log_level level)
{
	return level <= log_level;
}

int sg_log_parse_level(const char *s)
{
	static const char *const names[] = { "err", "warning", "notice", "info", "debug" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)(SG_LOG_ERR + i);
	if (strcasecmp(s, "error") == 0)
		return SG_LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return SG_LOG_WARNING;
	if (s[0] >= '3' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

static void log_va(enum sg_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_va(enum sg_log_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = { "",	       "",	 "",	 "error",
					    "warning", "notice", "info", "debug" };
	char line[1024];
	int n;

	if (log_to_journal)
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	else
		n = snprintf(line, sizeof(line), "%s[%d]: %s: ", log_ident, (int)getpid(),
			     tags[level]);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

void sg_log(enum sg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!sg_log_enabled(level))
		return;
	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sg_log_ratelimited(struct sg_ratelimit *rl, enum sg_log_level level, const char *fmt, ...)
{
	uint64_t now = now_ms();
	uint64_t suppressed = 0;
	va_list ap;

	if (!sg_log_enabled(level))
		return;
	pthread_mutex_lock(&log_lock);
	if (now - rl->window_start_ms >= rl->interval_ms) {
		suppressed = rl->suppressed;
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		pthread_mutex_unlock(&log_lock);
		return;
	}
	rl->printed++;
	pthread_mutex_unlock(&log_lock);
	if (suppressed)
		sg_log(level, "%llu similar messages suppressed", (unsigned long long)suppressed);
	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

int sg_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
