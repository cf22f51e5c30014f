/*
 * db_int.h - the database's insides, for the modules that keep SQL beside
 * db.c (db_web.c: the web page's read-only queries). Nothing else includes
 * it: everyone else goes through db.h.
 */
#ifndef FARM_DB_INT_H
#define FARM_DB_INT_H

#include <sqlite3.h>

struct db;

/* The one sqlite connection of farmd, owned by db.c (valid until db_close). */
sqlite3 *db_sqlite(struct db *);

#endif
