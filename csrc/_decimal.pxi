# Decimal output: GMP's mpz_get_str, or the pieces of ff_decimal_abs on threads.

def decimal(mpz x not None):
    """The decimal digits of x as ASCII bytes, with a leading '-' if negative.

    Uses GMP's mpz_get_str (subquadratic, no digit limit), without the GIL,
    writing straight into the bytes object.  A large x first reserves the
    conversion's memory: OverflowError if it is not free now.
    """
    with _Held(_memory.reserve_digits, mpz_sizeinbase(MPZ(x), 2), _DECIMAL, GMP_ONLY):
        return _decimal(MPZ(x))


cdef bytes _decimal(mpz_srcptr z):
    cdef Py_ssize_t cap = <Py_ssize_t>mpz_sizeinbase(z, 10) + 2
    cdef Py_ssize_t length
    cdef long written
    cdef PyObject *out = PyBytes_FromStringAndSize(NULL, cap)
    cdef char *buf
    cdef int sign
    if out == NULL:
        raise MemoryError("no memory for the decimal digits")
    buf = PyBytes_AS_STRING(out)
    if ff_threads > 1 and <unsigned long>cap >= ff_par_digits:    # ff_decimal_abs may still go serial
        sign = 1 if mpz_sgn(z) < 0 else 0
        buf[0] = b'-'
        with nogil:
            written = ff_decimal_abs(buf + sign, z)  # up to ff_threads pieces at once
            if written < 0:                          # out of memory for the pieces: serial
                mpz_get_str(buf, 10, z)
                length = <Py_ssize_t>strlen(buf)
            else:
                length = sign + written
    elif cap > 100000:
        with nogil:
            mpz_get_str(buf, 10, z)
            length = <Py_ssize_t>strlen(buf)
    else:
        mpz_get_str(buf, 10, z)
        length = <Py_ssize_t>strlen(buf)
    return _resized(out, length)


cdef bytes _resized(PyObject *out, Py_ssize_t length):
    """The bytes object ``out`` (a new reference, handed over) cut to ``length`` bytes."""
    if _PyBytes_Resize(&out, length) < 0:            # frees out on failure
        raise MemoryError("no memory for the decimal digits")
    result = <bytes>out                              # takes a new reference
    Py_DECREF(result)                                # drop the one from PyBytes_FromStringAndSize
    return result
