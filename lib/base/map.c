/*
 * map.c - string-keyed hash map.
 */
#include "base/map.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/banned.h"

uint32_t gt_hash_mem(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

uint32_t gt_hash_str(const char *s)
{
	return gt_hash_mem(s, strlen(s));
}

void gt_map_release(struct gt_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

static void grow(struct gt_map *m)
{
	struct gt_map_entry *old = m->slots;
	size_t oldcap = m->cap;

	m->cap = oldcap ? oldcap * 2 : 64;
	m->slots = gt_calloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (!old[i].key)
			continue;
		j = old[i].hash & (m->cap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (m->cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

void *gt_map_put(struct gt_map *m, const char *key, void *value)
{
	uint32_t h = gt_hash_str(key);
	size_t j;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	j = h & (m->cap - 1);
	while (m->slots[j].key) {
		if (m->slots[j].hash == h && !strcmp(m->slots[j].key, key)) {
			void *prev = m->slots[j].value;

			m->slots[j].key = key;
			m->slots[j].value = value;
			return prev;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->slots[j].key = key;
	m->slots[j].value = value;
	m->slots[j].hash = h;
	m->len++;
	return NULL;
}

void *gt_map_getn(const struct gt_map *m, const char *key, size_t len)
{
	uint32_t h;
	size_t j;

	if (!m->cap)
		return NULL;
	h = gt_hash_mem(key, len);
	j = h & (m->cap - 1);
	while (m->slots[j].key) {
		if (m->slots[j].hash == h && !strncmp(m->slots[j].key, key, len) &&
		    !m->slots[j].key[len])
			return m->slots[j].value;
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

void *gt_map_get(const struct gt_map *m, const char *key)
{
	return gt_map_getn(m, key, strlen(key));
}

int gt_map_next(const struct gt_map *m, size_t *iter, struct gt_map_entry **e)
{
	while (*iter < m->cap) {
		size_t i = (*iter)++;

		if (m->slots[i].key) {
			*e = &m->slots[i];
			return 1;
		}
	}
	return 0;
}
