/*
 * resolve.c - the one place a scoring function's model argument becomes a
 * scorer.  Every SQL scoring function has two overloads, the model given
 * as a bytea or as the name of a deployed model in nn_models, served by
 * one C function; the call site's state (NNScoreSite, in fn_extra) records
 * which once, from the argument's type.  A name goes to the cache of names
 * (catalog.c).  A bytea's parsed model is cached by its bytes: the call
 * site keeps the scorer of the last one it was given (here), and a model
 * stored out of line is also kept by the backend across queries
 * (modelcache.c), borrowed by the call site's scorer.
 *
 * The call site's key is the model's TOAST pointer when the value is
 * stored out of line, so a hit costs no detoasting; an in-line value is
 * compared by its bytes, which are small by definition.  So a query scoring
 * a million rows parses the model once.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "score/score.h"

/* a call site's entry, in the memory of its scorer */
typedef struct SiteEntry
{
	bool		toasted;
	Oid			toastrelid;		/* key when toasted */
	Oid			valueid;
	char	   *bytes;			/* key when in line */
	size_t		len;
	bool		stable;			/* the argument is a constant or parameter */
	NNScorer   *scorer;			/* owns the memory of everything here */
} SiteEntry;

/* a scorer of its own (workspace) for the backend's cached model e */
static NNScorer *
BorrowScorer(NNCachedModel *e, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nn scorer", ALLOCSET_SMALL_SIZES);
	NNScorer   *s = nn_scorer_new(cxt, (NNModel *) nn_cached_model(e));

	s->shared = e;
	nn_cached_model_pin(e, cxt);
	return s;
}

static SiteEntry *
InstallEntry(void **slot, NNScorer *s)
{
	SiteEntry  *old = (SiteEntry *) *slot;
	SiteEntry  *c = MemoryContextAllocZero(s->cxt, sizeof(SiteEntry));

	c->scorer = s;
	/* only now that the new model parsed is the old one dropped */
	if (old != NULL)
		nn_scorer_free(old->scorer);
	*slot = c;
	return c;
}

static SiteEntry *
ParseEntry(void **slot, MemoryContext mcxt, struct varlena *model)
{
	return InstallEntry(slot, nn_scorer_create(model, mcxt));
}

/* the TOAST pointer of a value stored out of line, or false */
static bool
ToastPointer(Datum model, struct varatt_external *ext)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(model);

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return false;
	VARATT_EXTERNAL_GET_POINTER(*ext, raw);
	return true;
}

/* the entry is this model: a TOAST pointer or an in-line value's bytes */
static bool
EntryMatches(const SiteEntry *c, Datum model)
{
	struct varatt_external ext;
	bytea	   *b;

	if (c == NULL)
		return false;
	if (ToastPointer(model, &ext))
		return c->toasted && c->valueid == ext.va_valueid &&
			c->toastrelid == ext.va_toastrelid;
	if (c->toasted)
		return false;
	b = DatumGetByteaPP(model);
	return c->len == VARSIZE_ANY_EXHDR(b) && memcmp(c->bytes, VARDATA_ANY(b), c->len) == 0;
}

/*
 * The entry of a model bytea, kept in *slot (a call site's, in memory
 * context mcxt) and parsed again only when the model changes.
 */
static SiteEntry *
SiteLookup(Datum model, void **slot, MemoryContext mcxt)
{
	SiteEntry  *c = (SiteEntry *) *slot;
	struct varatt_external ext;
	bytea	   *b;

	if (EntryMatches(c, model))
		return c;
	if (ToastPointer(model, &ext))
	{
		NNModel    *unkept;
		MemoryContext unkept_cxt;
		NNCachedModel *e = nn_model_cache_get(model, &unkept, &unkept_cxt);

		if (e != NULL)
			c = InstallEntry(slot, BorrowScorer(e, mcxt));
		else if (unkept != NULL)
		{
			/* parsed for the cache but not kept there: this call site's now */
			MemoryContextSetParent(unkept_cxt, mcxt);
			c = InstallEntry(slot, nn_scorer_new(unkept_cxt, unkept));
		}
		else
			c = ParseEntry(slot, mcxt, (struct varlena *) DatumGetPointer(model));
		c->toasted = true;
		c->valueid = ext.va_valueid;
		c->toastrelid = ext.va_toastrelid;
		return c;
	}
	b = DatumGetByteaPP(model);
	c = ParseEntry(slot, mcxt, (struct varlena *) b);
	c->len = VARSIZE_ANY_EXHDR(b);
	c->bytes = MemoryContextAlloc(c->scorer->cxt, Max(c->len, 1));
	memcpy(c->bytes, VARDATA_ANY(b), c->len);
	return c;
}

/*
 * The scorer of the call site's model bytea.  A constant or a query
 * parameter is the same value on every row of the query, so after the
 * first row it is not even compared: a large model held in memory (a
 * literal, a bound parameter) would otherwise be compared byte for byte on
 * every row.
 */
static NNScorer *
SiteScorer(FmgrInfo *flinfo, NNScoreSite *site, Datum model)
{
	SiteEntry  *c = (SiteEntry *) site->models;

	if (c != NULL && c->stable)
		return c->scorer;
	c = SiteLookup(model, &site->models, flinfo->fn_mcxt);
	c->stable = get_fn_expr_arg_stable(flinfo, site->argno);
	return c->scorer;
}

/* the call site's entry in slot is this model */
static bool
SiteHolds(void *slot, Datum model)
{
	SiteEntry  *c = (SiteEntry *) slot;

	return c != NULL && (c->stable || EntryMatches(c, model));
}

/*
 * The model argument argno is a name: its type in the call, or without a
 * call expression (a direct call) the function's declared type.
 */
static bool
ModelByName(FmgrInfo *flinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(flinfo, argno);

	if (type != TEXTOID && type != BYTEAOID)
	{
		Oid		   *argtypes;
		int			nargs;

		(void) get_func_signature(flinfo->fn_oid, &argtypes, &nargs);
		if (argno >= nargs)
			elog(ERROR, "function %u has no argument %d", flinfo->fn_oid, argno);
		type = argtypes[argno];
	}
	if (type != TEXTOID && type != BYTEAOID)
		elog(ERROR, "a model argument must be bytea or text, not type %u", type);
	return type == TEXTOID;
}

/* the call site's state, made at its first call; the model is argument argno */
NNScoreSite *
nn_score_site(FunctionCallInfo fcinfo, int argno)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	NNScoreSite *site = (NNScoreSite *) flinfo->fn_extra;

	if (site == NULL)
	{
		site = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(NNScoreSite));
		site->argno = argno;
		site->by_name = ModelByName(flinfo, argno);
		flinfo->fn_extra = site;
	}
	return site;
}

/*
 * The scorer of model, a value of the model argument: the deployed model of
 * a name (valid to the end of the transaction, shared by every by-name
 * call site of the backend), or a bytea's (this call site's own).
 */
NNScorer *
nn_score_resolve(FunctionCallInfo fcinfo, NNScoreSite *site, Datum model)
{
	if (site->by_name)
		return nn_catalog_scorer(fcinfo, DatumGetTextPP(model));
	return SiteScorer(fcinfo->flinfo, site, model);
}

/* the scorer of the model in argument argno */
NNScorer *
nn_score_resolve_arg(FunctionCallInfo fcinfo, int argno)
{
	return nn_score_resolve(fcinfo, nn_score_site(fcinfo, argno), PG_GETARG_DATUM(argno));
}

/*
 * model is the model that the site resolved last, from the value first:
 * the same name, or a bytea the site's cached model was parsed from.
 */
bool
nn_score_same_model(const NNScoreSite *site, Datum first, Datum model)
{
	text	   *a,
			   *b;

	if (!site->by_name)
		return SiteHolds(site->models, model);
	a = DatumGetTextPP(first);
	b = DatumGetTextPP(model);
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}
