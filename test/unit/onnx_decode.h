/*
 * onnx_decode.h - what the ONNX tests (test_onnx.c, test_onnx_conv.c) read
 * files with: a small protobuf decoder written here (field numbers from
 * onnx.proto) and lookups of a graph's nodes, initializers and attributes;
 * export(), a model's file in a buffer of exactly its size; kind_graph(),
 * one layer kind's export entry walked on its own.
 */
#ifndef NN_TEST_ONNX_DECODE_H
#define NN_TEST_ONNX_DECODE_H

#include "harness.h"
#include "formats/onnx.h"
#include "formats/onnx_graph.h"
#include "formats/model.h"

/* ------------------------------------------------------------ decoder */

typedef struct PbField
{
	uint32_t	num;
	int			wire;
	uint64_t	value;			/* varint; the length for wire type 2 */
	const uint8_t *data;		/* wire types 2 and 5 */
	size_t		len;
} PbField;

typedef struct PbReader
{
	const uint8_t *p;
	const uint8_t *end;
	bool		bad;
} PbReader;

static inline PbReader
pb_reader(const uint8_t *data, size_t len)
{
	/* a field not found leaves data NULL: no arithmetic on it */
	PbReader	r = {data, data != NULL ? data + len : data, false};

	return r;
}

static inline bool
pb_varint(PbReader *r, uint64_t *v)
{
	uint64_t	x = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (r->p >= r->end)
			return false;
		b = *r->p++;
		x |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
		{
			*v = x;
			return true;
		}
	}
	return false;
}

/* the next field; false at the end, or with r->bad set on damage */
static inline bool
pb_next(PbReader *r, PbField *f)
{
	uint64_t	key;

	if (r->p == r->end)
		return false;
	memset(f, 0, sizeof(*f));
	if (!pb_varint(r, &key))
		goto bad;
	f->num = (uint32_t) (key >> 3);
	f->wire = (int) (key & 7);
	if (f->wire == 0)
	{
		if (!pb_varint(r, &f->value))
			goto bad;
	}
	else if (f->wire == 2)
	{
		if (!pb_varint(r, &f->value) || f->value > (uint64_t) (r->end - r->p))
			goto bad;
		f->data = r->p;
		f->len = (size_t) f->value;
		r->p += f->len;
	}
	else if (f->wire == 5 && r->end - r->p >= 4)
	{
		f->data = r->p;
		f->len = 4;
		r->p += 4;
	}
	else
		goto bad;
	return true;
bad:
	r->bad = true;
	return false;
}

/* the first field num of the message, false when absent */
static inline bool
pb_find(const uint8_t *data, size_t len, uint32_t num, PbField *out)
{
	PbReader	r = pb_reader(data, len);
	PbField		f;

	memset(out, 0, sizeof(*out));
	while (pb_next(&r, &f))
		if (f.num == num)
		{
			*out = f;
			return true;
		}
	return false;
}

static inline bool
pb_string_is(const PbField *f, const char *s)
{
	return f->wire == 2 && f->len == strlen(s) && memcmp(f->data, s, f->len) == 0;
}

/* a string field num of the message, as a C string (truncated to size) */
static inline void
pb_string(const uint8_t *data, size_t len, uint32_t num, char *buf, size_t size)
{
	PbField		f;
	size_t		n = 0;

	if (pb_find(data, len, num, &f) && f.wire == 2)
		n = f.len < size - 1 ? f.len : size - 1;
	if (n > 0)
		memcpy(buf, f.data, n);
	buf[n] = '\0';
}

/* the file of a model, in a buffer of exactly its size (ASan sees overruns) */
static inline uint8_t *
export(const NNModel *m, size_t *len)
{
	uint8_t    *buf;

	*len = nn_onnx_size(m, "9.9");
	buf = xcalloc(*len, 1);
	nn_onnx_write(m, "9.9", buf);
	return buf;
}

/* the op_type of every node, space-separated */
static inline void
graph_ops(const uint8_t *buf, size_t len, char *ops, size_t size)
{
	PbField		graph,
				f;
	PbReader	r;

	ops[0] = '\0';
	if (!pb_find(buf, len, 7, &graph))
		return;
	r = pb_reader(graph.data, graph.len);
	while (pb_next(&r, &f))
	{
		char		op[40];

		if (f.num != 1)
			continue;
		pb_string(f.data, f.len, 4, op, sizeof(op));
		if (ops[0] != '\0')
			strncat(ops, " ", size - strlen(ops) - 1);
		strncat(ops, op, size - strlen(ops) - 1);
	}
}

/* a graph member (field num) whose name field (name_field) is name */
static inline bool
graph_member(const uint8_t *buf, size_t len, uint32_t num, uint32_t name_field,
			 const char *name, PbField *out)
{
	PbField		graph,
				f,
				n;
	PbReader	r;

	memset(out, 0, sizeof(*out));
	if (!pb_find(buf, len, 7, &graph))
		return false;
	r = pb_reader(graph.data, graph.len);
	while (pb_next(&r, &f))
		if (f.num == num && pb_find(f.data, f.len, name_field, &n) && pb_string_is(&n, name))
		{
			*out = f;
			return true;
		}
	return false;
}

/* the values of a node's INTS attribute name (type 7, field 8), or -1 */
static inline int
node_ints(const PbField *node, const char *name, int64_t *out, int max)
{
	PbReader	r = pb_reader(node->data, node->len);
	PbField		attr,
				f;

	while (pb_next(&r, &attr))
	{
		PbReader	a;
		int			n = 0;

		if (attr.num != 5 || !pb_find(attr.data, attr.len, 1, &f) || !pb_string_is(&f, name))
			continue;
		if (!pb_find(attr.data, attr.len, 20, &f) || f.value != 7)
			return -1;
		a = pb_reader(attr.data, attr.len);
		while (pb_next(&a, &f))
			if (f.num == 8 && f.wire == 0 && n < max)
				out[n++] = (int64_t) f.value;
		return n;
	}
	return -1;
}

/* an initializer's dims, or -1 when it is absent */
static inline int
tensor_dims(const uint8_t *buf, size_t len, const char *name, uint64_t *dims, int max)
{
	PbField		tensor,
				f;
	PbReader	r;
	int			n = 0;

	if (!graph_member(buf, len, 5, 8, name, &tensor))
		return -1;
	r = pb_reader(tensor.data, tensor.len);
	while (pb_next(&r, &f))
		if (f.num == 1 && n < max)
			dims[n++] = f.value;
	return n;
}

/* an initializer's raw floats start at params[at], n of them */
static inline bool
tensor_floats_at(const uint8_t *buf, size_t len, const char *name, const float *params,
				 size_t at, size_t n)
{
	PbField		tensor,
				f;

	return graph_member(buf, len, 5, 8, name, &tensor) &&
		pb_find(tensor.data, tensor.len, 9, &f) && f.len == n * sizeof(float) &&
		memcmp(f.data, params + at, f.len) == 0;
}

/* ------------------------------------------------------------ one kind's entry */

/*
 * A kind's export entry walked on its own, without a network around it
 * (no layout, so a kind the layer table lacks can be tested too): layer 0
 * of an input of shape in, named input, its parameters params[i] = i.
 */
#define KIND_WALK_PARAMS 128

typedef struct KindWalk
{
	NNModel		m;
	float		params[KIND_WALK_PARAMS];
	const char *input;
} KindWalk;

static inline void
EmitKindGraph(Writer *w, const void *arg)
{
	const KindWalk *k = arg;
	GraphWalk	g = {w, true, &k->m};
	char		cur[NAME_LEN];

	strcpy(cur, k->input);
	nn_onnx_layer(k->m.net.layers[0].kind)->walk(&g, 0, cur, NULL);
	strcpy(cur, k->input);
	g.nodes = false;
	nn_onnx_layer(k->m.net.layers[0].kind)->walk(&g, 0, cur, NULL);
}

/* a model message holding only the graph (field 7) of the kind's layer */
static inline uint8_t *
kind_graph(KindWalk *k, NNLayerKind kind, NNShape in, const void *settings, size_t size,
		   const char *input, size_t *len)
{
	Writer		count = {NULL, 0};
	Writer		w;
	uint8_t    *buf;

	memset(k, 0, sizeof(*k));
	k->m.net.n_layers = 1;
	k->m.net.shapes[0] = in;
	k->m.net.layers[0].kind = (uint8_t) kind;
	memcpy(k->m.net.layers[0].settings.bytes, settings, size);
	for (int i = 0; i < KIND_WALK_PARAMS; i++)
		k->params[i] = (float) i;
	k->m.net.params = k->params;
	k->input = input;
	PutMessage(&count, 7, EmitKindGraph, k);
	buf = xcalloc(count.size, 1);
	w = (Writer) {buf, 0};
	PutMessage(&w, 7, EmitKindGraph, k);
	*len = w.size;
	CHECK(w.size == count.size);
	return buf;
}

#endif
