/*
 * json.c - the one way the SQL functions build JSON: PostgreSQL's jsonb
 * builder (pushJsonbValue), with typed helpers that give numbers the value
 * jsonb_in would read from their shortest decimal text.  Also a model's
 * options record: JSON text inside the model's bytes, checked as JSON when
 * a model is written and where it is read as JSON (nn_info, nn_continue),
 * pushed onto a builder in the same pass.
 */
#include "postgres.h"

#include <math.h>

#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "shared/shared.h"

/* a scalar as the element of an array or the value of the last key */
static void
PushScalar(JsonbParseState **st, JsonbValue *v)
{
	pushJsonbValue(st, (*st)->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE, v);
}

void
nn_json_key(JsonbParseState **st, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = unconstify(char *, key);
	v.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &v);
}

void
nn_json_string(JsonbParseState **st, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = unconstify(char *, s);
	v.val.string.len = strlen(s);
	PushScalar(st, &v);
}

/* a number given as JSON number text: numeric, as jsonb_in reads it */
void
nn_json_number(JsonbParseState **st, const char *text)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
	PushScalar(st, &v);
}

void
nn_json_int(JsonbParseState **st, int64 i)
{
	char		buf[MAXINT8LEN + 1];

	snprintf(buf, sizeof(buf), INT64_FORMAT, i);
	nn_json_number(st, buf);
}

void
nn_json_uint(JsonbParseState **st, uint64 u)
{
	char		buf[MAXINT8LEN + 1];

	snprintf(buf, sizeof(buf), UINT64_FORMAT, u);
	nn_json_number(st, buf);
}

void
nn_json_null(JsonbParseState **st)
{
	JsonbValue	v;

	v.type = jbvNull;
	PushScalar(st, &v);
}

/* the shortest decimal that reads back as the same float; null if not finite */
void
nn_json_float(JsonbParseState **st, float f)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

	if (!isfinite(f))
	{
		nn_json_null(st);
		return;
	}
	float_to_shortest_decimal_buf(f, buf);
	nn_json_number(st, buf);
}

void
nn_json_double(JsonbParseState **st, double d)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (!isfinite(d))
	{
		nn_json_null(st);
		return;
	}
	double_to_shortest_decimal_buf(d, buf);
	nn_json_number(st, buf);
}

void
nn_json_bool(JsonbParseState **st, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	PushScalar(st, &v);
}

/* ---------- the options record ---------- */

typedef struct RecordPush
{
	JsonbParseState **st;
	JsonbValue *done;			/* the last container closed: the record at the end */
} RecordPush;

static void
RecordObjectStart(void *arg)
{
	pushJsonbValue(((RecordPush *) arg)->st, WJB_BEGIN_OBJECT, NULL);
}

static void
RecordObjectEnd(void *arg)
{
	RecordPush *p = arg;

	p->done = pushJsonbValue(p->st, WJB_END_OBJECT, NULL);
}

static void
RecordArrayStart(void *arg)
{
	pushJsonbValue(((RecordPush *) arg)->st, WJB_BEGIN_ARRAY, NULL);
}

static void
RecordArrayEnd(void *arg)
{
	RecordPush *p = arg;

	p->done = pushJsonbValue(p->st, WJB_END_ARRAY, NULL);
}

static void
RecordKey(void *arg, char *fname, bool isnull)
{
	nn_json_key(((RecordPush *) arg)->st, fname);
}

static void
RecordScalar(void *arg, char *token, JsonTokenType type)
{
	JsonbParseState **st = ((RecordPush *) arg)->st;

	switch (type)
	{
		case JSON_TOKEN_STRING:
			nn_json_string(st, token);
			break;
		case JSON_TOKEN_NUMBER:
			nn_json_number(st, token);
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			nn_json_bool(st, type == JSON_TOKEN_TRUE);
			break;
		default:
			nn_json_null(st);
			break;
	}
}

static void pg_attribute_noreturn()
DamagedRecord(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid nn model: its options record is not a JSON object")));
}

static void
ParseRecord(const char *record, JsonSemAction *sem)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(unconstify(char *, record),
													   strlen(record),
													   GetDatabaseEncoding(), true);

	if (pg_parse_json(lex, sem) != JSON_SUCCESS)
		DamagedRecord();
}

/*
 * Reading a model (to score it above all) checks only that its record is
 * braced as an object (syntax false); writing a model and reading the
 * record as JSON check all of it.
 */
void
nn_options_record_check(const char *record, bool syntax)
{
	size_t		len = strlen(record);

	if (len < 2 || record[0] != '{' || record[len - 1] != '}')
		DamagedRecord();
	if (syntax)
		ParseRecord(record, &nullSemAction);
}

/*
 * Push the record as the value of the last key (*st non-NULL), or as a
 * value of its own; returns it.  One pass checks and converts it, as
 * jsonb_in would, with the error of a damaged model.
 */
JsonbValue *
nn_options_record_push(JsonbParseState **st, const char *record)
{
	RecordPush	p = {st, NULL};
	JsonSemAction sem = {0};

	sem.semstate = &p;
	sem.object_start = RecordObjectStart;
	sem.object_end = RecordObjectEnd;
	sem.array_start = RecordArrayStart;
	sem.array_end = RecordArrayEnd;
	sem.object_field_start = RecordKey;
	sem.scalar = RecordScalar;
	nn_options_record_check(record, false);
	ParseRecord(record, &sem);
	return p.done;
}
