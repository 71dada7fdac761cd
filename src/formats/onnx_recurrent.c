/*
 * onnx_recurrent.c - the export entries (onnx_graph.h) of the recurrent
 * layer kinds (kernels/recurrent_layer.h): one ONNX node per layer, RNN
 * (activations Tanh), LSTM or GRU (linear_before_reset = 1), direction
 * "bidirectional" when the layer is.
 *
 * The operators work on time-major values, nn's rows are step-major:
 *   input   a layer fed by rows (the network's first: [N, steps x features],
 *           standardized) reshapes them to [N, steps, features] and
 *           transposes them to [steps, N, features]; a layer after a
 *           recurrent layer with return_sequences takes its time-major
 *           output as it is
 *   output  Y [steps, D, N, H] with return_sequences, else Y_h [D, N, H]
 *           (the backward direction's last step is step 0, as in nn); made
 *           [steps, N, D x H] for a recurrent layer that follows, else nn's
 *           rows: [N, steps x D x H] step-major or [N, D x H], forward units
 *           before backward ones
 * Opset 13 has the operators' version 7, without the layout attribute of
 * version 14: hence the transposes.
 *
 * W and R are the layer's parameters as they are (nn's layout is ONNX's);
 * B is ONNX's [Wb, Rb] per direction, Rb zero but for GRU's b_rh in its h
 * slot.  Dropout is the identity at inference and adds nothing.
 */
#include "kernels/recurrent_layer.h"
#include "onnx_graph.h"

/* ONNX's B of a layer, written by EmitBias */
typedef struct Bias
{
	const float *b;				/* the layer's b: D blocks of per floats */
	uint32_t	directions;
	size_t		gate_floats;	/* G x H: Wb, and Rb */
	size_t		per;			/* nn's biases a direction */
} Bias;

/*
 * Per direction, Wb (nn's first G x H biases), then Rb: zeros but for the
 * biases nn has beyond G x H (GRU's b_rh), which end it
 */
static void
EmitBias(Writer *w, const void *arg)
{
	const Bias *bias = arg;
	size_t		extra = bias->per - bias->gate_floats;

	for (uint32_t d = 0; d < bias->directions; d++)
	{
		const float *b = bias->b + d * bias->per;

		PutFloatsLE(w, b, bias->gate_floats);
		for (size_t i = 0; i < bias->gate_floats - extra; i++)
			PutU32LE(w, 0);
		PutFloatsLE(w, b + bias->gate_floats, extra);
	}
}

/*
 * Layer l's output is time-major for layer l + 1: both recurrent, l
 * returning every step
 */
static bool
FeedsTimeMajor(const NNNet *net, uint32_t l)
{
	return l + 1 < net->n_layers &&
		nn_recurrent_gates(net->layers[l].kind) > 0 &&
		nn_recurrent(net, l)->return_sequences &&
		nn_recurrent_gates(net->layers[l + 1].kind) > 0;
}

/* a Reshape of cur by the int64 shape dims (n values) into out */
static void
AddReshape(GraphWalk *g, uint32_t l, const char *shape_name, const int64_t *dims, int n,
		   const char *cur, const char *out)
{
	char		shape[NAME_LEN];
	Tensor		t = {shape, DTYPE_INT64, 1, {(uint64_t) n}, NULL, 0.0, dims, NULL, NULL};

	OnnxLayerName(shape, l, shape_name);
	OnnxAddTensor(g, &t);
	OnnxAddOp(g, "Reshape", cur, shape, out);
}

/* a Transpose of cur by perm (n axes) into out */
static void
AddTranspose(GraphWalk *g, const int64_t *perm, int n, const char *cur, const char *out)
{
	Node		t = {"Transpose", {cur}, 1, out,
	{{"perm", ATTR_TYPE_INTS, 0.0f, n, perm, NULL}}, 1, 0};

	OnnxAddNode(g, &t);
}

/* rows [N, steps x features] to [steps, N, features]; cur names the result */
static void
AddTimeMajorInput(GraphWalk *g, uint32_t l, char *cur)
{
	const NNShape *in = &g->m->net.shapes[l];
	const int64_t dims[3] = {-1, in->dims[0], in->dims[1]};
	static const int64_t perm[3] = {1, 0, 2};
	char		steps[NAME_LEN];

	OnnxLayerName(steps, l, "sequences");
	AddReshape(g, l, "sequence_shape", dims, 3, cur, steps);
	OnnxLayerName(cur, l, "time_major");
	AddTranspose(g, perm, 3, steps, cur);
}

/*
 * Y or Y_h, cur, to what layer l + 1 takes (see the top); cur names the
 * result, final when the network ends here
 */
static void
AddOutput(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	const NNNet *net = &g->m->net;
	const NNRecurrentSettings *s = nn_recurrent(net, l);
	int64_t		width = (int64_t) nn_recurrent_directions(net, l) * s->units;
	char		moved[NAME_LEN],
				next[NAME_LEN];
	Node		flatten = {"Flatten", {moved}, 1, next,
	{{"axis", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL}}, 1, 0};

	if (FeedsTimeMajor(net, l))
	{
		/* [steps, D, N, H] -> [steps, N, D, H] -> [steps, N, D x H] */
		static const int64_t perm[4] = {0, 2, 1, 3};
		const int64_t dims[3] = {net->shapes[l].dims[0], -1, width};

		OnnxLayerName(moved, l, "step_units");
		AddTranspose(g, perm, 4, cur, moved);
		OnnxLayerName(next, l, "sequence_out");
		AddReshape(g, l, "output_shape", dims, 3, moved, next);
	}
	else
	{
		/* [steps, D, N, H] -> [N, steps, D, H], or [D, N, H] -> [N, D, H] */
		static const int64_t perm_sequences[4] = {2, 0, 1, 3};
		static const int64_t perm_last[3] = {1, 0, 2};

		OnnxLayerName(moved, l, "batch_major");
		if (s->return_sequences)
			AddTranspose(g, perm_sequences, 4, cur, moved);
		else
			AddTranspose(g, perm_last, 3, cur, moved);
		OnnxStageName(next, l, "flatten", true, final);
		OnnxAddNode(g, &flatten);
	}
	strcpy(cur, next);
}

static void
WalkRecurrent(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	static const char *const tanh2[2] = {"Tanh", "Tanh"};
	static const char *const bidirectional[1] = {"bidirectional"};
	const NNNet *net = &g->m->net;
	const NNRecurrentSettings *s = nn_recurrent(net, l);
	NNLayerKind kind = (NNLayerKind) net->layers[l].kind;
	uint64_t	d = nn_recurrent_directions(net, l);
	uint64_t	h = s->units;
	uint64_t	gh = nn_recurrent_gates(kind) * h;
	uint64_t	f = net->shapes[l].dims[1];
	const float *p = net->params + nn_net_weight_offset(net, l);
	char		w[NAME_LEN],
				r[NAME_LEN],
				b[NAME_LEN],
				out[NAME_LEN];
	Bias		bias = {p + d * gh * (f + h), (uint32_t) d, gh,
	nn_recurrent_bias_floats(kind, s->units)};
	Tensor		tw = {w, DTYPE_FLOAT, 3, {d, gh, f}, p, 0.0, NULL, NULL, NULL};
	Tensor		tr = {r, DTYPE_FLOAT, 3, {d, gh, h}, p + d * gh * f, 0.0, NULL, NULL, NULL};
	Tensor		tb = {b, DTYPE_FLOAT, 2, {d, 2 * gh}, NULL, 0.0, NULL, EmitBias, &bias};
	Node		n = {NULL, {cur, w, r, b}, 4, out, {{0}}, 0, 0};
	const char *stage;

	if (l == 0 || !FeedsTimeMajor(net, l - 1))
		AddTimeMajorInput(g, l, cur);
	OnnxLayerName(w, l, "weight");
	OnnxLayerName(r, l, "recurrent_weight");
	OnnxLayerName(b, l, "bias");
	OnnxAddTensor(g, &tw);
	OnnxAddTensor(g, &tr);
	OnnxAddTensor(g, &tb);

	n.op = kind == NN_LAYER_LSTM ? "LSTM" : kind == NN_LAYER_GRU ? "GRU" : "RNN";
	stage = kind == NN_LAYER_LSTM ? "lstm" : kind == NN_LAYER_GRU ? "gru" : "rnn";
	if (kind == NN_LAYER_RNN)
		n.attr[n.n_attr++] = (Attr) {"activations", ATTR_TYPE_STRINGS, 0.0f, (int64_t) d,
		NULL, tanh2};
	if (d == 2)
		n.attr[n.n_attr++] = (Attr) {"direction", ATTR_TYPE_STRING, 0.0f, 1, NULL,
		bidirectional};
	n.attr[n.n_attr++] = (Attr) {"hidden_size", ATTR_TYPE_INT, 0.0f, (int64_t) h, NULL, NULL};
	if (kind == NN_LAYER_GRU)
		n.attr[n.n_attr++] = (Attr) {"linear_before_reset", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL};
	/* every step's Y, or only the last one's Y_h, the node's second output */
	n.out_index = s->return_sequences ? 0 : 1;
	OnnxLayerName(out, l, stage);
	if (!s->return_sequences)
		strcat(out, "_h");
	OnnxAddNode(g, &n);
	strcpy(cur, out);
	AddOutput(g, l, cur, final);
}

const NNOnnxLayer nn_onnx_rnn = {.walk = WalkRecurrent};
const NNOnnxLayer nn_onnx_lstm = {.walk = WalkRecurrent};
const NNOnnxLayer nn_onnx_gru = {.walk = WalkRecurrent};
