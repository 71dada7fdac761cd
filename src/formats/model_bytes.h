/*
 * model_bytes.h - the little-endian reader and writer of the model bytes,
 * shared by model.c, model_write.c and each layer kind's format entry
 * (model_layers.h); private to src/formats/.
 */
#ifndef NN_MODEL_BYTES_H
#define NN_MODEL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------- reading ---------- */

typedef struct ModelReader
{
	const uint8_t *p;
	size_t		left;
	bool		truncated;
	uint32_t	version;		/* the model's format version, once read */
	bool		without_state;	/* the bytes end before the optimizer state */
} ModelReader;

static inline bool
Take(ModelReader *r, void *dst, size_t n)
{
	if (r->truncated || n > r->left)
	{
		r->truncated = true;
		if (dst != NULL)
			memset(dst, 0, n);
		return false;
	}
	if (dst != NULL)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static inline uint8_t
ReadU8(ModelReader *r)
{
	uint8_t		v;

	Take(r, &v, 1);
	return v;
}

static inline uint16_t
ReadU16(ModelReader *r)
{
	uint8_t		b[2] = {0, 0};

	Take(r, b, 2);
	return (uint16_t) (b[0] | b[1] << 8);
}

static inline uint32_t
ReadU32(ModelReader *r)
{
	uint8_t		b[4];

	Take(r, b, 4);
	return (uint32_t) b[0] | (uint32_t) b[1] << 8 |
		(uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

static inline uint64_t
ReadU64(ModelReader *r)
{
	uint64_t	lo = ReadU32(r);

	return lo | (uint64_t) ReadU32(r) << 32;
}

static inline float
ReadF32(ModelReader *r)
{
	uint32_t	bits = ReadU32(r);
	float		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

static inline void
ReadFloats(ModelReader *r, float *dst, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	Take(r, dst, n * sizeof(float));
#else
	for (size_t i = 0; i < n; i++)
		dst[i] = ReadF32(r);
#endif
}

/* ---------- writing ---------- */

typedef struct ModelWriter
{
	uint8_t    *p;				/* NULL: only count */
	size_t		size;
} ModelWriter;

static inline void
Put(ModelWriter *w, const void *src, size_t n)
{
	if (w->p != NULL)
	{
		memcpy(w->p, src, n);
		w->p += n;
	}
	w->size += n;
}

static inline void
PutU8(ModelWriter *w, uint8_t v)
{
	Put(w, &v, 1);
}

static inline void
PutU16(ModelWriter *w, uint16_t v)
{
	uint8_t		b[2] = {(uint8_t) v, (uint8_t) (v >> 8)};

	Put(w, b, 2);
}

static inline void
PutU32(ModelWriter *w, uint32_t v)
{
	uint8_t		b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	Put(w, b, 4);
}

static inline void
PutU64(ModelWriter *w, uint64_t v)
{
	PutU32(w, (uint32_t) v);
	PutU32(w, (uint32_t) (v >> 32));
}

static inline void
PutF32(ModelWriter *w, float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	PutU32(w, bits);
}

static inline void
PutFloats(ModelWriter *w, const float *v, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n > 0)
		Put(w, v, n * sizeof(float));
#else
	for (size_t i = 0; i < n; i++)
		PutF32(w, v[i]);
#endif
}

static inline void
PutString(ModelWriter *w, const char *s)
{
	uint32_t	len = (uint32_t) strlen(s);

	PutU32(w, len);
	Put(w, s, len);
}

#endif
