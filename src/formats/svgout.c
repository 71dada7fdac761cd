/*
 * svgout.c - the writer the SVG documents share (svgout.h): bytes counted
 * whether or not they fit, numbers through snprintf, text from a model as
 * ASCII with character references.
 */
#include "formats/svgout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
nn_svg_bytes(NNSvgOut *o, const char *s, size_t n)
{
	if (o->len < o->cap)
	{
		size_t		room = o->cap - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	/* saturate rather than wrap; the caller rejects a size this large */
	o->len = n > SIZE_MAX - o->len ? SIZE_MAX : o->len + n;
}

void
nn_svg_str(NNSvgOut *o, const char *s)
{
	nn_svg_bytes(o, s, strlen(s));
}

/* every format used here is short: numbers and fixed words */
void
nn_svg_fmt(NNSvgOut *o, const char *fmt,...)
{
	char		tmp[256];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	nn_svg_bytes(o, tmp, (size_t) n < sizeof(tmp) ? (size_t) n : sizeof(tmp) - 1);
}

/*
 * Decode one UTF-8 sequence at s[0..len); returns its length, with *cp set
 * to the code point or to -1 for an invalid byte (then the length is 1).
 */
static size_t
DecodeUtf8(const unsigned char *s, size_t len, long *cp)
{
	static const long min_of_len[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t		n;
	long		c;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, c = s[0] & 0x07;
	else
	{
		*cp = -1;
		return 1;
	}
	if (n > len)
	{
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
		{
			*cp = -1;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, UTF-16 surrogates and beyond U+10FFFF are invalid */
	if (c < min_of_len[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		c = -1;
	*cp = c;
	return n;
}

/*
 * Text from the model as XML character data or attribute value: markup
 * characters as entities, everything beyond ASCII as a character
 * reference, and what XML 1.0 cannot carry (controls, invalid UTF-8,
 * U+FFFE/U+FFFF) as U+FFFD.  At most max_chars characters, then "...".
 */
void
nn_svg_text(NNSvgOut *o, const char *text, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t		len = strlen(text);
	size_t		chars = 0;

	for (size_t i = 0; i < len; chars++)
	{
		long		cp;

		if (chars == max_chars)
		{
			nn_svg_str(o, "...");
			return;
		}
		i += DecodeUtf8(s + i, len - i, &cp);
		if (cp == '&')
			nn_svg_str(o, "&amp;");
		else if (cp == '<')
			nn_svg_str(o, "&lt;");
		else if (cp == '>')
			nn_svg_str(o, "&gt;");
		else if (cp == '"')
			nn_svg_str(o, "&quot;");
		else if (cp == '\'')
			nn_svg_str(o, "&#39;");
		else if (cp >= 0x20 && cp < 0x7F)
		{
			char		c = (char) cp;

			nn_svg_bytes(o, &c, 1);
		}
		else if (cp == '\t' || cp == '\n' || cp == '\r')
			nn_svg_str(o, " ");
		else if (cp < 0x20 || cp == 0x7F || cp == 0xFFFE || cp == 0xFFFF)
			nn_svg_str(o, "&#xFFFD;");
		else
			nn_svg_fmt(o, "&#x%lX;", cp);
	}
}

void
nn_svg_finish(NNSvgOut *o)
{
	if (o->len < o->cap)
		o->buf[o->len] = '\0';
	else if (o->cap > 0)
		o->buf[o->cap - 1] = '\0';
}
