/*
 * map.h - string-keyed hash map (open addressing, linear probing).
 *
 * Keys are borrowed: the caller keeps them alive as long as the entry (most
 * callers point into the value they store).  Deletion is not supported;
 * maps here are built, queried and thrown away within one command.
 */
#ifndef GT_MAP_H
#define GT_MAP_H

#include <stddef.h>
#include <stdint.h>

struct gt_map_entry {
	const char *key;
	void *value;
	uint32_t hash;
};

struct gt_map {
	struct gt_map_entry *slots;
	size_t cap, len;
};

#define GT_MAP_INIT        \
	{                  \
		NULL, 0, 0 \
	}

uint32_t gt_hash_str(const char *s);
uint32_t gt_hash_mem(const void *p, size_t n);
void gt_map_release(struct gt_map *m);
/* Insert or replace; returns the previous value (NULL if new). */
void *gt_map_put(struct gt_map *m, const char *key, void *value);
void *gt_map_get(const struct gt_map *m, const char *key);
/* Like get, for a key that is not NUL-terminated. */
void *gt_map_getn(const struct gt_map *m, const char *key, size_t len);
/* Iterate: for (size_t i = 0; gt_map_next(m, &i, &e); ) ... */
int gt_map_next(const struct gt_map *m, size_t *iter, struct gt_map_entry **e);

#endif
