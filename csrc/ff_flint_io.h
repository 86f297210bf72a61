/* ff_flint_io.h: FLINT's two printf entry points, defined here so that a
 * static link does not take FLINT's own.
 *
 * FLINT's flint_fprintf/flint_vfprintf (generic_files_io_vfprintf.o) can
 * print every FLINT type, so they reference the generic-ring, arb and
 * matrix printers: linking them made fastfib._ntt 8.6 MB instead of about
 * 0.5 MB, and left MPFR symbols undefined.  The kernels never print; FLINT
 * calls these only for the message of an error it is about to abort on
 * (flint_throw) and for internal debugging output.  So they write the
 * format string as it is, without reading a single argument: printing the
 * arguments would need every rule of FLINT's own format ("%{fmpz*}" takes
 * two, "%*d" an extra int, ...), and getting one wrong would read the
 * va_list out of step just before the abort.  The message still says
 * which error it was.
 */
#ifndef FF_FLINT_IO_H
#define FF_FLINT_IO_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int flint_vfprintf(FILE *f, const char *fmt, va_list ap) {
    (void)ap;
    return fputs(fmt, f) < 0 ? -1 : (int)strlen(fmt);
}

int flint_fprintf(FILE *f, const char *fmt, ...) {
    return fputs(fmt, f) < 0 ? -1 : (int)strlen(fmt);
}

#endif /* FF_FLINT_IO_H */
