/*
 * catalog.c - the cache of names: the deployed model of a name in the
 * nn_models catalog, as a scorer, and the trigger that invalidates the
 * cache when nn_models changes (the registration nn_train's option "name"
 * asks for is in train/train.c).
 *
 * Each backend keeps a hash (user, name) -> NNScorer of the deployed
 * version, so a query scoring a million rows by name reads and parses the
 * model once and then costs one hash lookup a row.  The user is part of the
 * key because the model was read with that user's privileges (and row
 * security): another role must read it again.
 *
 * A statement trigger on nn_models sends a relcache invalidation for it on
 * every change; the callback only marks the cache stale (it may run in the
 * middle of a lookup, while a scorer is in use), and the next lookup frees
 * and rebuilds it.  Models are read with the latest snapshot, like the
 * system caches, so that what a stale-marked cache reloads is never older
 * than the change that invalidated it.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "score/score.h"

/* the longest name nn_models accepts (its CHECK), in bytes */
#define CATALOG_NAME_BYTES (NN_MODEL_NAME_MAX * MAX_MULTIBYTE_CHAR_LEN)

typedef struct CatalogKey
{
	Oid			userid;
	char		name[CATALOG_NAME_BYTES + 1];	/* zero padded: hashed as bytes */
} CatalogKey;

typedef struct CatalogEntry
{
	CatalogKey	key;
	NNScorer   *scorer;
} CatalogEntry;

static MemoryContext catalog_cxt = NULL;
static HTAB *catalog_hash = NULL;
static Oid	catalog_relid = InvalidOid;
static bool catalog_valid = false;
static bool callback_registered = false;

/*
 * Scorers read under a snapshot other than the latest (parallel mode) are
 * trusted only within that transaction; InvalidLocalTransactionId: always.
 */
static LocalTransactionId catalog_lxid = InvalidLocalTransactionId;

PG_FUNCTION_INFO_V1(nn_catalog_invalidate);

/* relcache callback: no freeing here, a scorer may be in use */
static void
CatalogInvalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == catalog_relid)
		catalog_valid = false;
}

/*
 * nn_models in the schema of the calling function, which is the
 * extension's: the extension is not relocatable, so its objects share one
 * schema.  (PostgreSQL 15 does not export get_extension_schema.)
 */
static Oid
CatalogRelid(Oid nsp)
{
	Oid			relid = get_relname_relid("nn_models", nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.nn_models\" does not exist", get_namespace_name(nsp)),
				 errhint("It comes with CREATE EXTENSION nn (version 1.1).")));
	return relid;
}

/* drop every scorer and start an empty cache */
static void
CatalogReset(Oid fn_oid)
{
	HASHCTL		ctl;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(CatalogInvalidate, (Datum) 0);
		callback_registered = true;
	}
	/*
	 * The old scorers live until the transaction ends, not just until now: a
	 * window function scoring by name uses the scorer of its chunk across
	 * calls, between which another by-name call may reset the cache.
	 */
	if (catalog_cxt != NULL)
		MemoryContextSetParent(catalog_cxt, TopTransactionContext);
	catalog_hash = NULL;
	catalog_cxt = AllocSetContextCreate(TopMemoryContext, "nn catalog", ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(CatalogKey);
	ctl.entrysize = sizeof(CatalogEntry);
	ctl.hcxt = catalog_cxt;
	catalog_hash = hash_create("nn catalog", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	catalog_lxid = InvalidLocalTransactionId;
	catalog_relid = CatalogRelid(get_func_namespace(fn_oid));
	/*
	 * Valid from before any model is read: an invalidation processed while
	 * reading marks it stale again, and one processed earlier is already
	 * in the latest snapshot the models are read with.
	 */
	catalog_valid = true;
}

static void pg_attribute_noreturn()
NoDeployedModel(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("no deployed model named \"%s\" in nn_models", name),
			 errhint("nn_list_models() lists the models; nn_deploy(name, version) deploys one.")));
}

/*
 * Read and parse the deployed version of name, with the current user's
 * privileges; the scorer is moved into the cache only once it parsed.
 */
static NNScorer *
LoadDeployed(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char	   *sql;
	SPIPlanPtr	plan;
	Snapshot	snapshot;
	struct varlena *model;
	bool		isnull;
	NNScorer   *s;

	SPI_connect();
	sql = psprintf("SELECT model FROM %s WHERE name = $1 AND deployed",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(catalog_relid)),
											  get_rel_name(catalog_relid)));
	plan = SPI_prepare(sql, 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	/* the latest snapshot cannot be taken in parallel mode */
	if (IsInParallelMode())
	{
		snapshot = GetActiveSnapshot();
		catalog_lxid = MyProc->lxid;
	}
	else
		snapshot = GetLatestSnapshot();
	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_snapshot(plan, args, NULL, snapshot, InvalidSnapshot, true, false, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed for \"%s\"", sql);
	if (SPI_processed == 0)
		NoDeployedModel(name);
	/* still a TOAST pointer: scoring fetches only what it reads */
	model = (struct varlena *) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 1, &isnull));
	s = nn_scorer_create(model, CurrentMemoryContext);
	MemoryContextSetParent(s->cxt, catalog_cxt);
	SPI_finish();
	return s;
}

/*
 * The scorer of the deployed version of name, for the current user: one
 * hash lookup when cached.  Valid until the end of the transaction.
 */
NNScorer *
nn_catalog_scorer(FunctionCallInfo fcinfo, text *name)
{
	CatalogKey	key;
	CatalogEntry *entry;
	int			len = VARSIZE_ANY_EXHDR(name);
	bool		found;
	NNScorer   *s;

	if (!catalog_valid ||
		(catalog_lxid != InvalidLocalTransactionId && catalog_lxid != MyProc->lxid))
		CatalogReset(fcinfo->flinfo->fn_oid);
	if (len > CATALOG_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no deployed model with a name of %d bytes in nn_models", len),
				 errdetail("Model names are at most %d characters long.", NN_MODEL_NAME_MAX)));
	memset(&key, 0, sizeof(key));
	key.userid = GetUserId();
	memcpy(key.name, VARDATA_ANY(name), len);
	entry = hash_search(catalog_hash, &key, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->scorer;
	s = LoadDeployed(key.name);
	/* if an invalidation came while loading, the next lookup drops it */
	entry = hash_search(catalog_hash, &key, HASH_ENTER, &found);
	entry->scorer = s;
	return s;
}

Datum
nn_catalog_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("nn_catalog_invalidate must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
