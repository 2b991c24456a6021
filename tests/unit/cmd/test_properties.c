/*
 * Unit tests of the properties parser, environment overlay and overrides
 * (common/properties.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "properties.h"

static int parse(struct props *p, const char *text, char *err, size_t errlen)
{
    return props_parse_string(p, text, strlen(text), "t.properties", err, errlen);
}

static const char *val(const struct props *p, const char *key)
{
    const struct prop_entry *e = props_get(p, key);
    return e ? e->value : NULL;
}

START_TEST(test_basic_separators_and_comments)
{
    struct props p = PROPS_INIT;
    char err[256] = "";
    const char *text = "# a comment\n"
                       "! another comment\n"
                       "\n"
                       "   \t\n"
                       "node.id=3\n"
                       "  listeners : PLAINTEXT://:9092   \n"
                       "log.dirs = /a,/b\t\n"
                       "empty=\n"
                       "colon:value=with=equals\n";
    ck_assert_int_eq(parse(&p, text, err, sizeof err), 0);
    ck_assert_uint_eq(p.n, 5);
    ck_assert_str_eq(p.v[0].key, "node.id");
    ck_assert_str_eq(val(&p, "node.id"), "3");
    ck_assert_str_eq(val(&p, "listeners"), "PLAINTEXT://:9092");
    ck_assert_str_eq(val(&p, "log.dirs"), "/a,/b");
    ck_assert_str_eq(val(&p, "empty"), "");
    ck_assert_str_eq(val(&p, "colon"), "value=with=equals");
    ck_assert_int_eq(props_get(&p, "listeners")->source, PROP_SRC_FILE);
    ck_assert_str_eq(props_get(&p, "listeners")->origin, "t.properties:6");
    props_free(&p);
}
END_TEST

START_TEST(test_continuation_and_escapes)
{
    struct props p = PROPS_INIT;
    char err[256] = "";
    const char *text = "listeners=PLAINTEXT://:9092,\\\n"
                       "          CONTROLLER://:9093\n"
                       "path=C:\\\\dir\n" /* escaped backslash: no continuation */
                       "tabbed=a\\tb\n"
                       "key\\=with\\:sep=v\n"
                       "crlf=yes\r\n"
                       "# comment ending in backslash \\\n"
                       "after=1\n"
                       "three=a\\\n"
                       "  b\\\n"
                       "  c\n";
    ck_assert_int_eq(parse(&p, text, err, sizeof err), 0);
    ck_assert_str_eq(val(&p, "listeners"), "PLAINTEXT://:9092,CONTROLLER://:9093");
    ck_assert_str_eq(val(&p, "path"), "C:\\dir");
    ck_assert_str_eq(val(&p, "tabbed"), "a\tb");
    ck_assert_str_eq(val(&p, "key=with:sep"), "v");
    ck_assert_str_eq(val(&p, "crlf"), "yes");
    ck_assert_str_eq(val(&p, "after"), "1");
    ck_assert_str_eq(val(&p, "three"), "abc");
    /* The origin of a continued value is the line it starts on. */
    ck_assert_str_eq(props_get(&p, "listeners")->origin, "t.properties:1");
    ck_assert_str_eq(props_get(&p, "three")->origin, "t.properties:9");
    props_free(&p);
}
END_TEST

START_TEST(test_duplicate_key_keeps_position)
{
    struct props p = PROPS_INIT;
    char err[256] = "";
    ck_assert_int_eq(parse(&p, "a=1\nb=2\na=3\n", err, sizeof err), 0);
    ck_assert_uint_eq(p.n, 2);
    ck_assert_str_eq(p.v[0].key, "a");
    ck_assert_str_eq(p.v[0].value, "3");
    ck_assert_str_eq(p.v[0].origin, "t.properties:3");
    props_free(&p);
}
END_TEST

START_TEST(test_malformed_lines_report_line)
{
    struct props p = PROPS_INIT;
    char err[256] = "";
    ck_assert_int_eq(parse(&p, "a=1\n# c\n\nnode.id 1\n", err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "t.properties:4:") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "node.id") != NULL, "%s", err);
    /* Entries before the bad line are kept. */
    ck_assert_str_eq(val(&p, "a"), "1");
    props_free(&p);

    ck_assert_int_eq(parse(&p, "ok=1\njustakey\n", err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "t.properties:2:") != NULL, "%s", err);
    props_free(&p);

    ck_assert_int_eq(parse(&p, "x=1\n=value\n", err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "t.properties:2: empty key") != NULL, "%s", err);
    props_free(&p);

    ck_assert_int_eq(parse(&p, "a=1\nb=\\u0041\n", err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "t.properties:2:") != NULL, "%s", err);
    props_free(&p);

    /* A bad logical line after a continuation reports the line it starts on. */
    ck_assert_int_eq(parse(&p, "a=1\nbad\\\n  =x\n", err, sizeof err), 0);
    ck_assert_str_eq(val(&p, "bad"), "x");
    props_free(&p);
    ck_assert_int_eq(parse(&p, "a=1\n\nbad\\\n  stillbad\n", err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "t.properties:3:") != NULL, "%s", err);
    props_free(&p);

    const char nul[] = "a=1\nb=\0x\n";
    ck_assert_int_eq(props_parse_string(&p, nul, sizeof nul - 1, "n", err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "n:2:") != NULL, "%s", err);
    props_free(&p);
}
END_TEST

START_TEST(test_parse_file)
{
    char dir[] = "/tmp/sluice-props-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/server.properties", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("node.id=7\nprocess.roles=broker\n", f);
    fclose(f);
    struct props p = PROPS_INIT;
    char err[600] = "";
    ck_assert_int_eq(props_parse_file(&p, path, err, sizeof err), 0);
    ck_assert_str_eq(val(&p, "node.id"), "7");
    char want[600];
    snprintf(want, sizeof want, "%s:2", path);
    ck_assert_str_eq(props_get(&p, "process.roles")->origin, want);
    props_free(&p);

    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope.properties", dir);
    ck_assert_int_eq(props_parse_file(&p, missing, err, sizeof err), SL_EIO);
    ck_assert_msg(strstr(err, "nope.properties") != NULL, "%s", err);
    ck_assert_int_eq(props_parse_file(&p, dir, err, sizeof err), SL_EIO);
    props_free(&p);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_env_to_key)
{
    char *k = props_env_to_key("SLUICE_NODE_ID", "SLUICE_");
    ck_assert_str_eq(k, "node.id");
    free(k);
    k = props_env_to_key("SLUICE_LISTENER_SECURITY_PROTOCOL_MAP", "SLUICE_");
    ck_assert_str_eq(k, "listener.security.protocol.map");
    free(k);
    k = props_env_to_key("SLUICE_FOO__BAR", "SLUICE_");
    ck_assert_str_eq(k, "foo_bar");
    free(k);
    k = props_env_to_key("SLUICE_A___B", "SLUICE_");
    ck_assert_str_eq(k, "a-b");
    free(k);
    ck_assert_ptr_null(props_env_to_key("KAFKA_NODE_ID", "SLUICE_"));
    ck_assert_ptr_null(props_env_to_key("SLUICE_", "SLUICE_"));
}
END_TEST

START_TEST(test_precedence_env_then_override)
{
    struct props p = PROPS_INIT;
    char err[256] = "";
    ck_assert_int_eq(parse(&p, "node.id=1\nlog.dirs=/file\nnum.partitions=2\n", err, sizeof err),
                     0);
    char *envp[] = {"PATH=/bin",
                    "SLUICE_NODE_ID=5",
                    "SLUICE_LOG_DIRS=/env",
                    "SLUICE_BOOTSTRAP=x:1",
                    "SLUICE_NOEQUALS",
                    NULL};
    const char *exclude[] = {"SLUICE_BOOTSTRAP", NULL};
    props_overlay_env(&p, envp, "SLUICE_", exclude);
    ck_assert_str_eq(val(&p, "node.id"), "5");
    ck_assert_int_eq(props_get(&p, "node.id")->source, PROP_SRC_ENV);
    ck_assert_str_eq(props_get(&p, "node.id")->origin, "env SLUICE_NODE_ID");
    ck_assert_ptr_null(props_get(&p, "bootstrap"));
    ck_assert_ptr_null(props_get(&p, "path"));

    char *ov[] = {"log.dirs = /override ", "new.key=v=w"};
    ck_assert_int_eq(props_overlay_overrides(&p, ov, 2, err, sizeof err), 0);
    ck_assert_str_eq(val(&p, "log.dirs"), "/override");
    ck_assert_int_eq(props_get(&p, "log.dirs")->source, PROP_SRC_OVERRIDE);
    ck_assert_str_eq(val(&p, "new.key"), "v=w");
    ck_assert_str_eq(val(&p, "num.partitions"), "2");
    ck_assert_int_eq(props_get(&p, "num.partitions")->source, PROP_SRC_FILE);

    char *bad[] = {"novalue"};
    ck_assert_int_eq(props_overlay_overrides(&p, bad, 1, err, sizeof err), SL_EINVAL);
    ck_assert_msg(strstr(err, "novalue") != NULL, "%s", err);
    char *bad2[] = {" =x"};
    ck_assert_int_eq(props_overlay_overrides(&p, bad2, 1, err, sizeof err), SL_EINVAL);
    ck_assert_str_eq(props_source_name(PROP_SRC_ENV), "env");
    props_free(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("properties");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_basic_separators_and_comments);
    tcase_add_test(tc, test_continuation_and_escapes);
    tcase_add_test(tc, test_duplicate_key_keeps_position);
    tcase_add_test(tc, test_malformed_lines_report_line);
    tcase_add_test(tc, test_parse_file);
    tcase_add_test(tc, test_env_to_key);
    tcase_add_test(tc, test_precedence_env_then_override);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
