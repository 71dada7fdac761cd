/*
 * test_onnx_recurrent.c - the ONNX export of the recurrent layer kinds
 * (src/formats/onnx_recurrent.c), read back with onnx_decode.h: each
 * kind's node (RNN, LSTM, GRU) with its attributes, its outputs (Y with
 * return_sequences, else Y_h alone), W, R and ONNX's B built from nn's
 * biases, the Reshape and Transposes around it; in a network, stacked
 * layers passing time-major values and a dense layer after them.  What the
 * graphs compute is checked in onnxruntime by test/onnx/runtime.sh.
 */
#include "onnx_decode.h"
#include "recurrent_layer.h"
#include "testnet.h"

#define STEPS 4
#define FEATURES 3
#define UNITS 2

/* ------------------------------------------------------------ decoding */

/* a node's attribute called name (its AttributeProto), false when absent */
static bool
node_attr(const PbField *node, const char *name, PbField *attr)
{
	PbReader	r = pb_reader(node->data, node->len);
	PbField		f;

	while (pb_next(&r, attr))
		if (attr->num == 5 && pb_find(attr->data, attr->len, 1, &f) && pb_string_is(&f, name))
			return true;
	return false;
}

/* an INT attribute's value, or -1 */
static int64_t
node_int(const PbField *node, const char *name)
{
	PbField		attr,
				f;

	if (!node_attr(node, name, &attr) || !pb_find(attr.data, attr.len, 20, &f) ||
		f.value != ATTR_TYPE_INT || !pb_find(attr.data, attr.len, 3, &f))
		return -1;
	return (int64_t) f.value;
}

/*
 * The strings of a STRING (field 4) or STRINGS (field 9) attribute, space-
 * separated into buf; false when absent or of another type
 */
static bool
node_strings(const PbField *node, const char *name, int type, char *buf, size_t size)
{
	PbField		attr,
				f;
	PbReader	r;

	buf[0] = '\0';
	if (!node_attr(node, name, &attr) || !pb_find(attr.data, attr.len, 20, &f) ||
		(int) f.value != type)
		return false;
	r = pb_reader(attr.data, attr.len);
	while (pb_next(&r, &f))
		if (f.num == (type == ATTR_TYPE_STRING ? 4u : 9u) && strlen(buf) + f.len + 2 < size)
		{
			if (buf[0] != '\0')
				strcat(buf, " ");
			strncat(buf, (const char *) f.data, f.len);
		}
	return true;
}

/* a node's inputs (field 1) or outputs (2), space-separated, "" as "-" */
static void
node_names(const PbField *node, uint32_t field, char *buf, size_t size)
{
	PbReader	r = pb_reader(node->data, node->len);
	PbField		f;

	buf[0] = '\0';
	while (pb_next(&r, &f))
		if (f.num == field && strlen(buf) + f.len + 3 < size)
		{
			if (buf[0] != '\0')
				strcat(buf, " ");
			if (f.len == 0)
				strcat(buf, "-");
			else
				strncat(buf, (const char *) f.data, f.len);
		}
}

/* an int64 initializer's values (little-endian raw data), or -1 */
static int
tensor_int64s(const uint8_t *buf, size_t len, const char *name, int64_t *v, int max)
{
	PbField		tensor,
				f;
	int			n;

	if (!graph_member(buf, len, 5, 8, name, &tensor) ||
		!pb_find(tensor.data, tensor.len, 9, &f) || f.len % 8 != 0)
		return -1;
	n = (int) (f.len / 8);
	for (int i = 0; i < n && i < max; i++)
	{
		uint64_t	u = 0;

		for (int b = 7; b >= 0; b--)
			u = u << 8 | f.data[8 * i + b];
		v[i] = (int64_t) u;
	}
	return n;
}

/* an initializer's raw floats, copied into v (n of them); false on a mismatch */
static bool
tensor_floats(const uint8_t *buf, size_t len, const char *name, float *v, size_t n)
{
	PbField		tensor,
				f;

	if (!graph_member(buf, len, 5, 8, name, &tensor) ||
		!pb_find(tensor.data, tensor.len, 9, &f) || f.len != n * sizeof(float))
		return false;
	memcpy(v, f.data, f.len);
	return true;
}

/* layer l's output back to rows: [N, steps, D, H] or [N, D, H], flattened */
static void
check_to_rows(const uint8_t *buf, size_t len, uint32_t l, bool sequences)
{
	char		name[40];
	int64_t		v[8];
	PbField		node;

	snprintf(name, sizeof(name), "layer%u.batch_major", (unsigned) l);
	if (CHECK(graph_member(buf, len, 1, 2, name, &node)))
	{
		int			n = node_ints(&node, "perm", v, 8);

		CHECK_MSG(sequences ? n == 4 && v[0] == 2 && v[1] == 0 && v[2] == 1 && v[3] == 3 :
				  n == 3 && v[0] == 1 && v[1] == 0 && v[2] == 2, "%s: perm", name);
	}
	snprintf(name, sizeof(name), "layer%u.flatten", (unsigned) l);
	CHECK(graph_member(buf, len, 1, 2, name, &node) && node_int(&node, "axis") == 1);
}

/* ------------------------------------------------------------ one layer */

typedef struct Case
{
	NNLayerKind kind;
	const char *op;
	const char *stage;
	uint32_t	gates;
	uint32_t	bias;			/* nn's biases a direction, in units */
} Case;

static const Case cases[] = {
	{NN_LAYER_RNN, "RNN", "rnn", 1, 1},
	{NN_LAYER_LSTM, "LSTM", "lstm", 4, 4},
	{NN_LAYER_GRU, "GRU", "gru", 3, 4},
};

/*
 * One layer of each kind, one way and bidirectional, with and without
 * return_sequences, over [STEPS, FEATURES] rows: its nodes and attributes
 */
static void
test_layer_nodes(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int bidir = 0; bidir <= 1; bidir++)
			for (int seq = 0; seq <= 1; seq++)
			{
				const Case *k = &cases[c];
				NNRecurrentSettings s = {UNITS, (uint8_t) seq, (uint8_t) bidir, 0.25f};
				NNShape		in = {2, {STEPS, FEATURES}};
				KindWalk	walk;
				size_t		len;
				uint8_t    *buf = kind_graph(&walk, k->kind, in, &s, sizeof(s), "features",
											 &len);
				char		want[120],
							got[120],
							name[40];
				int64_t		v[8];
				PbField		node;

				/* rows to time-major, the node, back to rows */
				snprintf(want, sizeof(want), "Reshape Transpose %s Transpose Flatten", k->op);
				graph_ops(buf, len, got, sizeof(got));
				CHECK_MSG(strcmp(got, want) == 0, "%s: ops \"%s\"", k->op, got);
				CHECK(tensor_int64s(buf, len, "layer0.sequence_shape", v, 8) == 3 &&
					  v[0] == -1 && v[1] == STEPS && v[2] == FEATURES);
				if (CHECK(graph_member(buf, len, 1, 2, "layer0.time_major", &node)))
					CHECK(node_ints(&node, "perm", v, 8) == 3 && v[0] == 1 && v[1] == 0 &&
						  v[2] == 2);

				/* the node: Y, or Y_h alone (its second output) */
				snprintf(name, sizeof(name), "layer0.%s%s", k->stage, seq ? "" : "_h");
				if (!CHECK_MSG(graph_member(buf, len, 1, 3, name, &node), "%s: no node %s",
							   k->op, name))
				{
					free(buf);
					continue;
				}
				node_names(&node, 1, got, sizeof(got));
				CHECK_MSG(strcmp(got, "layer0.time_major layer0.weight "
								 "layer0.recurrent_weight layer0.bias") == 0,
						  "%s: inputs \"%s\"", k->op, got);
				node_names(&node, 2, got, sizeof(got));
				snprintf(want, sizeof(want), "%s%s", seq ? "" : "- ", name);
				CHECK_MSG(strcmp(got, want) == 0, "%s: outputs \"%s\"", k->op, got);
				CHECK_EQ_INT(node_int(&node, "hidden_size"), UNITS);
				CHECK(node_strings(&node, "direction", ATTR_TYPE_STRING, got, sizeof(got)) ==
					  (bidir == 1));
				CHECK(!bidir || strcmp(got, "bidirectional") == 0);
				/* RNN: tanh per direction; GRU: the reset gate after R h */
				CHECK(node_strings(&node, "activations", ATTR_TYPE_STRINGS, got,
								   sizeof(got)) == (k->kind == NN_LAYER_RNN));
				CHECK(k->kind != NN_LAYER_RNN ||
					  strcmp(got, bidir ? "Tanh Tanh" : "Tanh") == 0);
				CHECK_EQ_INT(node_int(&node, "linear_before_reset"),
							 k->kind == NN_LAYER_GRU ? 1 : -1);

				check_to_rows(buf, len, 0, seq == 1);
				free(buf);
			}
}

/*
 * W [D, G x H, F] and R [D, G x H, H] are the parameters as stored; B [D,
 * 2 G x H] is, per direction, nn's first G x H biases (Wb), then zeros but
 * for GRU's b_rh at the end (Rb)
 */
static void
test_layer_initializers(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int bidir = 0; bidir <= 1; bidir++)
		{
			const Case *k = &cases[c];
			NNRecurrentSettings s = {UNITS, 0, (uint8_t) bidir, 0.0f};
			NNShape		in = {2, {STEPS, FEATURES}};
			KindWalk	walk;
			size_t		len;
			uint8_t    *buf = kind_graph(&walk, k->kind, in, &s, sizeof(s), "features", &len);
			size_t		d = bidir ? 2 : 1;
			size_t		gh = k->gates * UNITS;
			size_t		nw = d * gh * FEATURES;
			size_t		nr = d * gh * UNITS;
			size_t		per = k->bias * UNITS;
			uint64_t	dims[6];
			float		b[2 * 2 * 4 * UNITS];

			CHECK(tensor_dims(buf, len, "layer0.weight", dims, 6) == 3 && dims[0] == d &&
				  dims[1] == gh && dims[2] == FEATURES);
			CHECK(tensor_dims(buf, len, "layer0.recurrent_weight", dims, 6) == 3 &&
				  dims[0] == d && dims[1] == gh && dims[2] == UNITS);
			CHECK(tensor_dims(buf, len, "layer0.bias", dims, 6) == 2 && dims[0] == d &&
				  dims[1] == 2 * gh);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			CHECK(tensor_floats_at(buf, len, "layer0.weight", walk.params, 0, nw));
			CHECK(tensor_floats_at(buf, len, "layer0.recurrent_weight", walk.params, nw, nr));
#endif
			/* params[i] = i: nn's bias j of direction i is nw + nr + i per + j */
			if (CHECK_MSG(tensor_floats(buf, len, "layer0.bias", b, d * 2 * gh),
						  "%s: bias size", k->op))
				for (size_t i = 0; i < d; i++)
					for (size_t j = 0; j < 2 * gh; j++)
					{
						float		want = 0.0f;

						if (j < gh)
							want = (float) (nw + nr + i * per + j);
						else if (j >= 2 * gh - (per - gh))
							want = (float) (nw + nr + i * per + per - (2 * gh - j));
						CHECK_MSG(b[i * 2 * gh + j] == want, "%s: B[%zu][%zu] = %g, not %g",
								  k->op, i, j, b[i * 2 * gh + j], want);
					}
			free(buf);
		}
}

/* ------------------------------------------------------------ in a network */

/*
 * [STEPS, FEATURES] rows, standardized -> lstm 3 with return_sequences ->
 * gru 2 bidirectional -> dense 4 -> softmax 3; with sequences, the gru
 * returns every step too, flattened step-major for the dense layer
 */
static uint8_t *
stacked_export(NNModel *m, bool sequences, size_t *len)
{
	static char *classes[] = {"a", "b", "c"};
	static float mean[STEPS * FEATURES],
				sd[STEPS * FEATURES];
	NNRecurrentSettings lstm = {3, 1, 0, 0.0f};
	NNRecurrentSettings gru = {2, (uint8_t) sequences, 1, 0.5f};
	NNNet	   *net = &m->net;
	NNRng		rng;
	const char *msg;
	char		err[200];

	memset(m, 0, sizeof(*m));
	net->n_layers = 4;
	net->shapes[0] = (NNShape) {2, {STEPS, FEATURES}};
	nn_recurrent_set(net, 0, NN_LAYER_LSTM, &lstm);
	nn_recurrent_set(net, 1, NN_LAYER_GRU, &gru);
	nn_dense_set(net, 2, 4, NN_ACT_RELU, false, 0.0f);
	nn_dense_set(net, 3, 3, NN_ACT_SOFTMAX, false, 0.0f);
	set_training(net, NN_LOSS_CROSS_ENTROPY);
	msg = nn_net_layout(net);
	CHECK_MSG(msg == NULL, "layout: %s", msg);
	net->params = xcalloc(net->n_params, sizeof(float));
	nn_rng_seed(&rng, 16);
	nn_net_init_params(net, NN_INIT_AUTO, &rng);
	for (int i = 0; i < STEPS * FEATURES; i++)
		mean[i] = 0.5f, sd[i] = 2.0f;
	m->task = NN_TASK_CLASSIFICATION;
	m->target_name = "y";
	m->options_json = "{}";
	m->n_classes = 3;
	m->classes = classes;
	m->standardized = true;
	m->x_mean = mean;
	m->x_std = sd;
	m->y_std = 1.0f;
	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "model: %s", err);
	return export(m, len);
}

/*
 * The second recurrent layer takes the first one's time-major output as it
 * is ([steps, N, 1 x 3]); the dense layer gets rows, the last step's or
 * every step's, flattened; the tensors of layer 1 come after layer 0's
 */
static void
test_stacked(void)
{
	for (int seq = 0; seq <= 1; seq++)
	{
		NNModel		m;
		size_t		len;
		uint8_t    *buf = stacked_export(&m, seq == 1, &len);
		char		ops[300],
					names[200];
		int64_t		v[8];
		uint64_t	dims[6];
		PbField		node;

		graph_ops(buf, len, ops, sizeof(ops));
		CHECK_MSG(strcmp(ops, "Sub Div Reshape Transpose LSTM Transpose Reshape GRU "
						 "Transpose Flatten Gemm Relu Gemm Softmax ArgMax") == 0,
				  "ops \"%s\"", ops);
		CHECK(graph_member(buf, len, 1, 2, "layer0.sequences", &node));
		node_names(&node, 1, names, sizeof(names));
		CHECK_MSG(strcmp(names, "standardized layer0.sequence_shape") == 0, "\"%s\"", names);
		/* Y [steps, 1, N, 3] -> [steps, N, 1, 3] -> [steps, N, 3] */
		CHECK(graph_member(buf, len, 1, 2, "layer0.step_units", &node) &&
			  node_ints(&node, "perm", v, 8) == 4 && v[0] == 0 && v[1] == 2 && v[2] == 1 &&
			  v[3] == 3);
		CHECK(tensor_int64s(buf, len, "layer0.output_shape", v, 8) == 3 && v[0] == STEPS &&
			  v[1] == -1 && v[2] == 3);
		if (CHECK(graph_member(buf, len, 1, 3, seq ? "layer1.gru" : "layer1.gru_h", &node)))
		{
			node_names(&node, 1, names, sizeof(names));
			CHECK_MSG(strcmp(names, "layer0.sequence_out layer1.weight "
							 "layer1.recurrent_weight layer1.bias") == 0, "\"%s\"", names);
		}
		CHECK(tensor_int64s(buf, len, "layer1.sequence_shape", v, 8) == -1);
		CHECK(tensor_dims(buf, len, "layer1.weight", dims, 6) == 3 && dims[0] == 2 &&
			  dims[1] == 6 && dims[2] == 3);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		CHECK(tensor_floats_at(buf, len, "layer1.weight", m.net.params,
							   nn_net_weight_offset(&m.net, 1), 2 * 6 * 3));
#endif
		/* the dense layer: [N, 2 x 2] or [N, steps x 2 x 2], step-major */
		check_to_rows(buf, len, 1, seq == 1);
		CHECK(tensor_dims(buf, len, "layer2.weight", dims, 6) == 2 && dims[0] == 4 &&
			  dims[1] == (seq ? STEPS * 4u : 4u));
		free(buf);
		free(m.net.params);
	}
}

int
main(void)
{
	RUN_TEST(test_layer_nodes);
	RUN_TEST(test_layer_initializers);
	RUN_TEST(test_stacked);
	return harness_finish("test_onnx_recurrent");
}
