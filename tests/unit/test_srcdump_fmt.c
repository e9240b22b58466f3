/* The dump file format (chronyd 4.3's, checked against a file chronyd wrote:
 *   SRC0 / 127.0.0.1 / "0 77 6 8 0" / "6 3" / "1795696218.498051923 5.195713e-08 ..."). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/srcdump_fmt.h"

static void test_format(void **state)
{
    (void)state;
    static struct srcstats st;
    memset(&st, 0, sizeof(st));
    st.n_runs_extra = 1; /* kept only for the runs test: not dumped */
    st.n_samples = 2;
    st.points[0] = (struct srcstats_point){.time = {1, 0}, .offset = 9.0};
    st.points[1] = (struct srcstats_point){.time = {1795696218, 498051923},
                                           .offset = 5.195713e-08,
                                           .orig_offset = 2.067e-06,
                                           .peer_delay = 5.63e-06,
                                           .peer_dispersion = 1.308032e-07,
                                           .root_delay = 5.63e-06,
                                           .root_dispersion = 1.308032e-07};
    st.points[2] = (struct srcstats_point){.time = {1795696218, 750104873},
                                           .offset = -6.194423e-06,
                                           .orig_offset = -8.097e-06,
                                           .peer_delay = 1.8027e-05,
                                           .peer_dispersion = 2.305212e-07,
                                           .root_delay = 1.0,
                                           .root_dispersion = 0.5};
    st.stratum = 8;
    st.leap = 0;
    st.asymmetry_run = 3;
    char buf[SRCDUMP_MAX_LEN];
    size_t n = srcdump_format(buf, sizeof(buf), "127.0.0.1", false, 077, 6, &st);
    const char *want = "SRC0\n127.0.0.1\n0 77 6 8 0\n2 3\n"
                       "1795696218.498051923 5.195713e-08 2.067000e-06 5.630000e-06 "
                       "1.308032e-07 5.630000e-06 1.308032e-07\n"
                       "1795696218.750104873 -6.194423e-06 -8.097000e-06 1.802700e-05 "
                       "2.305212e-07 1.000000e+00 5.000000e-01\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));

    /* authenticated, full register, a leap second announced, negative asymmetry run */
    st.n_samples = 0;
    st.leap = 1;
    st.asymmetry_run = -2;
    srcdump_format(buf, sizeof(buf), "pool.example.org", true, 0377, 8, &st);
    assert_string_equal(buf, "SRC0\npool.example.org\n1 377 8 8 1\n0 -2\n");

    /* names chronyd could not read back as one word, and short buffers: nothing */
    assert_int_equal(srcdump_format(buf, sizeof(buf), "two words", false, 1, 1, &st), 0);
    assert_int_equal(srcdump_format(buf, sizeof(buf), "", false, 1, 1, &st), 0);
    assert_int_equal(srcdump_format(buf, 20, "127.0.0.1", false, 1, 1, &st), 0);
    assert_string_equal(buf, "");
}

/* The bound holds for a full history with a 255-character name and extreme values. */
static void test_bound(void **state)
{
    (void)state;
    static struct srcstats st;
    memset(&st, 0, sizeof(st));
    st.n_samples = SRCSTATS_MAX_SAMPLES;
    for (int i = 0; i < st.n_samples; i++)
        st.points[i] = (struct srcstats_point){.time = {-(1LL << 40), 999999999},
                                               .offset = -1.5e-300,
                                               .orig_offset = -1.5e300,
                                               .peer_delay = -1e-10,
                                               .peer_dispersion = -1e10,
                                               .root_delay = -2e-99,
                                               .root_dispersion = -3e99};
    st.stratum = 99; /* out of range: written as 0 so that chronyd accepts the file */
    st.leap = 3;
    char name[256];
    memset(name, 'n', 255);
    name[255] = '\0';
    static char buf[SRCDUMP_MAX_LEN];
    size_t n = srcdump_format(buf, sizeof(buf), name, true, 0377, 8, &st);
    assert_true(n > 64 * 100 && n < sizeof(buf));
    assert_non_null(strstr(buf, "\n1 377 8 0 0\n64 0\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
