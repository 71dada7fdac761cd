# nn: PGXS build of one shared library from src/ and src/kernels/.
EXTENSION = nn
MODULE_big = nn
DATA = nn--1.0.sql
PGFILEDESC = "nn - neural networks inside PostgreSQL"

OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c src/kernels/*.c))

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=nn

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -std=gnu11
SHLIB_LINK = -lopenblas -lm

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
