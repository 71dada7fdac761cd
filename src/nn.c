/*
 * nn.c - module entry: the magic block and the nn.* settings.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

extern int	nn_train_memory_mb;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("nn.train_memory",
							"Memory nn_train may use to hold training rows.",
							"Rows are kept as float32 between epochs; beyond this, nn_train fails.",
							&nn_train_memory_mb,
							1024, 1, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("nn");
}
