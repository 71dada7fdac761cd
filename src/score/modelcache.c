/*
 * modelcache.c - the backend's cache of parsed models stored out of line,
 * kept across queries, and nn_model_cache_stats() reporting on it.
 *
 * A scoring call site keeps the scorer of its last model (resolve.c), but
 * that lives for one query: a query that scores one row (an application
 * looking up one transaction) would fetch and parse the whole model every
 * time, 3 to 8 ms for a 2.8 MB Fashion-MNIST model against microseconds
 * for the row.  So parsed models stored in a table (TOASTed) are also kept
 * here, keyed by their TOAST pointer, and each call site's scorer borrows
 * the model from an entry (pinned while it does) with a workspace of its
 * own.
 *
 * A TOAST value never changes, but its OID may be given to another value
 * once it is deleted, vacuumed away and the OID counter has wrapped around.
 * So an entry found in a later transaction is checked first: the value's
 * size and its first and last CHECK_BYTES bytes (a slice each, one TOAST
 * chunk or two) must be the ones it was parsed from.  The header holds the
 * training state (optimizer steps, rows, the shuffle generator) and the
 * tail the last parameters or optimizer state, so a different model that
 * passes would have to agree with it in both.
 *
 * nn.model_cache_memory bounds the memory of the entries; the least
 * recently used entry nobody borrows goes first, and a model bigger than
 * the bound is not kept (its call sites parse it per query, as before).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "score/score.h"

#define MAX_ENTRIES 64
#define CHECK_BYTES 1024

struct NNCachedModel
{
	Oid			toastrelid;		/* key: the TOAST pointer */
	Oid			valueid;
	int32		size;			/* bytes of the model */
	int32		check_len;		/* bytes in head and tail */
	char		head[CHECK_BYTES];
	char		tail[CHECK_BYTES];
	LocalTransactionId checked; /* the transaction that last checked it */
	MemoryContext cxt;			/* holds the entry and everything below */
	NNModel    *model;
	float	   *weights_t;		/* nn.row_product = level1, made on first use */
	Size		bytes;			/* memory held in cxt */
	int			pins;			/* scorers borrowing the model now */
	bool		evicted;		/* out of the table: freed at the last unpin */
	uint64		last_used;
};

typedef struct CacheStats
{
	int64		hits;			/* a query's first use found the entry */
	int64		misses;			/* parsed and added */
	int64		stale;			/* found, but the value was another one */
	int64		not_kept;		/* bigger than nn.model_cache_memory */
	int64		evictions;
} CacheStats;

static NNCachedModel *entries[MAX_ENTRIES];
static int	n_entries = 0;
static uint64 use_clock = 0;
static CacheStats stats;

PG_FUNCTION_INFO_V1(nn_model_cache_stats);

static Size
CacheBudget(void)
{
	NNBudget	b = nn_model_cache_budget();

	return b.bytes;
}

static Size
CachedBytes(void)
{
	Size		total = 0;

	for (int i = 0; i < n_entries; i++)
		total += entries[i]->bytes;
	return total;
}

static void
FreeEntry(NNCachedModel *e)
{
	MemoryContextDelete(e->cxt);
}

/* take entry i out of the table; it is freed now or at its last unpin */
static void
Evict(int i)
{
	NNCachedModel *e = entries[i];

	entries[i] = entries[--n_entries];
	e->evicted = true;
	stats.evictions++;
	if (e->pins == 0)
		FreeEntry(e);
}

/* the least recently used entry no scorer borrows, or -1 */
static int
Victim(void)
{
	int			v = -1;

	for (int i = 0; i < n_entries; i++)
		if (entries[i]->pins == 0 &&
			(v < 0 || entries[i]->last_used < entries[v]->last_used))
			v = i;
	return v;
}

/* evict until `more` bytes fit the budget, or nothing more can go */
static void
FreeBytes(Size more)
{
	int			v;

	while (n_entries > 0 && CachedBytes() + more > CacheBudget() &&
		   (v = Victim()) >= 0)
		Evict(v);
}

/* room for one more entry of `more` bytes, as far as evicting can make it */
static void
MakeRoom(Size more)
{
	int			v;

	FreeBytes(more);
	while (n_entries >= MAX_ENTRIES && (v = Victim()) >= 0)
		Evict(v);
}

static void
ClearAll(void)
{
	while (n_entries > 0)
		Evict(n_entries - 1);
}

/* shrink to a lowered nn.model_cache_memory (0 empties the cache) */
static void
Shrink(void)
{
	int			v;

	if (CacheBudget() == 0)
		ClearAll();
	while (n_entries > 0 && CachedBytes() > CacheBudget() && (v = Victim()) >= 0)
		Evict(v);
}

/* the slice [offset, offset + len) of the stored value */
static bool
SliceEquals(struct varlena *raw, int32 offset, int32 len, const char *expected)
{
	struct varlena *slice = detoast_attr_slice(raw, offset, len);
	bool		same = VARSIZE_ANY_EXHDR(slice) == (Size) len &&
		memcmp(VARDATA_ANY(slice), expected, len) == 0;

	pfree(slice);
	return same;
}

/* the entry was parsed from this value (see the header comment) */
static bool
StillHolds(NNCachedModel *e, struct varlena *raw, const struct varatt_external *ext)
{
	if (e->checked == MyProc->lxid)
		return true;
	if (ext->va_rawsize - VARHDRSZ != e->size ||
		!SliceEquals(raw, 0, e->check_len, e->head) ||
		!SliceEquals(raw, e->size - e->check_len, e->check_len, e->tail))
		return false;
	e->checked = MyProc->lxid;
	return true;
}

static NNCachedModel *
Find(const struct varatt_external *ext)
{
	for (int i = 0; i < n_entries; i++)
		if (entries[i]->valueid == ext->va_valueid &&
			entries[i]->toastrelid == ext->va_toastrelid)
			return entries[i];
	return NULL;
}

/*
 * Parse the value into a new entry; NULL when it must not be kept, with
 * the parse handed over through *unkept and *unkept_cxt.
 */
static NNCachedModel *
AddEntry(struct varlena *raw, const struct varatt_external *ext, NNModel **unkept,
		 MemoryContext *unkept_cxt)
{
	int32		size = ext->va_rawsize - VARHDRSZ;
	int32		check_len = Min(size, CHECK_BYTES);

	/* the parse reads no optimizer state, so the tail is a slice of its own */
	struct varlena *head = detoast_attr_slice(raw, 0, check_len);
	struct varlena *tail = detoast_attr_slice(raw, size - check_len, check_len);
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "nn cached model",
											  ALLOCSET_DEFAULT_SIZES);
	NNCachedModel *e = MemoryContextAllocZero(cxt, sizeof(NNCachedModel));

	PG_TRY();
	{
		e->model = nn_model_for_scoring(raw, cxt);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	e->cxt = cxt;
	e->toastrelid = ext->va_toastrelid;
	e->valueid = ext->va_valueid;
	e->size = size;
	e->check_len = check_len;
	memcpy(e->head, VARDATA_ANY(head), e->check_len);
	memcpy(e->tail, VARDATA_ANY(tail), e->check_len);
	pfree(head);
	pfree(tail);
	e->checked = MyProc->lxid;
	e->bytes = MemoryContextMemAllocated(cxt, true);
	if (e->bytes <= CacheBudget())
		MakeRoom(e->bytes);
	/* too big, or every slot borrowed by a call site of the running query */
	if (e->bytes > CacheBudget() || n_entries >= MAX_ENTRIES)
	{
		/* the call site scores with this parse rather than making another */
		stats.not_kept++;
		*unkept = e->model;
		*unkept_cxt = cxt;
		return NULL;
	}
	entries[n_entries++] = e;
	stats.misses++;
	return e;
}

NNCachedModel *
nn_model_cache_get(Datum model, NNModel **unkept, MemoryContext *unkept_cxt)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(model);
	struct varatt_external ext;
	NNCachedModel *e;
	int			i;

	*unkept = NULL;
	*unkept_cxt = NULL;
	/* a lowered nn.model_cache_memory (0: off) takes effect here */
	Shrink();
	if (CacheBudget() == 0 || !VARATT_IS_EXTERNAL_ONDISK(raw))
		return NULL;
	VARATT_EXTERNAL_GET_POINTER(ext, raw);
	e = Find(&ext);
	if (e != NULL && !StillHolds(e, raw, &ext))
	{
		stats.stale++;
		for (i = 0; entries[i] != e; i++)
			;
		Evict(i);
		e = NULL;
	}
	if (e != NULL)
		stats.hits++;
	else
		e = AddEntry(raw, &ext, unkept, unkept_cxt);
	if (e != NULL)
		e->last_used = ++use_clock;
	return e;
}

const NNModel *
nn_cached_model(const NNCachedModel *e)
{
	return e->model;
}

static void
Unpin(void *arg)
{
	NNCachedModel *e = (NNCachedModel *) arg;

	if (--e->pins == 0 && e->evicted)
		FreeEntry(e);
}

void
nn_cached_model_pin(NNCachedModel *e, MemoryContext borrower)
{
	MemoryContextCallback *cb = MemoryContextAlloc(borrower, sizeof(MemoryContextCallback));

	cb->func = Unpin;
	cb->arg = e;
	MemoryContextRegisterResetCallback(borrower, cb);
	e->pins++;
}

/*
 * The entry's transposed weights, made by fill into the entry's memory on
 * first use (n floats); they count against nn.model_cache_memory.
 */
float *
nn_cached_weights_t(NNCachedModel *e, size_t n, void (*fill) (const NNNet *, float *))
{
	if (e->weights_t == NULL)
	{
		/*
		 * The entry was kept without them.  Were they added over the budget,
		 * the next query would evict the entry and parse the model again.
		 */
		FreeBytes(n * sizeof(float));
		if (!e->evicted && CachedBytes() + n * sizeof(float) > CacheBudget())
			return NULL;
		e->weights_t = MemoryContextAllocExtended(e->cxt, n * sizeof(float), MCXT_ALLOC_HUGE);
		fill(&e->model->net, e->weights_t);
		e->bytes = MemoryContextMemAllocated(e->cxt, true);
	}
	return e->weights_t;
}

static void
PutInt(JsonbParseState **state, const char *key, int64 value)
{
	JsonbValue	k,
				v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	pushJsonbValue(state, WJB_KEY, &k);
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* nn_model_cache_stats(): this backend's cache of stored models */
Datum
nn_model_cache_stats(PG_FUNCTION_ARGS)
{
	JsonbParseState *state = NULL;
	int64		pinned = 0;
	JsonbValue *result;

	Shrink();
	for (int i = 0; i < n_entries; i++)
		pinned += entries[i]->pins > 0;
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	PutInt(&state, "models", n_entries);
	PutInt(&state, "bytes", (int64) CachedBytes());
	PutInt(&state, "budget_bytes", (int64) CacheBudget());
	PutInt(&state, "in_use", pinned);
	PutInt(&state, "hits", stats.hits);
	PutInt(&state, "misses", stats.misses);
	PutInt(&state, "stale", stats.stale);
	PutInt(&state, "not_kept", stats.not_kept);
	PutInt(&state, "evictions", stats.evictions);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
