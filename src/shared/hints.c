/*
 * hints.c - the pieces of errors that teach, shared by training, scoring
 * and inspection: the nearest valid name to a mistyped one ("did you mean"),
 * a model's classes listed for an error, and a JSON value described as an
 * error says what it got.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "shared/shared.h"

/* classes an error lists before "and N more" */
#define CLASSES_LISTED 20
/* a suggestion at most this many edits away, and at most half the name */
#define MAX_SUGGEST_DISTANCE 3

const char *
nn_closest_name(const char *given, const char *const *names, int n)
{
	int			len = strlen(given);
	int			bound = Max(1, Min(MAX_SUGGEST_DISTANCE, len / 2));
	int			best = bound + 1;
	const char *found = NULL;

	for (int i = 0; i < n; i++)
	{
		int			d;

		if (names[i] == NULL)
			continue;
		d = varstr_levenshtein_less_equal(given, len, names[i], strlen(names[i]),
										  1, 1, 1, bound, true);
		/* the first of the nearest: the table's order decides ties */
		if (d < best)
		{
			best = d;
			found = names[i];
		}
	}
	return found;
}

char *
nn_did_you_mean(const char *given, const char *const *names, int n)
{
	const char *near = nn_closest_name(given, names, n);

	return near != NULL ? psprintf("Did you mean \"%s\"? ", near) : "";
}

char *
nn_class_list(char *const *classes, uint32 n)
{
	StringInfoData s;
	uint32		shown = Min(n, CLASSES_LISTED);

	initStringInfo(&s);
	for (uint32 i = 0; i < shown; i++)
		appendStringInfo(&s, "%s\"%s\"", i > 0 ? ", " : "", classes[i]);
	if (shown < n)
		appendStringInfo(&s, " and %u more", n - shown);
	return s.data;
}

const char *
nn_json_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

char *
nn_json_value_desc(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			{
				/* a long string is cut: the message names it, not repeats it */
				int			len = pg_mbcliplen(v->val.string.val, v->val.string.len, 40);

				return psprintf("a string \"%.*s%s\"", len, v->val.string.val,
								len < v->val.string.len ? "..." : "");
			}
		case jbvNumeric:
			{
				/* 1e100 is a hundred digits as numeric prints it: say 1e+100 */
				char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric)));

				char	   *e;
				int			zeros = 0;

				if (strlen(text) <= 30)
					return text;
				/* scientific, its mantissa's trailing zeros dropped: 1e+100 */
				text = numeric_out_sci(v->val.numeric, 6);
				e = strchr(text, 'e');
				while (e - zeros - 1 > text && e[-zeros - 1] == '0')
					zeros++;
				if (e[-zeros - 1] == '.')
					zeros++;
				return psprintf("%.*s%s", (int) (e - text) - zeros, text, e);
			}
		case jbvBool:
			return v->val.boolean ? "true" : "false";
		case jbvBinary:
			{
				/* an array or object as its JSON text, cut like a string */
				char	   *text = JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
				int			len = pg_mbcliplen(text, strlen(text), 40);

				return psprintf("%s %.*s%s", nn_json_type_name(v), len, text,
								text[len] != '\0' ? "..." : "");
			}
		default:
			return unconstify(char *, nn_json_type_name(v));
	}
}
