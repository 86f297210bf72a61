/* ff_fibtab.h -- F(0)..F(93), the Fibonacci numbers that fit in 64 bits.
 *
 * Every doubling in this directory starts from this table with the leading
 * bits of n, so no loop ever runs on numbers that fit a word.  Plain C, no
 * library.  The table is a constant expression (no initialiser to call, no
 * mutable global state).
 */
#ifndef FF_FIBTAB_H
#define FF_FIBTAB_H

#include <stdint.h>

/* The entry points of these headers: static (each extension module includes
 * them once), and not warned about when a module uses only some of them. */
#define FF_API static __attribute__((unused))

#define FF_TABLE_LIMIT 93   /* F(93) < 2^64 <= F(94) */

static const uint64_t ff_fib_table[FF_TABLE_LIMIT + 1] = {
    0ULL, 1ULL, 1ULL, 2ULL, 3ULL, 5ULL, 8ULL, 13ULL, 21ULL, 34ULL, 55ULL, 89ULL,
    144ULL, 233ULL, 377ULL, 610ULL, 987ULL, 1597ULL, 2584ULL, 4181ULL, 6765ULL,
    10946ULL, 17711ULL, 28657ULL, 46368ULL, 75025ULL, 121393ULL, 196418ULL,
    317811ULL, 514229ULL, 832040ULL, 1346269ULL, 2178309ULL, 3524578ULL,
    5702887ULL, 9227465ULL, 14930352ULL, 24157817ULL, 39088169ULL, 63245986ULL,
    102334155ULL, 165580141ULL, 267914296ULL, 433494437ULL, 701408733ULL,
    1134903170ULL, 1836311903ULL, 2971215073ULL, 4807526976ULL, 7778742049ULL,
    12586269025ULL, 20365011074ULL, 32951280099ULL, 53316291173ULL,
    86267571272ULL, 139583862445ULL, 225851433717ULL, 365435296162ULL,
    591286729879ULL, 956722026041ULL, 1548008755920ULL, 2504730781961ULL,
    4052739537881ULL, 6557470319842ULL, 10610209857723ULL, 17167680177565ULL,
    27777890035288ULL, 44945570212853ULL, 72723460248141ULL, 117669030460994ULL,
    190392490709135ULL, 308061521170129ULL, 498454011879264ULL,
    806515533049393ULL, 1304969544928657ULL, 2111485077978050ULL,
    3416454622906707ULL, 5527939700884757ULL, 8944394323791464ULL,
    14472334024676221ULL, 23416728348467685ULL, 37889062373143906ULL,
    61305790721611591ULL, 99194853094755497ULL, 160500643816367088ULL,
    259695496911122585ULL, 420196140727489673ULL, 679891637638612258ULL,
    1100087778366101931ULL, 1779979416004714189ULL, 2880067194370816120ULL,
    4660046610375530309ULL, 7540113804746346429ULL, 12200160415121876738ULL,
};

/* F(k-1) for 0 <= k <= 93, with F(-1) = 1. */
static inline uint64_t ff_fib_prev(unsigned long k) {
    return k ? ff_fib_table[k - 1] : 1;
}

/* Split n >= 1 for a doubling: *k0 = the longest prefix of n's bits with
 * value <= FF_TABLE_LIMIT (the start, from the table), return the number of
 * bits of n left below it (the doubling steps). */
static inline int ff_table_start(unsigned long n, unsigned long *k0) {
    int pos = 64 - __builtin_clzl(n);   /* n >= 1 */
    unsigned long k = 0;
    while (pos > 0) {
        unsigned long next = (k << 1) | ((n >> (pos - 1)) & 1);
        if (next > FF_TABLE_LIMIT) break;
        k = next;
        pos--;
    }
    *k0 = k;
    return pos;
}

#endif /* FF_FIBTAB_H */
