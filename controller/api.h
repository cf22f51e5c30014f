/*
 * api.h - farmd's HTTP surface: the route table and its handlers (the JSON
 * API, the machines' boot routes, the web page's files).
 */
#ifndef FARM_API_H
#define FARM_API_H

struct farm_conf;
struct db;

void api_init(const struct farm_conf *, struct db *);
void api_free(void);
/* After a reload: picks up the settings that may have changed. */
void api_reload(const struct farm_conf *);

#endif
