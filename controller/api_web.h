/*
 * api_web.h - the web page and the data routes only it needs: the page's
 * files, the overview, the matrix, test and machine histories, JUnit/TAP/
 * JSON downloads of a run, and a job's console as Server-Sent Events
 * (docs/api.md, "Web data routes"; docs/web.md).
 */
#ifndef FARM_API_WEB_H
#define FARM_API_WEB_H

struct farm_conf;
struct db;

/* Finds the page's files and adds the routes (call before api_init, so
 * that "/" and "/static/..." are served from the built page). */
void api_web_init(const struct farm_conf *, struct db *);
void api_web_free(void);

#endif
