/*
 * onnx_wire.h - the protobuf wire format as the ONNX writer uses it,
 * private to src/formats/ (onnx.c, onnx_graph.c, each kind's export entry):
 * the field numbers of onnx.proto and the writer of keys, varints,
 * strings, floats and nested messages.
 *
 * A nested message is preceded by its length, so every message is written
 * by an Emit function that PutMessage first runs over a counting writer.
 */
#ifndef NN_ONNX_WIRE_H
#define NN_ONNX_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* wire types */
#define WIRE_VARINT 0
#define WIRE_LEN 2
#define WIRE_FIXED32 5

/* ModelProto */
#define MODEL_IR_VERSION 1
#define MODEL_PRODUCER_NAME 2
#define MODEL_PRODUCER_VERSION 3
#define MODEL_DOC_STRING 6
#define MODEL_GRAPH 7
#define MODEL_OPSET_IMPORT 8
#define MODEL_METADATA_PROPS 14
/* OperatorSetIdProto (domain 1 is left out: "" is the default ai.onnx) */
#define OPSET_VERSION 2
/* StringStringEntryProto */
#define ENTRY_KEY 1
#define ENTRY_VALUE 2
/* GraphProto */
#define GRAPH_NODE 1
#define GRAPH_NAME 2
#define GRAPH_INITIALIZER 5
#define GRAPH_DOC_STRING 10
#define GRAPH_INPUT 11
#define GRAPH_OUTPUT 12
/* NodeProto */
#define NODE_INPUT 1
#define NODE_OUTPUT 2
#define NODE_NAME 3
#define NODE_OP_TYPE 4
#define NODE_ATTRIBUTE 5
/* AttributeProto and its AttributeType values */
#define ATTR_NAME 1
#define ATTR_F 2
#define ATTR_I 3
#define ATTR_S 4
#define ATTR_INTS 8
#define ATTR_STRINGS 9
#define ATTR_TYPE 20
#define ATTR_TYPE_FLOAT 1
#define ATTR_TYPE_INT 2
#define ATTR_TYPE_STRING 3
#define ATTR_TYPE_INTS 7
#define ATTR_TYPE_STRINGS 8
/* TensorProto and its DataType values */
#define TENSOR_DIMS 1
#define TENSOR_DATA_TYPE 2
#define TENSOR_NAME 8
#define TENSOR_RAW_DATA 9
#define DTYPE_FLOAT 1
#define DTYPE_INT8 3
#define DTYPE_INT64 7
#define DTYPE_DOUBLE 11
/* ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto(.Dimension) */
#define VALUE_NAME 1
#define VALUE_TYPE 2
#define TYPE_TENSOR_TYPE 1
#define TENSOR_TYPE_ELEM_TYPE 1
#define TENSOR_TYPE_SHAPE 2
#define SHAPE_DIM 1
#define DIM_VALUE 1
#define DIM_PARAM 2

typedef struct Writer
{
	uint8_t    *p;				/* NULL: only count */
	size_t		size;
} Writer;

typedef void (*EmitFn) (Writer *w, const void *arg);

/* ------------------------------------------------------------ wire format */

/* the base-128 varint of v into out (at most 10 bytes); returns its length */
static inline size_t
WireVarint(uint8_t *out, uint64_t v)
{
	size_t		n = 0;

	/* seven bits a byte, low first; the high bit says more follow */
	while (v >= 0x80)
	{
		out[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t) v;
	return n;
}

static inline void
Put(Writer *w, const void *src, size_t n)
{
	if (w->p != NULL && n > 0)
	{
		memcpy(w->p, src, n);
		w->p += n;
	}
	w->size += n;
}

static inline void
PutVarint(Writer *w, uint64_t v)
{
	uint8_t		b[10];

	Put(w, b, WireVarint(b, v));
}

static inline void
PutKey(Writer *w, uint32_t field, int wire)
{
	PutVarint(w, ((uint64_t) field << 3) | (uint64_t) wire);
}

/* an int32 or int64 field: negative values take ten bytes, as in protobuf */
static inline void
PutInt(Writer *w, uint32_t field, int64_t v)
{
	PutKey(w, field, WIRE_VARINT);
	PutVarint(w, (uint64_t) v);
}

static inline void
PutBytes(Writer *w, uint32_t field, const void *data, size_t n)
{
	PutKey(w, field, WIRE_LEN);
	PutVarint(w, n);
	Put(w, data, n);
}

static inline void
PutString(Writer *w, uint32_t field, const char *s)
{
	PutBytes(w, field, s, strlen(s));
}

static inline void
PutU32LE(Writer *w, uint32_t v)
{
	uint8_t		b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	Put(w, b, 4);
}

static inline void
PutFloatField(Writer *w, uint32_t field, float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	PutKey(w, field, WIRE_FIXED32);
	PutU32LE(w, bits);
}

/* a length-delimited field whose contents emit writes: a message, a text */
static inline void
PutMessage(Writer *w, uint32_t field, EmitFn emit, const void *arg)
{
	Writer		count = {NULL, 0};

	emit(&count, arg);
	PutKey(w, field, WIRE_LEN);
	PutVarint(w, count.size);
	emit(w, arg);
}

/* n floats as float32 little-endian, no key */
static inline void
PutFloatsLE(Writer *w, const float *v, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	Put(w, v, n * sizeof(float));
#else
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	bits;

		memcpy(&bits, &v[i], sizeof(bits));
		PutU32LE(w, bits);
	}
#endif
}

/* raw_data: float32 little-endian */
static inline void
PutRawFloats(Writer *w, uint32_t field, const float *v, size_t n)
{
	PutKey(w, field, WIRE_LEN);
	PutVarint(w, n * sizeof(float));
	PutFloatsLE(w, v, n);
}

static inline void
PutRawDouble(Writer *w, uint32_t field, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	PutKey(w, field, WIRE_LEN);
	PutVarint(w, sizeof(bits));
	PutU32LE(w, (uint32_t) bits);
	PutU32LE(w, (uint32_t) (bits >> 32));
}

/* raw_data: int64 little-endian */
static inline void
PutRawInt64s(Writer *w, uint32_t field, const int64_t *v, size_t n)
{
	PutKey(w, field, WIRE_LEN);
	PutVarint(w, n * sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
	{
		PutU32LE(w, (uint32_t) (uint64_t) v[i]);
		PutU32LE(w, (uint32_t) ((uint64_t) v[i] >> 32));
	}
}

#endif
