/*
 * svgout.h - the writer of the SVG documents (svgplot.c, svgheatmap.c):
 * every byte is counted and only those that fit are copied, so a sizing
 * call (no buffer) and the writing call run the same code, as snprintf
 * does.  Plain C with no PostgreSQL calls.
 */
#ifndef NN_SVGOUT_H
#define NN_SVGOUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct NNSvgOut
{
	char	   *buf;
	size_t		cap;
	size_t		len;			/* bytes of the whole document so far */
} NNSvgOut;

void		nn_svg_bytes(NNSvgOut *o, const char *s, size_t n);
void		nn_svg_str(NNSvgOut *o, const char *s);
/* a short formatted piece (numbers and fixed words: at most 255 bytes) */
void		nn_svg_fmt(NNSvgOut *o, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/*
 * UTF-8 text as XML character data or attribute value, ASCII only: markup
 * as entities, the rest as character references, what XML cannot carry
 * as U+FFFD; at most max_chars characters, then "...".
 */
void		nn_svg_text(NNSvgOut *o, const char *text, size_t max_chars);
/* NUL-terminate the buffer (truncated when the document did not fit) */
void		nn_svg_finish(NNSvgOut *o);

#endif
