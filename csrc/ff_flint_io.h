/* ff_flint_io.h: FLINT's two printf entry points, defined here so that a
 * static link does not take FLINT's own.
 *
 * FLINT's flint_fprintf/flint_vfprintf (generic_files_io_vfprintf.o) can
 * print every FLINT type, so they reference the generic-ring, arb and
 * matrix printers: linking them made fastfib._ntt 8.6 MB instead of well
 * under 1 MB.  The kernels here never print; FLINT calls these only for the
 * message of an error it is about to abort on (flint_throw) and for
 * internal debugging output.  So these print the format as C's vfprintf
 * does, with FLINT's slong/ulong length modifier "w" read as "l" (the same
 * width on LP64), and a FLINT type conversion ("%{fmpz}" and the like)
 * printed as its name, with its argument skipped unread: it could only
 * come in a message printed just before the process aborts anyway.
 */
#ifndef FF_FLINT_IO_H
#define FF_FLINT_IO_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int flint_vfprintf(FILE *f, const char *fmt, va_list ap) {
    char spec[32];
    int total = 0;
    while (*fmt) {
        const char *pct = strchr(fmt, '%');
        size_t n;
        if (pct == NULL) return total + fputs(fmt, f) >= 0 ? total + (int)strlen(fmt) : -1;
        fwrite(fmt, 1, (size_t)(pct - fmt), f);
        total += (int)(pct - fmt);
        if (pct[1] == '{') {               /* a FLINT type: its name, not its value */
            const char *end = strchr(pct, '}');
            n = end ? (size_t)(end - pct + 1) : strlen(pct);
            fwrite(pct, 1, n, f);
            total += (int)n;
            (void)va_arg(ap, void *);
            fmt = pct + n;
            continue;
        }
        /* one conversion: %, flags, width, precision, length, letter */
        n = 1 + strspn(pct + 1, "-+ #0123456789.*lhzjtLw");
        if (pct[n] != '\0') n++;
        if (n >= sizeof(spec)) n = sizeof(spec) - 1;
        memcpy(spec, pct, n);
        spec[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (spec[i] == 'w') spec[i] = 'l';
        {
            va_list copy;
            va_copy(copy, ap);
            total += vfprintf(f, spec, copy);
            va_end(copy);
        }
        /* step over the argument the conversion took (the message is
         * printed right before an abort: ints, longs, doubles and pointers) */
        if (spec[n - 1] == 'f' || spec[n - 1] == 'g' || spec[n - 1] == 'e') (void)va_arg(ap, double);
        else if (spec[n - 1] != '%') {
            if (strchr(spec, 'l')) (void)va_arg(ap, long);
            else if (spec[n - 1] == 's' || spec[n - 1] == 'p') (void)va_arg(ap, void *);
            else (void)va_arg(ap, int);
        }
        fmt = pct + n;
    }
    return total;
}

int flint_fprintf(FILE *f, const char *fmt, ...) {
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = flint_vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

#endif /* FF_FLINT_IO_H */
