/* SPDX-License-Identifier: MIT */
/*
 * Logging shared by daemon and agent.  Lines go to stderr; when stderr is
 * the journal (JOURNAL_STREAM matches it, as under systemd) each line starts
 * with a "<N>" syslog priority prefix so journald keeps the level.
 */
#ifndef SPLITGIC_LOG_H
#define SPLITGIC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sg_log_level {
	SG_LOG_ERR = 3,
	SG_LOG_WARNING = 4,
	SG_LOG_NOTICE = 5,
	SG_LOG_INFO = 6,
	SG_LOG_DEBUG = 7,
};

void sg_log_init(const char *ident, enum sg_log_level level);
void sg_log_set_level(enum sg_log_level level);
/* Parses "err", "warning", "notice", "info", "debug" (or 3..7); -1 if unknown. */
int sg_log_parse_level(const char *s);
bool sg_log_enabled(enum sg_log_level level);

void sg_log(enum sg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For calls that report why they failed in a caller's buffer: formats the
 * reason into err (when err and errlen are given) and returns rc. */
int sg_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Rate limit for log lines a hostile peer can trigger: at most `burst` lines
 * per `interval_ms`; the number suppressed is reported with the next line let
 * through.  One static instance per call site.
 */
struct sg_ratelimit {
	uint64_t window_start_ms;
	uint32_t interval_ms;
	uint32_t burst;
	uint32_t printed;
	uint64_t suppressed;
};
#define SG_RATELIMIT_INIT(ms, n)                                                                   \
	{                                                                                          \
		0, (ms), (n), 0, 0                                                                 \
	}

void sg_log_ratelimited(struct sg_ratelimit *rl, enum sg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define sg_err(...)    sg_log(SG_LOG_ERR, __VA_ARGS__)
#define sg_warn(...)   sg_log(SG_LOG_WARNING, __VA_ARGS__)
#define sg_notice(...) sg_log(SG_LOG_NOTICE, __VA_ARGS__)
#define sg_info(...)   sg_log(SG_LOG_INFO, __VA_ARGS__)
#define sg_debug(...)                                                                              \
	do {                                                                                       \
		if (sg_log_enabled(SG_LOG_DEBUG))                                                  \
			sg_log(SG_LOG_DEBUG, __VA_ARGS__);                                         \
	} while (0)

/* A rejected input: logged at warning level, at most 10 lines a second per call site. */
#define sg_reject_log(...)                                                                         \
	do {                                                                                       \
		static struct sg_ratelimit rl_ = SG_RATELIMIT_INIT(1000, 10);                      \
		sg_log_ratelimited(&rl_, SG_LOG_WARNING, __VA_ARGS__);                             \
	} while (0)

#endif
