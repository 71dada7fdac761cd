# nn: PGXS build of one shared library from the folders of src/, one per
# phase (README, Layout): kernels, formats, shared, train, score, inspect.
EXTENSION = nn
MODULE_big = nn
# every install and upgrade script: nn--A.sql, nn--A--B.sql
DATA = $(wildcard nn--*.sql)
PGFILEDESC = "nn - neural networks inside PostgreSQL"

OBJS = $(patsubst %.c,%.o,$(wildcard src/*/*.c))

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=nn

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -std=gnu11
SHLIB_LINK = -lopenblas -lm

# The kernels are hot loops over float arrays: let gcc vectorize them, sqrtf
# included (it cannot while sqrtf may set errno).  No flag reorders float
# arithmetic, and -ffp-contract=off keeps gcc from fusing a multiply and an
# add where a function is also built for a CPU with FMA (optimizers.c), so
# results stay the same bytes on every CPU.
$(patsubst %.c,%.o,$(wildcard src/kernels/*.c)): CFLAGS += -O3 -fno-math-errno -ffp-contract=off

# pg_regress's sessions run without the once-per-backend advice about a
# slow OpenBLAS kernel (nn.blas_core_warning), so the expected output is the
# same on every CPU
installcheck: export PGOPTIONS += -c nn.blas_core_warning=off

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when one changes,
# since the phases share struct layouts through their headers (shared.h,
# train.h, score.h and the kernels' and formats' own).  (After the
# include: a rule before it would become the default goal, and a bare
# `make` would build only the first object.)
$(OBJS): $(wildcard src/*/*.h) Makefile
