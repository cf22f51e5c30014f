/*
 * metrics.h - GET /metrics in the Prometheus text format. Counters live in
 * farmd's memory (they start at zero with farmd, as Prometheus expects);
 * gauges are read at scrape time.
 */
#ifndef FARM_METRICS_H
#define FARM_METRICS_H

#include <stddef.h>

struct db;

/* Registers the route. */
void metrics_init(struct db *);

void metrics_console_bytes(size_t);
/* A job ended: its result ("pass"... or "cancelled"), boot and test times
 * in ms (<0: unknown). */
void metrics_job_end(const char *result, long long boot_ms, long long test_ms);

#endif
