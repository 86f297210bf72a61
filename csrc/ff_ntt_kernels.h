/* ff_ntt_kernels.h: the table fastfib._ntt exports (csrc/ff_ntt_api.h),
 * filled with the FLINT kernels of ff_bin.h (binary) and ff_dec.h (decimal). */
#ifndef FF_NTT_KERNELS_H
#define FF_NTT_KERNELS_H

#include "ff_ntt_api.h"
#include "ff_bin.h"
#include "ff_dec.h"
#include "ff_flint_io.h"
#include "ff_ntt_probe.h"

static ff_ntt_api FF_NTT_KERNELS = {
    FF_NTT_ABI,
    FLINT_VERSION,
    ff_bin_fib,
    ff_bin_lucas,
    ff_bin_fib_pair,
    ff_dec_cap,
    ff_fib_decimal_write,
    ff_bin_peak_bytes,
    ff_dec_peak_bytes,
    ff_probe_binary_product,
    ff_probe_decimal_product,
};

#endif /* FF_NTT_KERNELS_H */
