/*
 * sgemm_floor.c - the compute floor of one training epoch of a dense MLP.
 *
 * Times cblas_sgemm alone at the shapes one epoch of minibatch training
 * needs, with nothing else (no activations, losses, optimizer, data
 * movement).  Per minibatch of b rows and per dense layer in -> out
 * (row-major, X: b x in, W: out x in as nn and torch.nn.Linear store it,
 * Y: b x out):
 *
 *   forward   Y  = X  W'         2*b*in*out FLOPs   every layer
 *   backward  dW = dY' X         2*b*in*out         every layer
 *             dX = dY W          2*b*in*out         every layer but the first
 *
 * (--w-in-out stores W as in x out instead: Y = X W, dW = X' dY, dX = dY W';
 * the same FLOPs through other transposes, which OpenBLAS may run at
 * another speed.)
 *
 * An epoch of ROWS rows is ceil(ROWS/BATCH) minibatches (the last one
 * partial), so its FLOPs are 2*ROWS*(2*sum(in*out) + sum_{l>=2}(in*out)).
 * The epoch is repeated REPS times after one warm-up; the median is the
 * floor nn's seconds per epoch can be compared with.
 *
 * Usage: sgemm_floor [--flops-only] [--reps R] [--threads T] [--w-in-out] ROWS BATCH N0 N1 ... Nk
 *        e.g. sgemm_floor 60000 128 784 256 128 10
 * Prints one JSON line.  --threads 0 (the default) keeps OpenBLAS's own
 * choice (OPENBLAS_NUM_THREADS or the number of cores).
 *
 * Build: gcc -O2 -o sgemm_floor sgemm_floor.c -lopenblas
 */
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LAYERS 64

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static float *
alloc_filled(size_t n, unsigned *seed)
{
	float	   *p = malloc(n * sizeof(float));

	if (p == NULL)
	{
		fprintf(stderr, "sgemm_floor: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
	{
		*seed = *seed * 1103515245u + 12345u;
		p[i] = ((float) ((*seed >> 16) & 0x7fff) / 32768.0f - 0.5f) * 0.1f;
	}
	return p;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sgemm_floor [--flops-only] [--reps R] [--threads T] [--w-in-out] ROWS BATCH N0 N1 ... Nk\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int			flops_only = 0,
				w_out_in = 1,
				reps = 5,
				threads = 0,
				argi = 1;
	long		rows,
				batch;
	int			n_sizes = 0;
	long		sizes[MAX_LAYERS + 1];

	while (argi < argc && strncmp(argv[argi], "--", 2) == 0)
	{
		if (strcmp(argv[argi], "--flops-only") == 0)
			flops_only = 1;
		else if (strcmp(argv[argi], "--reps") == 0 && argi + 1 < argc)
			reps = atoi(argv[++argi]);
		else if (strcmp(argv[argi], "--threads") == 0 && argi + 1 < argc)
			threads = atoi(argv[++argi]);
		else if (strcmp(argv[argi], "--w-in-out") == 0)
			w_out_in = 0;
		else
			usage();
		argi++;
	}
	if (argc - argi < 4 || argc - argi - 2 > MAX_LAYERS + 1 || reps < 1 || threads < 0)
		usage();
	rows = atol(argv[argi++]);
	batch = atol(argv[argi++]);
	while (argi < argc)
		sizes[n_sizes++] = atol(argv[argi++]);
	if (rows < 1 || batch < 1)
		usage();
	for (int l = 0; l < n_sizes; l++)
		if (sizes[l] < 1)
			usage();

	int			n_layers = n_sizes - 1;
	long		n_batches = (rows + batch - 1) / batch;
	double		sum_io = 0,
				sum_io_tail = 0;

	for (int l = 0; l < n_layers; l++)
	{
		sum_io += (double) sizes[l] * sizes[l + 1];
		if (l > 0)
			sum_io_tail += (double) sizes[l] * sizes[l + 1];
	}
	double		flops = 2.0 * rows * (2.0 * sum_io + sum_io_tail);
	int			gemms = n_batches * (3 * n_layers - 1);

	if (threads > 0)
		openblas_set_num_threads(threads);

	printf("{\"rows\": %ld, \"batch\": %ld, \"layers\": [", rows, batch);
	for (int l = 0; l < n_sizes; l++)
		printf("%s%ld", l ? ", " : "", sizes[l]);
	printf("], \"batches\": %ld, \"gemms\": %d, \"flops\": %.0f", n_batches, gemms, flops);
	if (flops_only)
	{
		printf("}\n");
		return 0;
	}

	/* activations a[l] (b x sizes[l]), their gradients g[l], weights w[l], dw[l] */
	float	   *a[MAX_LAYERS + 1],
			   *g[MAX_LAYERS + 1],
			   *w[MAX_LAYERS],
			   *dw[MAX_LAYERS];
	unsigned	seed = 1;

	for (int l = 0; l < n_sizes; l++)
	{
		a[l] = alloc_filled((size_t) batch * sizes[l], &seed);
		g[l] = alloc_filled((size_t) batch * sizes[l], &seed);
	}
	for (int l = 0; l < n_layers; l++)
	{
		w[l] = alloc_filled((size_t) sizes[l] * sizes[l + 1], &seed);
		dw[l] = alloc_filled((size_t) sizes[l] * sizes[l + 1], &seed);
	}

	double	   *t = malloc((reps + 1) * sizeof(double));

	for (int r = 0; r <= reps; r++)	/* r == 0: warm-up */
	{
		double		t0 = now();

		for (long bi = 0; bi < n_batches; bi++)
		{
			int			b = (int) (bi == n_batches - 1 ? rows - bi * batch : batch);

			for (int l = 0; l < n_layers; l++)
			{
				int			in = (int) sizes[l],
							out = (int) sizes[l + 1];

				if (w_out_in)	/* Y = X W' */
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, out, in,
								1.0f, a[l], in, w[l], in, 0.0f, a[l + 1], out);
				else			/* Y = X W */
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, out, in,
								1.0f, a[l], in, w[l], out, 0.0f, a[l + 1], out);
			}
			for (int l = n_layers - 1; l >= 0; l--)
			{
				int			in = (int) sizes[l],
							out = (int) sizes[l + 1];

				if (w_out_in)
				{
					/* dW = dY' X (out x in) */
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, b,
								1.0f, g[l + 1], out, a[l], in, 0.0f, dw[l], in);
					/* dX = dY W (not needed for the input layer) */
					if (l > 0)
						cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, in, out,
									1.0f, g[l + 1], out, w[l], in, 0.0f, g[l], in);
				}
				else
				{
					/* dW = X' dY (in x out) */
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, b,
								1.0f, a[l], in, g[l + 1], out, 0.0f, dw[l], out);
					/* dX = dY W' */
					if (l > 0)
						cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, out,
									1.0f, g[l + 1], out, w[l], out, 0.0f, g[l], in);
				}
			}
		}
		t[r] = now() - t0;
	}
	qsort(t + 1, reps, sizeof(double), cmp_double);
	double		med = reps % 2 ? t[1 + reps / 2] : (t[reps / 2] + t[reps / 2 + 1]) / 2;

	printf(", \"w_layout\": \"%s\", \"reps\": %d, \"threads\": %d, \"core\": \"%s\", \"seconds\": %.4f, "
		   "\"seconds_min\": %.4f, \"seconds_max\": %.4f, \"gflops_per_s\": %.2f}\n",
		   w_out_in ? "out x in" : "in x out", reps, openblas_get_num_threads(), openblas_get_corename(),
		   med, t[1], t[reps], flops / med * 1e-9);

	for (int l = 0; l < n_sizes; l++)
	{
		free(a[l]);
		free(g[l]);
	}
	for (int l = 0; l < n_layers; l++)
	{
		free(w[l]);
		free(dw[l]);
	}
	free(t);
	return 0;
}
